package stix

import "strings"

// The TLP marking definitions whose ids the specification (TLP 1.0, §7.2.1.4)
// and the OASIS TLP 2.0 extension fix.
var (
	tlp1IDs = map[string]string{
		"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "white",
		"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
		"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
		"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
	}
	tlp2IDs = map[string]string{
		"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
		"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
		"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
		"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
		"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
	}
)

// TLP2Extension is the id of the OASIS TLP 2.0 extension definition.
const TLP2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

var metaCommon = map[string]prop{
	"type":                {k: kString, req: true},
	"spec_version":        {k: kString, req: true},
	"id":                  {k: kString, req: true},
	"created_by_ref":      {k: kRef, to: only("identity")},
	"created":             {k: kTime, req: true},
	"external_references": {k: kExtRefs},
	"object_marking_refs": {k: kRefs, to: only("marking-definition")},
	"granular_markings":   {k: kGranular},
}

func init() {
	define("marking-definition", metaCommon, map[string]prop{
		"name":            {k: kString},
		"definition_type": {k: kString},
		"definition":      {k: kDict},
		"extensions":      {k: kExtensions},
	}, checkMarking)
	define("extension-definition", metaCommon, map[string]prop{
		"created_by_ref":       {k: kRef, req: true, to: only("identity")},
		"modified":             {k: kTime, req: true},
		"revoked":              {k: kBool},
		"labels":               {k: kStrings},
		"name":                 {k: kString, req: true},
		"description":          {k: kString},
		"schema":               {k: kString, req: true},
		"version":              {k: kString, req: true},
		"extension_types":      {k: kStrings, req: true, enum: extensionTypes},
		"extension_properties": {k: kStrings},
	}, checkExtensionDefinition)
	define("language-content", metaCommon, map[string]prop{
		"modified":        {k: kTime, req: true},
		"revoked":         {k: kBool},
		"labels":          {k: kStrings},
		"confidence":      {k: kInt, lo: 0, hi: 100},
		"extensions":      {k: kExtensions},
		"object_ref":      {k: kRef, req: true, to: toObject},
		"object_modified": {k: kTime},
		"contents":        {k: kDict, req: true},
	}, checkLanguageContent)
}

// checkMarking: definition_type and definition come together; without
// them the marking must be defined by an extension. Statement and TLP
// markings have the shape the specification gives, and the fixed TLP ids
// carry the level they stand for.
func checkMarking(c *checker) {
	if c.has("modified") {
		c.bad("modified", "marking definitions cannot be versioned")
	}
	_, hasType := c.m["definition_type"]
	_, hasDef := c.m["definition"]
	switch {
	case hasType != hasDef:
		c.bad("definition", "definition_type and definition must be given together")
	case !hasType && !c.has("extensions"):
		c.bad("definition", "a marking definition needs definition_type and definition, or an extension")
	}
	id := c.str("id")
	def, _ := c.m["definition"].(map[string]any)
	switch c.str("definition_type") {
	case "statement":
		if s, ok := def["statement"].(string); !ok || s == "" {
			c.bad("definition.statement", "is required for a statement marking")
		}
	case "tlp":
		tlp, _ := def["tlp"].(string)
		switch tlp {
		case "white", "green", "amber", "red", "clear":
		default:
			c.bad("definition.tlp", "must be white, green, amber or red")
		}
		if want, ok := tlp1IDs[id]; ok && tlp != want && !(want == "white" && tlp == "clear") {
			c.bad("definition.tlp", "the predefined TLP id %s is TLP:%s, not %q", id, strings.ToUpper(want), tlp)
		}
	}
	if want, ok := tlp1IDs[id]; ok && c.str("definition_type") != "tlp" {
		c.bad("definition_type", "the predefined TLP:%s marking must have definition_type \"tlp\"", strings.ToUpper(want))
	}
	ext, _ := c.m["extensions"].(map[string]any)
	if e, ok := ext[TLP2Extension].(map[string]any); ok {
		level, _ := e["tlp_2_0"].(string)
		switch level {
		case "clear", "green", "amber", "amber+strict", "red":
		default:
			c.bad("extensions."+TLP2Extension+".tlp_2_0", "must be clear, green, amber, amber+strict or red")
		}
		if want, ok := tlp2IDs[id]; ok && level != want {
			c.bad("extensions."+TLP2Extension+".tlp_2_0", "the TLP 2.0 id %s is TLP:%s, not %q", id, strings.ToUpper(want), level)
		}
	} else if want, ok := tlp2IDs[id]; ok {
		c.bad("extensions", "the TLP 2.0 marking TLP:%s must use the TLP 2.0 extension %s", strings.ToUpper(want), TLP2Extension)
	}
}

func checkExtensionDefinition(c *checker) {
	types := stringList(c.m["extension_types"])
	if contains(types, "toplevel-property-extension") && !c.has("extension_properties") {
		c.bad("extension_properties", "is required when extension_types has toplevel-property-extension")
	}
}

// checkLanguageContent: contents maps language tags to dictionaries of
// translated properties.
func checkLanguageContent(c *checker) {
	m, ok := c.m["contents"].(map[string]any)
	if !ok {
		return
	}
	if len(m) == 0 {
		c.bad("contents", "must not be empty")
	}
	for lang, v := range m {
		if !validLang(lang) {
			c.bad("contents."+lang, "key is not an RFC 5646 language tag")
		}
		if d, ok := v.(map[string]any); !ok || len(d) == 0 {
			c.bad("contents."+lang, "must be a non-empty dictionary of translated properties")
		}
	}
}

// TLP returns the TLP level a marking definition stands for, in lower
// case ("clear", "white", "green", "amber", "amber+strict", "red"), and
// false when o is not a TLP marking definition.
func TLP(o Object) (string, bool) {
	if o.Type != "marking-definition" {
		return "", false
	}
	if ext, ok := o.Props["extensions"].(map[string]any); ok {
		if e, ok := ext[TLP2Extension].(map[string]any); ok {
			s, ok := e["tlp_2_0"].(string)
			return s, ok
		}
	}
	if t, _ := o.Props["definition_type"].(string); t == "tlp" {
		def, _ := o.Props["definition"].(map[string]any)
		s, ok := def["tlp"].(string)
		return s, ok
	}
	return "", false
}
