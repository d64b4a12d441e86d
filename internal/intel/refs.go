package intel

import (
	"context"
	"encoding/json"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// endpoints are the references that make a relationship or sighting about
// another object.
type endpoints struct {
	SourceRef     string `json:"source_ref"`
	TargetRef     string `json:"target_ref"`
	SightingOfRef string `json:"sighting_of_ref"`
}

// hiddenRefs finds the objects of objs that relate to a stored object the
// sharer may not see: such a record is refused, so that nobody attaches
// relationships or sightings to intelligence that was not shared with them.
// A reference to an id the hub does not have is allowed (STIX bundles often
// refer to objects held elsewhere). It returns the refusal of each such
// object by its position.
func hiddenRefs(ctx context.Context, tx Tx, m policy.Member, objs []Object) (map[int]error, error) {
	type ref struct {
		i     int
		field string
		id    string
	}
	var refs []ref
	var ids []string
	for i, o := range objs {
		if o.Type != "relationship" && o.Type != "sighting" {
			continue
		}
		var e endpoints
		if json.Unmarshal(o.Raw, &e) != nil {
			continue
		}
		for _, r := range []ref{{i, "source_ref", e.SourceRef}, {i, "target_ref", e.TargetRef}, {i, "sighting_of_ref", e.SightingOfRef}} {
			if r.id != "" {
				refs = append(refs, r)
				ids = append(ids, r.id)
			}
		}
	}
	out := map[int]error{}
	if len(ids) == 0 {
		return out, nil
	}
	known, err := tx.LatestMeta(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if meta, ok := known[r.id]; ok && !policy.CanSee(m, meta.Dist) {
			if _, dup := out[r.i]; !dup {
				out[r.i] = errs.F(errs.Forbidden, r.field, "refers to %s, which was not shared with you", r.id)
			}
		}
	}
	return out, nil
}

// unknownMarkings finds the objects marked with a marking-definition the
// hub does not know: neither a TLP marking, nor defined in the same input,
// nor stored. Such a record is refused, because nobody could say who may
// see it.
func unknownMarkings(ctx context.Context, tx Tx, objs []Object) (map[int]error, error) {
	defined := map[string]bool{}
	for _, o := range objs {
		if o.Type == "marking-definition" {
			defined[o.ID] = true
		}
	}
	type use struct {
		i  int
		id string
	}
	var uses []use
	var ids []string
	for i, o := range objs {
		for _, r := range o.markingRefs() {
			if _, tlp := policy.TLPOfMarking(r); tlp || defined[r] {
				continue
			}
			uses = append(uses, use{i, r})
			ids = append(ids, r)
		}
	}
	out := map[int]error{}
	if len(uses) == 0 {
		return out, nil
	}
	known, err := tx.LatestMeta(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, u := range uses {
		if _, ok := known[u.id]; !ok {
			if _, dup := out[u.i]; !dup {
				out[u.i] = errs.F(errs.Invalid, "object_marking_refs",
					"refers to %s, a marking the hub does not know; share its marking-definition first or in the same bundle", u.id)
			}
		}
	}
	return out, nil
}

// refusals merges the reasons to refuse objects of one write: references
// to hidden objects, and unknown markings.
func refusals(ctx context.Context, tx Tx, m policy.Member, objs []Object) (map[int]error, error) {
	out, err := hiddenRefs(ctx, tx, m, objs)
	if err != nil {
		return nil, err
	}
	unmarked, err := unknownMarkings(ctx, tx, objs)
	if err != nil {
		return nil, err
	}
	for i, e := range unmarked {
		if out[i] == nil {
			out[i] = e
		}
	}
	return out, nil
}
