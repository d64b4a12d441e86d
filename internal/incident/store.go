package incident

import (
	"context"
	"io"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// Reader reads cases. Methods that look up one thing return errs.NotFound
// when it does not exist.
type Reader interface {
	Incident(ctx context.Context, id string) (Incident, error) // with its participants
	ListIncidents(ctx context.Context, f Filter) ([]Incident, error)
	CountIncidents(ctx context.Context) (int64, error)
	CaseEntries(ctx context.Context, incidentID string) ([]Entry, error)
	CaseTasks(ctx context.Context, incidentID string) ([]Task, error)
	CaseTask(ctx context.Context, id string) (Task, error)
	CaseLinks(ctx context.Context, incidentID string) ([]Link, error)
	CaseEvidenceFiles(ctx context.Context, incidentID string) ([]Evidence, error)
	CaseEvidenceFile(ctx context.Context, id string) (Evidence, error)
	CaseSearches(ctx context.Context, userID string) ([]SavedSearch, error)
	// Notices returns the newest notices for a person or their organisation.
	CaseNotices(ctx context.Context, userID, orgID string, limit int) ([]Notice, error)
	// DueIncidents returns open cases whose acknowledgement or first
	// response is overdue at now and not yet notified.
	DueIncidents(ctx context.Context, now time.Time, limit int) ([]Incident, error)
	// DueTasks returns open tasks past their due date, not yet notified.
	DueCaseTasks(ctx context.Context, now time.Time, limit int) ([]Task, error)
}

// Tx is one transaction; audit records appended in it commit with it.
type Tx interface {
	Reader
	audit.Appender
	CreateIncident(ctx context.Context, in Incident) error
	UpdateIncident(ctx context.Context, in Incident) error // every field but the participants
	AddParticipant(ctx context.Context, incidentID string, p Participant) error
	AddCaseEntry(ctx context.Context, e Entry) error
	CreateCaseTask(ctx context.Context, t Task) error
	UpdateCaseTask(ctx context.Context, t Task) error
	// ClaimOverdue marks the overdue notice of a case sent if the case is
	// still due at now (as DueIncidents finds it) and not yet notified,
	// and reports whether this call marked it: of several nodes sweeping
	// at once, one sends the notice. Nothing else of the case changes.
	ClaimOverdue(ctx context.Context, id string, now time.Time) (bool, error)
	// ClaimTaskOverdue is ClaimOverdue for a task (as DueCaseTasks finds it).
	ClaimTaskOverdue(ctx context.Context, id string, now time.Time) (bool, error)
	AddCaseLink(ctx context.Context, l Link) error
	AddCaseEvidence(ctx context.Context, e Evidence) error
	SaveCaseSearch(ctx context.Context, s SavedSearch) error
	DeleteCaseSearch(ctx context.Context, id, userID string) error
	AddCaseNotice(ctx context.Context, n Notice) error
}

// Store is the case store.
type Store interface {
	Reader
	Transact(ctx context.Context, fn func(Tx) error) error
}

// Directory is what the service needs of identity.
type Directory interface {
	Org(ctx context.Context, id string) (identity.Org, error)
	OrgBySlug(ctx context.Context, slug string) (identity.Org, error)
	User(ctx context.Context, id string) (identity.User, error)
	UserByUsername(ctx context.Context, username string) (identity.User, error)
	ListUsers(ctx context.Context, f identity.UserFilter) ([]identity.User, error)
	CommunitiesOf(ctx context.Context, orgID string) ([]string, error)
}

// Blobs keeps evidence files by content. Put streams r to storage, hashing
// it, and refuses (errs.TooLarge) more than limit bytes without keeping
// anything; a file already stored is kept once.
type Blobs interface {
	Put(ctx context.Context, r io.Reader, limit int64, malware bool, name string) (sha256 string, size int64, err error)
	Open(sha256 string, malware bool) (io.ReadCloser, error)
}

// Sender delivers notices outside the hub (e-mail, webhooks). It is called
// after the notice is committed; failures are logged by the sender.
type Sender interface {
	Send(ctx context.Context, n Notice, to []identity.User)
}
