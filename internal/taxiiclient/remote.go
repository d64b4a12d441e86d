package taxiiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kyojo-hub/kyojo/internal/partner"
)

// Connector returns the partner.Connector that reaches partners with this
// client. allowPrivate lets it reach loopback and private addresses (the
// hub setting for federation inside one network, and for tests).
func Connector(allowPrivate bool, timeout time.Duration) partner.Connector {
	return func(p partner.Partner, secret string) partner.Remote {
		c := &Client{APIRoot: p.APIRoot, Token: secret, Bearer: p.Auth == partner.Bearer, AllowPrivate: allowPrivate,
			Timeout: timeout, UserAgent: "kyojo-federation"}
		if p.Auth != partner.Bearer {
			c.Username = p.Username
		}
		return remote{c: c, collection: p.Collection}
	}
}

type remote struct {
	c          *Client
	collection string
}

// Pull implements partner.Remote.
func (r remote) Pull(ctx context.Context, after time.Time, next string) ([]json.RawMessage, bool, string, time.Time, error) {
	p, err := r.c.Objects(ctx, r.collection, Query{AddedAfter: after, Next: next, Limit: 1000})
	return p.Objects, p.More, p.Next, p.AddedLast, err
}

// Push implements partner.Remote: it POSTs the objects and, while the
// status is pending, asks for it again (at most a minute).
func (r remote) Push(ctx context.Context, objs []json.RawMessage) (int, []string, error) {
	st, err := r.c.Post(ctx, r.collection, objs)
	for i := 0; err == nil && st.Status == "pending" && st.PendingCount > 0 && i < 30; i++ {
		select {
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
		st, err = r.c.Status(ctx, st.ID)
	}
	if err != nil {
		return 0, nil, err
	}
	var fails []string
	for _, f := range st.Failures {
		fails = append(fails, fmt.Sprintf("%s: %s", f.ID, f.Message))
	}
	return st.SuccessCount, fails, nil
}
