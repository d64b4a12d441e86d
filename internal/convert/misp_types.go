package convert

// The MISP JSON the importers read; unknown fields are ignored.

import (
	"encoding/json"
	"fmt"
	"strings"
)

// mstr is a MISP scalar: MISP writes numbers and booleans sometimes as JSON
// strings, sometimes not.
type mstr string

func (s *mstr) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = mstr(v)
		return nil
	}
	if string(b) == "null" {
		*s = ""
		return nil
	}
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return fmt.Errorf("want a scalar, got %.20s", b)
	}
	*s = mstr(b)
	return nil
}

func (s mstr) bool() bool {
	switch strings.ToLower(string(s)) {
	case "true", "1":
		return true
	}
	return false
}

type mispOrg struct {
	UUID mstr `json:"uuid"`
	Name mstr `json:"name"`
}

type mispTag struct {
	Name mstr `json:"name"`
}

type mispSighting struct {
	UUID          mstr     `json:"uuid"`
	Type          mstr     `json:"type"`
	DateSighting  mstr     `json:"date_sighting"`
	Source        mstr     `json:"source"`
	AttributeUUID mstr     `json:"attribute_uuid"`
	Org           *mispOrg `json:"Organisation"`
}

type mispAttr struct {
	UUID      mstr           `json:"uuid"`
	Type      mstr           `json:"type"`
	Category  mstr           `json:"category"`
	Value     mstr           `json:"value"`
	Comment   mstr           `json:"comment"`
	ToIDs     mstr           `json:"to_ids"`
	Timestamp mstr           `json:"timestamp"`
	FirstSeen mstr           `json:"first_seen"`
	LastSeen  mstr           `json:"last_seen"`
	Relation  mstr           `json:"object_relation"`
	Deleted   mstr           `json:"deleted"`
	Tags      []mispTag      `json:"Tag"`
	Galaxies  []mispGalaxy   `json:"Galaxy"`
	Sightings []mispSighting `json:"Sighting"`
}

type mispObject struct {
	UUID      mstr       `json:"uuid"`
	Name      mstr       `json:"name"`
	Comment   mstr       `json:"comment"`
	Timestamp mstr       `json:"timestamp"`
	Deleted   mstr       `json:"deleted"`
	Attrs     []mispAttr `json:"Attribute"`
}

type mispCluster struct {
	UUID        mstr                       `json:"uuid"`
	Collection  mstr                       `json:"collection_uuid"`
	Value       mstr                       `json:"value"`
	Description mstr                       `json:"description"`
	Type        mstr                       `json:"type"`
	Meta        map[string]json.RawMessage `json:"meta"`
}

type mispGalaxy struct {
	Type     mstr          `json:"type"`
	Name     mstr          `json:"name"`
	Clusters []mispCluster `json:"GalaxyCluster"`
}

type mispEvent struct {
	UUID             mstr           `json:"uuid"`
	Info             mstr           `json:"info"`
	Date             mstr           `json:"date"`
	Timestamp        mstr           `json:"timestamp"`
	PublishTimestamp mstr           `json:"publish_timestamp"`
	Orgc             *mispOrg       `json:"Orgc"`
	Org              *mispOrg       `json:"Org"`
	Tags             []mispTag      `json:"Tag"`
	Attrs            []mispAttr     `json:"Attribute"`
	Objects          []mispObject   `json:"Object"`
	Galaxies         []mispGalaxy   `json:"Galaxy"`
	Sightings        []mispSighting `json:"Sighting"`
}
