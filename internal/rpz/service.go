package rpz

import (
	"context"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Report is a false-positive report sent from the warning page.
type Report struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`              // the blocked name
	Reason    string     `json:"reason"`            // why the reporter thinks it is safe
	Contact   string     `json:"contact,omitempty"` // optional e-mail address
	Lang      string     `json:"lang"`
	Remote    string     `json:"remote"` // the reporter's network, truncated
	Status    string     `json:"status"` // open, accepted, rejected
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	DecidedBy string     `json:"decided_by,omitempty"`
	Note      string     `json:"note,omitempty"` // the reviewer's note
}

// Report statuses.
const (
	ReportOpen     = "open"
	ReportAccepted = "accepted"
	ReportRejected = "rejected"
)

// Limits of a report.
const (
	MaxReason  = 2000
	MaxContact = 254
)

// ParseReport reads the warning page's report form (name, reason,
// contact, lang) and checks it; errors name the field.
func ParseReport(form url.Values) (Report, error) {
	var l errs.List
	r := Report{
		Name:    strings.TrimSuffix(strings.ToLower(strings.TrimSpace(form.Get("name"))), "."),
		Reason:  strings.TrimSpace(form.Get("reason")),
		Contact: strings.TrimSpace(form.Get("contact")),
		Lang:    form.Get("lang"),
	}
	if !CheckName(r.Name) {
		l.Add(errs.Invalid, "name", "give the blocked site's domain name")
	}
	switch {
	case !utf8.ValidString(r.Reason):
		l.Add(errs.Malformed, "reason", "is not UTF-8 text")
	case r.Reason == "":
		l.Add(errs.Invalid, "reason", "say why you think the site is safe")
	case utf8.RuneCountInString(r.Reason) > MaxReason:
		l.Add(errs.TooLarge, "reason", "at most %d characters", MaxReason)
	}
	if r.Contact != "" && (len(r.Contact) > MaxContact || !utf8.ValidString(r.Contact) || strings.Count(r.Contact, "@") != 1 ||
		strings.ContainsAny(r.Contact, " \t\r\n<>")) {
		l.Add(errs.Invalid, "contact", "give an e-mail address, or leave it empty")
	}
	if r.Lang != "ja" && r.Lang != "en" {
		r.Lang = "ja"
	}
	return r, l.Err()
}

// Truncate hides the host part of a client address: /24 for IPv4 and /48
// for IPv6 unless bits say otherwise (then v4 and v6 prefix lengths).
func Truncate(a netip.Addr, v4, v6 int) netip.Prefix {
	a = a.Unmap()
	bits := v6
	if a.Is4() {
		bits = v4
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// Store keeps the RPZ definitions. Writes that carry an audit record
// append it in the same transaction.
type Store interface {
	PutRPZFeed(ctx context.Context, f Feed, rec *audit.Record) error
	DeleteRPZFeed(ctx context.Context, id string, rec *audit.Record) error
	RPZFeeds(ctx context.Context) ([]Feed, error)
	PutRPZSubscriber(ctx context.Context, s Subscriber, rec *audit.Record) error
	DeleteRPZSubscriber(ctx context.Context, id string, rec *audit.Record) error
	RPZSubscribers(ctx context.Context) ([]Subscriber, error)
	PutRPZAllow(ctx context.Context, a Allow, rec *audit.Record) error
	DeleteRPZAllow(ctx context.Context, name string, rec *audit.Record) error
	RPZAllowlist(ctx context.Context) ([]Allow, error)
	AddRPZReport(ctx context.Context, r Report) error
	RPZReport(ctx context.Context, id string) (Report, error)
	RPZReports(ctx context.Context, status string, limit int) ([]Report, error)
	// DecideRPZReport stores the decided report and, when allow is set,
	// the allowlist entry, with rec, in one transaction. A report that is
	// no longer open is errs.Conflict.
	DecideRPZReport(ctx context.Context, r Report, allow *Allow, rec *audit.Record) error
	AppendRPZJournal(ctx context.Context, zoneKey string, d Delta, at time.Time) error
	RPZLastSerial(ctx context.Context, zoneKey string) (uint32, error)
}

// Service holds the RPZ use cases: hub administrators define feeds and
// subscribers and review false-positive reports; anyone may report.
type Service struct {
	store Store
	now   func() time.Time

	mu      sync.Mutex
	window  time.Time
	reports map[string]int // reports per truncated network in the current hour
}

// MaxReportsPerHour is how many false-positive reports one network (/24,
// /48) may file in an hour on one node.
const MaxReportsPerHour = 20

// NewService returns a Service; now defaults to time.Now.
func NewService(st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, now: now}
}

// Store returns the service's store.
func (s *Service) Store() Store { return s.store }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Service) allow(a identity.Actor) error {
	return policy.Decide(a.Viewer, policy.ManageRPZ, policy.Target{})
}

// AddFeed defines a feed, or replaces the one with f.ID; a zone another
// feed has is errs.Conflict.
func (s *Service) AddFeed(ctx context.Context, a identity.Actor, f Feed) (Feed, error) {
	if err := s.allow(a); err != nil {
		return Feed{}, err
	}
	if err := f.Validate(); err != nil {
		return Feed{}, err
	}
	if f.ID == "" {
		f.ID = uuid.Must(uuid.NewV7()).String()
	}
	rec := a.Record(s.clock(), "rpz.feed.put", "rpz_feed", f.ID, "", audit.Success, f)
	return f, s.store.PutRPZFeed(ctx, f, rec)
}

// DeleteFeed removes a feed.
func (s *Service) DeleteFeed(ctx context.Context, a identity.Actor, id string) error {
	if err := s.allow(a); err != nil {
		return err
	}
	return s.store.DeleteRPZFeed(ctx, id, a.Record(s.clock(), "rpz.feed.delete", "rpz_feed", id, "", audit.Success, nil))
}

// Feeds lists the feeds (hub administrators).
func (s *Service) Feeds(ctx context.Context, a identity.Actor) ([]Feed, error) {
	if err := s.allow(a); err != nil {
		return nil, err
	}
	return s.store.RPZFeeds(ctx)
}

// AddSubscriber defines a subscriber, or replaces the one with its ID.
// Its feeds must exist.
func (s *Service) AddSubscriber(ctx context.Context, a identity.Actor, sub Subscriber) (Subscriber, error) {
	if err := s.allow(a); err != nil {
		return Subscriber{}, err
	}
	if err := sub.Validate(); err != nil {
		return Subscriber{}, err
	}
	feeds, err := s.store.RPZFeeds(ctx)
	if err != nil {
		return Subscriber{}, err
	}
	for _, id := range sub.Feeds {
		if !slices.ContainsFunc(feeds, func(f Feed) bool { return f.ID == id }) {
			return Subscriber{}, errs.F(errs.Invalid, "feeds", "no feed %q", id)
		}
	}
	if sub.ID == "" {
		sub.ID = uuid.Must(uuid.NewV7()).String()
	}
	shown := sub
	shown.Secret = ""
	rec := a.Record(s.clock(), "rpz.subscriber.put", "rpz_subscriber", sub.ID, sub.OrgID, audit.Success, shown)
	return sub, s.store.PutRPZSubscriber(ctx, sub, rec)
}

// DeleteSubscriber removes a subscriber.
func (s *Service) DeleteSubscriber(ctx context.Context, a identity.Actor, id string) error {
	if err := s.allow(a); err != nil {
		return err
	}
	return s.store.DeleteRPZSubscriber(ctx, id, a.Record(s.clock(), "rpz.subscriber.delete", "rpz_subscriber", id, "", audit.Success, nil))
}

// Subscribers lists the subscribers, secrets left out.
func (s *Service) Subscribers(ctx context.Context, a identity.Actor) ([]Subscriber, error) {
	if err := s.allow(a); err != nil {
		return nil, err
	}
	subs, err := s.store.RPZSubscribers(ctx)
	for i := range subs {
		subs[i].Secret = ""
	}
	return subs, err
}

// Allowlist lists the allowlist (hub administrators).
func (s *Service) Allowlist(ctx context.Context, a identity.Actor) ([]Allow, error) {
	if err := s.allow(a); err != nil {
		return nil, err
	}
	return s.store.RPZAllowlist(ctx)
}

// AddAllow adds a name to the allowlist.
func (s *Service) AddAllow(ctx context.Context, a identity.Actor, al Allow) (Allow, error) {
	if err := s.allow(a); err != nil {
		return Allow{}, err
	}
	al.Name = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(al.Name)), ".")
	if !CheckName(al.Name) {
		return Allow{}, errs.F(errs.Invalid, "name", "%q is not a domain name", al.Name)
	}
	al.CreatedAt = s.clock()
	return al, s.store.PutRPZAllow(ctx, al, a.Record(s.clock(), "rpz.allow.put", "rpz_allow", al.Name, "", audit.Success, al))
}

// DeleteAllow takes a name off the allowlist.
func (s *Service) DeleteAllow(ctx context.Context, a identity.Actor, name string) error {
	if err := s.allow(a); err != nil {
		return err
	}
	return s.store.DeleteRPZAllow(ctx, name, a.Record(s.clock(), "rpz.allow.delete", "rpz_allow", name, "", audit.Success, nil))
}

// Report files a false-positive report (anyone; remote is the reporter's
// address, kept truncated).
func (s *Service) Report(ctx context.Context, r Report, remote netip.Addr) (Report, error) {
	r.ID = uuid.Must(uuid.NewV7()).String()
	r.Status = ReportOpen
	r.CreatedAt = s.clock()
	if remote.IsValid() {
		r.Remote = Truncate(remote, 24, 48).String()
	}
	if err := s.limit(r.Remote, r.CreatedAt); err != nil {
		return Report{}, err
	}
	r.DecidedAt, r.DecidedBy, r.Note = nil, "", ""
	return r, s.store.AddRPZReport(ctx, r)
}

func (s *Service) limit(network string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.window) >= time.Hour || s.reports == nil {
		s.window, s.reports = now, map[string]int{}
	}
	if s.reports[network] >= MaxReportsPerHour {
		return errs.E(errs.RateLimited, "too many reports from your network; try again in an hour")
	}
	s.reports[network]++
	return nil
}

// Reports lists reports with a status ("" for all), newest first.
func (s *Service) Reports(ctx context.Context, a identity.Actor, status string) ([]Report, error) {
	if err := s.allow(a); err != nil {
		return nil, err
	}
	return s.store.RPZReports(ctx, status, 1000)
}

// Decide accepts or rejects an open report; an accepted one puts its name
// on the allowlist in the same transaction.
func (s *Service) Decide(ctx context.Context, a identity.Actor, id string, accept bool, note string) (Report, error) {
	if err := s.allow(a); err != nil {
		return Report{}, err
	}
	r, err := s.store.RPZReport(ctx, id)
	if err != nil {
		return Report{}, err
	}
	if r.Status != ReportOpen {
		return Report{}, errs.E(errs.Conflict, "the report was %s already", r.Status)
	}
	if utf8.RuneCountInString(note) > MaxReason {
		return Report{}, errs.F(errs.TooLarge, "note", "at most %d characters", MaxReason)
	}
	now := s.clock()
	r.Status, r.DecidedAt, r.DecidedBy, r.Note = ReportRejected, &now, a.Username, note
	var al *Allow
	if accept {
		r.Status = ReportAccepted
		al = &Allow{Name: r.Name, Reason: "false-positive report " + r.ID, ReportID: r.ID, CreatedAt: now}
	}
	rec := a.Record(now, "rpz.report."+r.Status, "rpz_report", r.ID, "", audit.Success, map[string]string{"name": r.Name})
	return r, s.store.DecideRPZReport(ctx, r, al, rec)
}
