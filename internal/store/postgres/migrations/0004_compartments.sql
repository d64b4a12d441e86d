-- The need-to-know compartments a person holds (policy.Member.Compartments):
-- a JSON array of handles, sorted and unique, as intel_objects.compartments
-- holds those an object is shared into. Only a hub administrator changes it.

ALTER TABLE users ADD COLUMN compartments TEXT NOT NULL DEFAULT '[]';
