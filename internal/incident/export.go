package incident

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/stix"
)

// Export formats.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
	FormatSTIX = "stix"
)

// Export returns the case as the viewer may see it, in format, with its
// content type. Everything exported passed policy (through Get).
func (s *Service) Export(ctx context.Context, a identity.Actor, id, format string) ([]byte, string, error) {
	switch format {
	case "", FormatJSON, FormatCSV, FormatSTIX:
	default:
		return nil, "", errs.F(errs.Invalid, "format", "unknown format %q: json, csv or stix", format)
	}
	v, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	if err := s.logRead(ctx, a, "incident.export", v.Incident, map[string]string{"format": format}); err != nil {
		return nil, "", err
	}
	switch format {
	case FormatCSV:
		return TimelineCSV(v), "text/csv; charset=utf-8", nil
	case FormatSTIX:
		b, err := STIXBundle(v)
		return b, "application/stix+json;version=2.1", err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	return b, "application/json", err
}

// csvSafe keeps spreadsheet programs from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// TimelineCSV writes the case's visible timeline, one entry a row.
func TimelineCSV(v View) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"case", "at", "kind", "tlp", "author_org", "author_user", "body"})
	for _, e := range v.Entries {
		w.Write([]string{v.Ref, e.At.Format(time.RFC3339), string(e.Kind), string(e.TLP), e.AuthorOrg, e.AuthorUser, csvSafe(e.Body)})
	}
	w.Flush()
	return b.Bytes()
}

// ListCSV writes a list of cases, one a row.
func ListCSV(list []Incident) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"ref", "id", "title", "status", "severity", "tlp", "owner_org", "affected_org", "sector", "escalated", "created_at"})
	for _, in := range list {
		w.Write([]string{in.Ref, in.ID, csvSafe(in.Title), string(in.Status), in.Severity.String(), string(in.TLP), in.OwnerOrg,
			in.AffectedOrg, string(in.Sector), boolStr(in.Escalated), in.CreatedAt.Format(time.RFC3339)})
	}
	w.Flush()
	return b.Bytes()
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// STIXBundle writes the case as a STIX 2.1 bundle: the incident SDO, an
// indicator for each observable, and related-to relationships to those
// and to the linked indicators. Every object is checked by package stix.
func STIXBundle(v View) ([]byte, error) {
	if !v.Details {
		return nil, errs.E(errs.Forbidden, "the case's details are not yours to export")
	}
	incID := "incident--" + v.ID
	marking := []string{v.TLP.Marking()}
	objs := []map[string]any{{
		"type": "incident", "spec_version": "2.1", "id": incID, "created": stixTime(v.CreatedAt), "modified": stixTime(v.UpdatedAt),
		"name": v.Title, "description": v.Summary, "object_marking_refs": marking,
		"external_references": []map[string]string{{"source_name": "kyojo", "external_id": v.Ref}},
		"x_kyojo_status":      string(v.Status), "x_kyojo_severity": v.Severity.String(), "x_kyojo_score": v.Score.Points,
		"x_kyojo_systems": v.Systems,
	}}
	rel := func(target string, at time.Time) {
		id := "relationship--" + uuid.NewSHA1(indicatorNS, []byte(incID+"|"+target)).String()
		objs = append(objs, map[string]any{"type": "relationship", "spec_version": "2.1", "id": id, "created": stixTime(at),
			"modified": stixTime(at), "relationship_type": "related-to", "source_ref": incID, "target_ref": target, "object_marking_refs": marking})
	}
	for _, l := range v.Links {
		switch l.Kind {
		case LinkIndicator:
			rel(l.Ref, l.CreatedAt)
		case LinkObservable:
			raw, id, ok := indicator(v.ID, Observable{Type: l.Type, Value: l.Ref}, l.CreatedAt)
			if !ok {
				continue
			}
			var o map[string]any
			json.Unmarshal(raw, &o)
			o["object_marking_refs"] = []string{policy.Stricter(v.TLP, l.TLP).Marking()}
			objs = append(objs, o)
			rel(id, l.CreatedAt)
		}
	}
	for i, o := range objs {
		raw, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		if _, err := stix.Parse(raw); err != nil {
			return nil, errs.Wrap(err, "stix export: object "+itoa(i))
		}
	}
	return json.MarshalIndent(map[string]any{"type": "bundle", "id": "bundle--" + uuid.NewString(), "objects": objs}, "", "  ")
}
