package convert

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// ExportOptions configures ToMISPFeed.
type ExportOptions struct {
	OrgName string // Orgc name when the creator identity is not among the objects; default "kyojo"
	OrgUUID string // Orgc uuid when an object has no created_by_ref; default derived from OrgName
}

type mispOut struct {
	UUID             string        `json:"uuid"`
	Info             string        `json:"info"`
	Date             string        `json:"date"`
	Timestamp        string        `json:"timestamp"`
	PublishTimestamp string        `json:"publish_timestamp"`
	Published        bool          `json:"published"`
	Analysis         string        `json:"analysis"`
	ThreatLevelID    string        `json:"threat_level_id"`
	Orgc             mispOrgOut    `json:"Orgc"`
	Tag              []mispTagOut  `json:"Tag"`
	Attribute        []mispAttrOut `json:"Attribute,omitempty"`
}

type mispOrgOut struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

type mispTagOut struct {
	Name string `json:"name"`
}

type mispAttrOut struct {
	UUID      string       `json:"uuid"`
	Type      string       `json:"type"`
	Category  string       `json:"category"`
	ToIDs     bool         `json:"to_ids"`
	Value     string       `json:"value"`
	Timestamp string       `json:"timestamp"`
	Comment   string       `json:"comment,omitempty"`
	FirstSeen string       `json:"first_seen,omitempty"`
	LastSeen  string       `json:"last_seen,omitempty"`
	Tag       []mispTagOut `json:"Tag,omitempty"`
}

// mispType maps an exporter kind to a MISP attribute type and category.
func mispType(k Kind) (string, string) {
	switch k {
	case KindIPv4, KindIPv6, KindCIDR:
		return "ip-dst", "Network activity"
	case KindDomain:
		return "domain", "Network activity"
	case KindURL:
		return "url", "Network activity"
	case KindEmail:
		return "email", "Payload delivery"
	case "mac":
		return "mac-address", "Network activity"
	case KindMD5, KindSHA1, KindSHA256, KindSHA512:
		return string(k), "Payload delivery"
	case "file:hashes.SHA-224", "file:hashes.SHA-384", "file:hashes.SSDEEP", "file:hashes.TLSH":
		return map[Kind]string{"file:hashes.SHA-224": "sha224", "file:hashes.SHA-384": "sha384", "file:hashes.SSDEEP": "ssdeep", "file:hashes.TLSH": "tlsh"}[k], "Payload delivery"
	case "x509-certificate:hashes.MD5", "x509-certificate:hashes.SHA-1", "x509-certificate:hashes.SHA-256":
		return map[Kind]string{"x509-certificate:hashes.MD5": "x509-fingerprint-md5", "x509-certificate:hashes.SHA-1": "x509-fingerprint-sha1", "x509-certificate:hashes.SHA-256": "x509-fingerprint-sha256"}[k], "Network activity"
	}
	return "", ""
}

func epochOf(s string) string {
	if t, ok := parseStix(s); ok {
		return strconv.FormatInt(t.Unix(), 10)
	}
	return "0"
}

func tagsOf(o *stixIn) []mispTagOut {
	var tags []mispTagOut
	if n := tlpOf(o.Markings); n != "" {
		tags = append(tags, mispTagOut{Name: "tlp:" + n})
	}
	for _, l := range o.Labels {
		tags = append(tags, mispTagOut{Name: l})
	}
	return tags
}

// attributesOf maps an indicator to MISP attributes: one per simple
// observable (the first keeps the indicator's uuid, the others get
// UUIDv5(indicator id, index)), or one "stix2-pattern" attribute holding the
// whole pattern when the pattern is not simple. Attributes have to_ids true.
func attributesOf(o *stixIn) []mispAttrOut {
	u, _ := uuidOf(o.ID)
	base := mispAttrOut{Timestamp: epochOf(o.Modified), Comment: o.Description, ToIDs: true, Tag: tagsOf(o)}
	if t, ok := parseStix(o.ValidFrom); ok {
		base.FirstSeen = t.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	if t, ok := parseStix(o.ValidUntil); ok {
		base.LastSeen = t.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	obs, ok := o.observables()
	var out []mispAttrOut
	if ok {
		for i, ob := range obs {
			typ, cat := mispType(kindOf(ob))
			if typ == "" {
				ok = false
				break
			}
			a := base
			a.UUID, a.Type, a.Category, a.Value = u, typ, cat, ob.Value
			if i > 0 {
				a.UUID = uuid5(o.ID, strconv.Itoa(i))
			}
			out = append(out, a)
		}
	}
	if !ok {
		a := base
		a.UUID, a.Type, a.Category, a.Value = u, "stix2-pattern", "Network activity", o.Pattern
		out = []mispAttrOut{a}
	}
	return out
}

// ToMISPFeed builds a MISP feed from STIX objects: the manifest.json bytes
// and, per event uuid, the bytes of <uuid>.json ({"Event":{…}}). Each report
// or grouping becomes an event with its uuid (info = name, date and
// publish_timestamp from published or created, timestamp from modified,
// Orgc from created_by_ref and the identity object when present, tags from
// its TLP marking and labels) holding the indicators it references as
// attributes (see attributesOf: simple observables as typed attributes,
// other patterns as stix2-pattern). Indicators no report or grouping
// references are grouped into one event per UTC day of valid_from and
// creator, uuid UUIDv5("loose", creator, day), info "Indicators of <day>
// from <creator name>". Revoked indicators are left out; an event with no
// attribute left is still written. Objects must already be filtered to what
// the viewer may see. Errors: Malformed for an object that does not decode.
func ToMISPFeed(objs []json.RawMessage, opt ExportOptions) (manifest []byte, events map[string][]byte, err error) {
	in, err := parseObjects(objs)
	if err != nil {
		return nil, nil, err
	}
	if opt.OrgName == "" {
		opt.OrgName = "kyojo"
	}
	if opt.OrgUUID == "" {
		opt.OrgUUID = uuid5("org", opt.OrgName)
	}
	byID := map[string]*stixIn{}
	names := map[string]string{}
	for i := range in {
		byID[in[i].ID] = &in[i]
		if in[i].Type == "identity" {
			names[in[i].ID] = in[i].Name
		}
	}
	org := func(ref string) mispOrgOut {
		if u, ok := uuidOf(ref); ok {
			n := names[ref]
			if n == "" {
				n = u
			}
			return mispOrgOut{Name: n, UUID: u}
		}
		return mispOrgOut{Name: opt.OrgName, UUID: opt.OrgUUID}
	}
	var evs []*mispOut
	used := map[string]bool{}
	for i := range in {
		o := &in[i]
		if o.Type != "report" && o.Type != "grouping" {
			continue
		}
		u, _ := uuidOf(o.ID)
		when := o.Published
		if when == "" {
			when = o.Created
		}
		t, _ := parseStix(when)
		ev := &mispOut{UUID: u, Info: o.Name, Date: t.UTC().Format("2006-01-02"), Timestamp: epochOf(o.Modified),
			PublishTimestamp: epochOf(when), Published: true, Analysis: "2", ThreatLevelID: "4", Orgc: org(o.CreatedByRef), Tag: tagsOf(o)}
		for _, ref := range o.ObjectRefs {
			if ind := byID[ref]; ind != nil && ind.Type == "indicator" {
				used[ref] = true
				if !ind.Revoked {
					ev.Attribute = append(ev.Attribute, attributesOf(ind)...)
				}
			}
		}
		evs = append(evs, ev)
	}
	loose := map[string]*mispOut{}
	for i := range in {
		o := &in[i]
		if o.Type != "indicator" || used[o.ID] || o.Revoked {
			continue
		}
		t, ok := parseStix(o.ValidFrom)
		if !ok {
			t, _ = parseStix(o.Created)
		}
		day := t.UTC().Format("2006-01-02")
		key := o.CreatedByRef + "\x00" + day
		ev := loose[key]
		if ev == nil {
			og := org(o.CreatedByRef)
			ev = &mispOut{UUID: uuid5("loose", o.CreatedByRef, day), Info: "Indicators of " + day + " from " + og.Name, Date: day,
				Published: true, Analysis: "2", ThreatLevelID: "4", Orgc: og, Tag: []mispTagOut{}}
			loose[key] = ev
			evs = append(evs, ev)
		}
		ev.Attribute = append(ev.Attribute, attributesOf(o)...)
		ts, _ := strconv.ParseInt(epochOf(o.Modified), 10, 64)
		if cur, _ := strconv.ParseInt(ev.Timestamp, 10, 64); ts > cur {
			ev.Timestamp = strconv.FormatInt(ts, 10)
		}
	}
	type entry struct {
		Orgc          mispOrgOut   `json:"Orgc"`
		Tag           []mispTagOut `json:"Tag"`
		Info          string       `json:"info"`
		Date          string       `json:"date"`
		Analysis      string       `json:"analysis"`
		ThreatLevelID string       `json:"threat_level_id"`
		Timestamp     string       `json:"timestamp"`
	}
	man := map[string]entry{}
	events = map[string][]byte{}
	for _, ev := range evs {
		if ev.Timestamp == "" || ev.Timestamp == "0" {
			ev.Timestamp = strconv.FormatInt(time.Now().Unix(), 10)
		}
		if ev.PublishTimestamp == "" {
			ev.PublishTimestamp = ev.Timestamp
		}
		if ev.Tag == nil {
			ev.Tag = []mispTagOut{}
		}
		b, err := json.Marshal(map[string]any{"Event": ev})
		if err != nil {
			return nil, nil, errs.Wrap(err, "convert: encode MISP event")
		}
		events[ev.UUID] = b
		man[ev.UUID] = entry{Orgc: ev.Orgc, Tag: ev.Tag, Info: ev.Info, Date: ev.Date, Analysis: ev.Analysis, ThreatLevelID: ev.ThreatLevelID, Timestamp: ev.Timestamp}
	}
	manifest, err = json.Marshal(man)
	if err != nil {
		return nil, nil, errs.Wrap(err, "convert: encode manifest")
	}
	return manifest, events, nil
}
