package incident

import (
	"context"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// CheckFileName refuses names that are empty, too long, not UTF-8, hold
// control characters or path separators, or are "." or "..": a name is
// shown and offered for download, never used as a path.
func CheckFileName(name string) error {
	switch {
	case name == "":
		return errs.F(errs.Invalid, "name", "a file name is required")
	case len(name) > MaxFileName:
		return errs.F(errs.TooLarge, "name", "is longer than %d bytes", MaxFileName)
	case !utf8.ValidString(name):
		return errs.F(errs.Invalid, "name", "is not valid UTF-8")
	case strings.ContainsAny(name, `/\`) || name == "." || name == ".." || strings.Contains(name, ".."):
		return errs.F(errs.Invalid, "name", "%q looks like a path: give a plain file name", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return errs.F(errs.Invalid, "name", "holds a control character")
		}
	}
	return nil
}

// EvidenceInput describes an uploaded file.
type EvidenceInput struct {
	Name    string
	Malware bool       // kept zipped; see Blobs
	TLP     policy.TLP // the case's by default
}

// AddEvidence streams r into the blob store (hashing it with SHA-256 on
// the way, refusing more than the configured limit without keeping
// anything) and attaches it to the case.
func (s *Service) AddEvidence(ctx context.Context, a identity.Actor, id string, ei EvidenceInput, r io.Reader) (Evidence, error) {
	if s.blobs == nil {
		return Evidence{}, errs.E(errs.Unavailable, "this hub keeps no evidence files")
	}
	if err := CheckFileName(ei.Name); err != nil {
		return Evidence{}, err
	}
	in, _, err := s.load(ctx, s.store, a, id, policy.WorkCase)
	if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) {
		return Evidence{}, s.deny(ctx, a, "incident.evidence", id, "", err)
	} else if err != nil {
		return Evidence{}, err
	}
	var l errs.List
	itemTLP(&l, "tlp", &ei.TLP, in)
	if err := l.Err(); err != nil {
		return Evidence{}, err
	}
	sum, size, err := s.blobs.Put(ctx, r, s.opt.MaxEvidence, ei.Malware, ei.Name)
	if err != nil {
		return Evidence{}, err
	}
	var out Evidence
	_, err = s.change(ctx, a, id, policy.WorkCase, "incident.evidence", func(tx Tx, in *Incident, now time.Time) (any, []Notice, error) {
		ev := Evidence{ID: newID(), IncidentID: in.ID, Name: ei.Name, SHA256: sum, Size: size, Malware: ei.Malware, TLP: ei.TLP,
			AuthorOrg: a.OrgID, AuthorUser: a.UserID, CreatedAt: now}
		if err := tx.AddCaseEvidence(ctx, ev); err != nil {
			return nil, nil, err
		}
		if err := tx.AddCaseEntry(ctx, Entry{ID: newID(), IncidentID: in.ID, Kind: KindEvidence, Body: "evidence " + ev.Name + " sha256:" + sum,
			TLP: ev.TLP, AuthorOrg: a.OrgID, AuthorUser: a.UserID, At: now, CreatedAt: now}); err != nil {
			return nil, nil, err
		}
		out = ev
		return ev, nil, nil
	})
	return out, err
}

// OpenEvidence returns an evidence file the viewer may see, and its
// content (zipped when it is malware). The download is audited.
func (s *Service) OpenEvidence(ctx context.Context, a identity.Actor, evID string) (Evidence, io.ReadCloser, error) {
	if s.blobs == nil {
		return Evidence{}, nil, errs.E(errs.Unavailable, "this hub keeps no evidence files")
	}
	if a.Anonymous() {
		return Evidence{}, nil, errs.E(errs.Unauthenticated, "sign in first")
	}
	ev, err := s.store.CaseEvidenceFile(ctx, evID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Evidence{}, nil, errs.E(errs.NotFound, "no such evidence file")
		}
		return Evidence{}, nil, err
	}
	in, c, err := s.load(ctx, s.store, a, ev.IncidentID, policy.ReadCase)
	if err == nil && !policy.CanSeeCaseItem(member(a), c, ev.item()) {
		err = errs.E(errs.NotFound, "no such evidence file")
	}
	if err != nil {
		if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) {
			return Evidence{}, nil, s.deny(ctx, a, "incident.evidence.read", ev.IncidentID, "", errs.E(errs.NotFound, "no such evidence file"))
		}
		return Evidence{}, nil, err
	}
	rc, err := s.blobs.Open(ev.SHA256, ev.Malware)
	if err != nil {
		return Evidence{}, nil, err
	}
	if err := s.logRead(ctx, a, "incident.evidence.read", in, map[string]string{"evidence": ev.ID, "sha256": ev.SHA256}); err != nil {
		rc.Close()
		return Evidence{}, nil, err
	}
	return ev, rc, nil
}
