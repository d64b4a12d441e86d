-- Each version row carries its observable values inline (a JSON array of
-- [kind, key, value] triples), so reading an object needs no second query
-- and intel_values shrinks to the search index alone: (kind, key) -> object.

ALTER TABLE intel_objects ADD COLUMN vals TEXT NOT NULL DEFAULT '[]';

UPDATE intel_objects o SET vals = (
    SELECT json_agg(json_build_array(v.kind, v.key, v.value))::text FROM intel_values v WHERE v.object_id = o.id
) WHERE o.latest AND EXISTS (SELECT 1 FROM intel_values v WHERE v.object_id = o.id);

DROP INDEX intel_values_object;
ALTER TABLE intel_values DROP COLUMN value;
