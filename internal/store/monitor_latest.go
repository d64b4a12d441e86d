package store

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/kyojo-hub/kyojo/internal/monitor"
)

// latestCache remembers, on SQLite, the latest alert of each key that
// applied batches touched, so that applying a batch reads from the
// database only the keys it has not seen. It holds exactly what the
// database holds, not a guess:
//
//   - SQLite has one write connection in this process, and ApplyBatch runs
//     one at a time while holding mu, so no write of this process slips in
//     between reading an entry and writing the alert back;
//   - every write of monitor_alerts here is ApplyBatch, which records the
//     alerts it wrote once they are committed, or SetIncident, which
//     clears the whole cache;
//   - a commit by any other connection (another process on the same file,
//     kyojo ingest beside kyojo serve) changes PRAGMA data_version, which
//     ApplyBatch reads first inside its transaction (taken IMMEDIATE: no
//     other writer commits during it) and which clears the cache;
//   - data_version counts per connection, so the write connection is
//     marked (the temp schema's user_version, which only it sees): a new
//     one, should the pool replace it, clears the cache too.
//
// PostgreSQL has other nodes writing the same rows: it has no cache.
type latestCache struct {
	mu      sync.Mutex
	version int64 // the data_version the entries hold for; 0: no entries
	mark    int32 // the write connection's mark; 0 until one is marked
	m       map[orgAlertKey]monitor.Alert
}

type orgAlertKey struct {
	org string
	alertKey
}

// maxLatest bounds the entries: past it the cache starts again empty
// (alerts live about an hour, a window, in it; a hub with more keys alive
// reads the rest from the database as before).
const maxLatest = 200_000

// check empties the cache unless the database is as the cache last saw
// it; tx must be the batch's write transaction.
func (c *latestCache) check(ctx context.Context, tx *Tx) error {
	var mark int32
	var v int64
	err := tx.queryRowS(ctx, `PRAGMA temp.user_version`).Scan(&mark)
	if err == nil && (mark == 0 || mark != c.mark) {
		// A connection not marked yet: whatever the cache holds was seen
		// through another one.
		c.clear()
		c.mark = rand.Int32N(math.MaxInt32) + 1
		_, err = tx.exec(ctx, `PRAGMA temp.user_version = `+strconv.Itoa(int(c.mark)))
	}
	if err == nil {
		err = tx.queryRowS(ctx, `PRAGMA data_version`).Scan(&v)
	}
	if err != nil {
		c.clear()
		return tx.mapErr(err, "data version")
	}
	if v != c.version {
		c.clear()
		c.version = v
	}
	return nil
}

func (c *latestCache) clear() {
	c.m, c.version = nil, 0
}

// get returns the cached latest alert of k in org, when known.
func (c *latestCache) get(org string, k alertKey) (monitor.Alert, bool) {
	a, ok := c.m[orgAlertKey{org, k}]
	return a, ok
}

// put records alerts as committed: the latest of their keys.
func (c *latestCache) put(org string, as map[alertKey]monitor.Alert) {
	if c.version == 0 {
		return // the version was not read: nothing is known
	}
	if c.m == nil || len(c.m)+len(as) > maxLatest {
		c.m = make(map[orgAlertKey]monitor.Alert, len(as))
	}
	for k, a := range as {
		c.m[orgAlertKey{org, k}] = a
	}
}
