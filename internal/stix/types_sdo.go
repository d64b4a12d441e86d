package stix

import (
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

// Closed vocabularies (enumerations) used by SDOs.
var (
	opinionEnum = []string{"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"}
)

var (
	pName     = prop{k: kString}
	pNameReq  = prop{k: kString, req: true}
	pDesc     = prop{k: kString}
	pStrings  = prop{k: kStrings}
	pTime     = prop{k: kTime}
	pKill     = prop{k: kKillChain}
	pAnyRefs  = prop{k: kRefs, to: toObject, req: true}
	pSoftware = prop{k: kRef, to: only("software")}
)

func init() {
	define("attack-pattern", sdoCommon, map[string]prop{
		"name": pNameReq, "description": pDesc, "aliases": pStrings, "kill_chain_phases": pKill,
	}, nil)
	define("campaign", sdoCommon, map[string]prop{
		"name": pNameReq, "description": pDesc, "aliases": pStrings,
		"first_seen": pTime, "last_seen": pTime, "objective": prop{k: kString},
	}, seenOrder)
	define("course-of-action", sdoCommon, map[string]prop{
		"name": pNameReq, "description": pDesc,
	}, nil)
	define("grouping", sdoCommon, map[string]prop{
		"name": pName, "description": pDesc, "context": prop{k: kString, req: true}, "object_refs": pAnyRefs,
	}, nil)
	define("identity", sdoCommon, map[string]prop{
		"name": pNameReq, "description": pDesc, "roles": pStrings, "identity_class": prop{k: kString},
		"sectors": pStrings, "contact_information": prop{k: kString},
	}, nil)
	define("incident", sdoCommon, map[string]prop{
		"name": pNameReq, "description": pDesc, "kill_chain_phases": pKill,
	}, nil)
	define("indicator", sdoCommon, map[string]prop{
		"name": pName, "description": pDesc, "indicator_types": pStrings,
		"pattern": prop{k: kString, req: true}, "pattern_type": prop{k: kString, req: true},
		"pattern_version": prop{k: kString}, "valid_from": prop{k: kTime, req: true},
		"valid_until": pTime, "kill_chain_phases": pKill,
	}, checkIndicator)
	define("infrastructure", sdoCommon, map[string]prop{
		"name": pNameReq, "description": pDesc, "infrastructure_types": pStrings, "aliases": pStrings,
		"kill_chain_phases": pKill, "first_seen": pTime, "last_seen": pTime,
	}, seenOrder)
	define("intrusion-set", sdoCommon, map[string]prop{
		"name": pNameReq, "description": pDesc, "aliases": pStrings, "first_seen": pTime, "last_seen": pTime,
		"goals": pStrings, "resource_level": prop{k: kString}, "primary_motivation": prop{k: kString},
		"secondary_motivations": pStrings,
	}, seenOrder)
	define("location", sdoCommon, map[string]prop{
		"name": pName, "description": pDesc,
		"latitude":  prop{k: kFloat, flo: -90, fhi: 90},
		"longitude": prop{k: kFloat, flo: -180, fhi: 180},
		"precision": prop{k: kFloat}, "region": prop{k: kString}, "country": prop{k: kString},
		"administrative_area": prop{k: kString}, "city": prop{k: kString},
		"street_address": prop{k: kString}, "postal_code": prop{k: kString},
	}, checkLocation)
	define("malware", sdoCommon, map[string]prop{
		"name": pName, "description": pDesc, "malware_types": pStrings,
		"is_family": prop{k: kBool, req: true}, "aliases": pStrings, "kill_chain_phases": pKill,
		"first_seen": pTime, "last_seen": pTime,
		"operating_system_refs":       prop{k: kRefs, to: only("software")},
		"architecture_execution_envs": pStrings, "implementation_languages": pStrings,
		"capabilities": pStrings, "sample_refs": prop{k: kRefs, to: only("file", "artifact")},
	}, checkMalware)
	define("malware-analysis", sdoCommon, map[string]prop{
		"product": prop{k: kString, req: true}, "version": prop{k: kString},
		"host_vm_ref": pSoftware, "operating_system_ref": pSoftware,
		"installed_software_refs": prop{k: kRefs, to: only("software")},
		"configuration_version":   prop{k: kString}, "modules": pStrings,
		"analysis_engine_version": prop{k: kString}, "analysis_definition_version": prop{k: kString},
		"submitted": pTime, "analysis_started": pTime, "analysis_ended": pTime,
		"result_name": prop{k: kString}, "result": prop{k: kString},
		"analysis_sco_refs": prop{k: kRefs, to: toSCO},
		"sample_ref":        prop{k: kRef, to: only("file", "network-traffic", "artifact")},
	}, checkMalwareAnalysis)
	define("note", sdoCommon, map[string]prop{
		"abstract": prop{k: kString}, "content": prop{k: kString, req: true}, "authors": pStrings,
		"object_refs": pAnyRefs,
	}, nil)
	define("observed-data", sdoCommon, map[string]prop{
		"first_observed":  prop{k: kTime, req: true},
		"last_observed":   prop{k: kTime, req: true},
		"number_observed": prop{k: kInt, req: true, lo: 1, hi: 999_999_999},
		"objects":         prop{k: kDict},
		"object_refs":     prop{k: kRefs, to: &target{desc: "an SCO or SRO", ok: func(t string) bool { return scoTypes[t] || sroTypes[t] || !IsKnownType(t) }}},
	}, checkObservedData)
	define("opinion", sdoCommon, map[string]prop{
		"explanation": prop{k: kString}, "authors": pStrings,
		"opinion": prop{k: kString, req: true, enum: opinionEnum}, "object_refs": pAnyRefs,
	}, nil)
	define("report", sdoCommon, map[string]prop{
		"name": pNameReq, "description": pDesc, "report_types": pStrings,
		"published": prop{k: kTime, req: true}, "object_refs": pAnyRefs,
	}, nil)
	define("threat-actor", sdoCommon, map[string]prop{
		"name": pNameReq, "description": pDesc, "threat_actor_types": pStrings, "aliases": pStrings,
		"first_seen": pTime, "last_seen": pTime, "roles": pStrings, "goals": pStrings,
		"sophistication": prop{k: kString}, "resource_level": prop{k: kString},
		"primary_motivation": prop{k: kString}, "secondary_motivations": pStrings,
		"personal_motivations": pStrings,
	}, seenOrder)
	define("tool", sdoCommon, map[string]prop{
		"name": pNameReq, "description": pDesc, "tool_types": pStrings, "aliases": pStrings,
		"kill_chain_phases": pKill, "tool_version": prop{k: kString},
	}, nil)
	define("vulnerability", sdoCommon, map[string]prop{
		"name": pNameReq, "description": pDesc,
	}, nil)
}

// seenOrder: last_seen must not be before first_seen.
func seenOrder(c *checker) { c.order("first_seen", "last_seen", false) }

func checkIndicator(c *checker) {
	c.order("valid_from", "valid_until", true)
	if c.str("pattern_type") != "stix" {
		return
	}
	pat, ok := c.m["pattern"].(string)
	if !ok {
		return
	}
	p, err := pattern.Parse(pat)
	if err != nil {
		code := errs.Invalid
		if errs.Is(err, errs.TooLarge) {
			code = errs.TooLarge
		}
		c.errs.Add(code, c.field("pattern"), "is not a valid STIX pattern: %v", err)
		return
	}
	c.pattern = p
}

func checkLocation(c *checker) {
	_, lat := c.m["latitude"]
	_, lon := c.m["longitude"]
	if lat != lon {
		c.bad("latitude", "latitude and longitude must be given together")
	}
	if c.has("precision") && !lat {
		c.bad("precision", "needs latitude and longitude")
	}
	if !c.has("region") && !c.has("country") && !(lat && lon) {
		c.bad("", "a location needs region, country, or latitude and longitude")
	}
}

func checkMalware(c *checker) {
	seenOrder(c)
	if fam, _ := c.m["is_family"].(bool); fam && !c.has("name") {
		c.bad("name", "is required when is_family is true")
	}
}

func checkMalwareAnalysis(c *checker) {
	if !c.has("result") && !c.has("analysis_sco_refs") {
		c.bad("", "a malware-analysis needs result or analysis_sco_refs")
	}
	c.order("analysis_started", "analysis_ended", false)
}

func checkObservedData(c *checker) {
	c.order("first_observed", "last_observed", false)
	_, objs := c.m["objects"]
	_, refs := c.m["object_refs"]
	if objs == refs {
		c.bad("object_refs", "exactly one of objects and object_refs must be present")
	}
	if m, ok := c.m["objects"].(map[string]any); ok {
		if len(m) == 0 {
			c.bad("objects", "must not be empty")
		}
		for k, v := range m {
			o, ok := v.(map[string]any)
			if !ok {
				c.bad("objects."+k, "must be a JSON object")
				continue
			}
			if t, _ := o["type"].(string); !validTypeName(t) {
				c.bad("objects."+k+".type", "is required and must be an object type")
			}
		}
	}
}
