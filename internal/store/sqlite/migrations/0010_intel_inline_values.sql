-- Each version row carries its observable values inline (a JSON array of
-- [kind, key, value] triples), so reading an object needs no second query
-- and intel_values shrinks to the search index alone: (kind, key) -> object.
-- Dropping the object_id index and the value column halves the random
-- B-tree writes an import makes (see README, import speed).

ALTER TABLE intel_objects ADD COLUMN vals TEXT NOT NULL DEFAULT '[]';

UPDATE intel_objects SET vals = (
    SELECT json_group_array(json_array(v.kind, v.key, v.value)) FROM intel_values v WHERE v.object_id = intel_objects.id
) WHERE latest = 1 AND EXISTS (SELECT 1 FROM intel_values v WHERE v.object_id = intel_objects.id);

DROP INDEX intel_values_object;
ALTER TABLE intel_values DROP COLUMN value;
