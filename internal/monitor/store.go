package monitor

import (
	"context"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
)

// Store keeps sensors, processed batches, alerts and raw events. Lookups
// of one thing return errs.NotFound when it does not exist.
type Store interface {
	// CreateSensor stores a sensor with the hash of its token and the
	// audit record of its creation, in one transaction.
	CreateSensor(ctx context.Context, s Sensor, tokenHash string, rec *audit.Record) error
	// Sensor returns one sensor with its health counters.
	Sensor(ctx context.Context, id string) (Sensor, error)
	// SensorByToken returns the sensor whose token hashes to hash.
	SensorByToken(ctx context.Context, hash string) (Sensor, error)
	// Sensors returns the sensors of the organisations (every sensor when
	// orgIDs is nil), with health counters (EventsPerSec over the minute
	// before now).
	Sensors(ctx context.Context, orgIDs []string, now time.Time) ([]Sensor, error)
	// ApplyBatch applies a processed batch in one transaction: it records
	// b.ID, adds the counts to the sensor, joins each hit to the alert of
	// its (organisation, indicator, value) last seen within b.Window
	// before the hit or opens a new one, links the alerts to the batch,
	// and keeps b.Raw until b.Expires. A batch id applied before changes
	// nothing and gives applied false. It returns the alerts touched.
	ApplyBatch(ctx context.Context, b Batch) (applied bool, alerts []Alert, err error)
	// BatchSeen reports whether a batch id was applied (and is still
	// remembered: see store.BatchHorizon).
	BatchSeen(ctx context.Context, batchID string) (bool, error)
	// SetIncident records the incident an alert went to.
	SetIncident(ctx context.Context, alertID, incidentID string) error
	// Alerts returns alerts matching f, latest last_seen first.
	Alerts(ctx context.Context, f AlertFilter) ([]Alert, error)
	// Alert returns one alert.
	Alert(ctx context.Context, id string) (Alert, error)
	// AlertRaw returns the kept raw batches an alert was built from, at
	// most limit, newest first.
	AlertRaw(ctx context.Context, alertID string, limit int) ([]Raw, error)
	// RawBatch returns one kept raw batch (errs.NotFound when it is not
	// kept, or no longer).
	RawBatch(ctx context.Context, batchID string) (Raw, error)
	// TopIndicators sums alerts last seen since, by indicator value.
	TopIndicators(ctx context.Context, orgIDs []string, since time.Time, limit int) ([]TopIndicator, error)
	// PurgeRaw deletes raw batches expired at now, except those of the
	// organisations in held (under legal hold); it returns how many.
	PurgeRaw(ctx context.Context, now time.Time, held []string) (int64, error)
	// AppendAudits appends audit records, in order, in one transaction.
	AppendAudits(ctx context.Context, rs []*audit.Record) error
}
