package stix

func init() {
	define("relationship", sdoCommon, map[string]prop{
		"relationship_type": prop{k: kString, req: true},
		"description":       pDesc,
		"source_ref":        prop{k: kRef, req: true, to: toSDOorSCO},
		"target_ref":        prop{k: kRef, req: true, to: toSDOorSCO},
		"start_time":        pTime,
		"stop_time":         pTime,
	}, checkRelationship)
	define("sighting", sdoCommon, map[string]prop{
		"description":        pDesc,
		"first_seen":         pTime,
		"last_seen":          pTime,
		"count":              prop{k: kInt, lo: 0, hi: 999_999_999},
		"sighting_of_ref":    prop{k: kRef, req: true, to: toSDO},
		"observed_data_refs": prop{k: kRefs, to: only("observed-data")},
		"where_sighted_refs": prop{k: kRefs, to: only("identity", "location")},
		"summary":            prop{k: kBool},
	}, seenOrder)
}

// checkRelationship: relationship_type is 1–250 characters without spaces
// (lower case with hyphens is a SHOULD of the specification, so only the
// shape is checked), and stop_time must not be earlier than start_time.
// The specification says stop_time MUST be later than start_time; an equal
// pair, a zero-length interval that OpenCTI writes for point-in-time
// relationships, is accepted on purpose (see the package doc).
func checkRelationship(c *checker) {
	c.order("start_time", "stop_time", false)
	if rt, ok := c.m["relationship_type"].(string); ok {
		if rt == "" || len(rt) > 250 {
			c.bad("relationship_type", "must be 1–250 characters")
		}
		for i := 0; i < len(rt); i++ {
			if rt[i] <= ' ' {
				c.bad("relationship_type", "must not contain spaces or control characters")
				break
			}
		}
	}
}
