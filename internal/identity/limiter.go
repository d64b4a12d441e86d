package identity

import (
	"sync"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Limits on failed sign-ins within LimitWindow. Per username they slow
// guessing one password; per address they slow spraying many usernames.
const (
	LimitWindow  = 15 * time.Minute
	LimitPerUser = 10
	LimitPerAddr = 50
)

// Limiter counts failed sign-ins per key in a fixed window. It is per node:
// with N nodes behind a balancer an attacker gets at most N times the limit,
// which argon2id's cost still makes slow. Safe for concurrent use; mu guards
// fails.
type Limiter struct {
	now   func() time.Time
	mu    sync.Mutex
	fails map[string]window
}

type window struct {
	start time.Time
	n     int
}

// NewLimiter returns an empty limiter reading the time from now.
func NewLimiter(now func() time.Time) *Limiter {
	return &Limiter{now: now, fails: map[string]window{}}
}

func limitFor(key string) int {
	if len(key) > 3 && key[:3] == "ip:" {
		return LimitPerAddr
	}
	return LimitPerUser
}

// Allow returns errs.RateLimited when any key has reached its limit in the
// current window.
func (l *Limiter) Allow(keys ...string) error {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		w, ok := l.fails[k]
		if ok && now.Sub(w.start) < LimitWindow && w.n >= limitFor(k) {
			wait := LimitWindow - now.Sub(w.start)
			return &errs.Error{Code: errs.RateLimited,
				Message: "too many failed sign-ins; try again in " + wait.Round(time.Minute).String()}
		}
	}
	return nil
}

// Fail counts one failure against each key.
func (l *Limiter) Fail(keys ...string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > 100_000 { // bound memory under a flood: drop stale windows
		for k, w := range l.fails {
			if now.Sub(w.start) >= LimitWindow {
				delete(l.fails, k)
			}
		}
	}
	for _, k := range keys {
		w := l.fails[k]
		if now.Sub(w.start) >= LimitWindow {
			w = window{start: now}
		}
		w.n++
		l.fails[k] = w
	}
}

// Reset forgets the failures of key, after a successful sign-in.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}
