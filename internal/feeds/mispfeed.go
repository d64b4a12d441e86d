package feeds

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
)

// Limits of a MISP feed fetched over HTTP; one file is also at most
// MaxFetch bytes.
const (
	MaxFeedEvents = 10_000  // events a manifest may list
	MaxFeedBytes  = 2 << 30 // bytes fetched in all: the manifest and every event
)

// FeedLimits cap what FetchMISPFeed fetches; zero fields take the package
// defaults MaxFeedEvents and MaxFeedBytes.
type FeedLimits struct {
	Events int
	Bytes  int64
}

// RemoteFeed is a MISP feed read over HTTP(S) as an fs.FS, for
// convert.FromMISPFeed: manifest.json is fetched by FetchMISPFeed, each
// <uuid>.json when it is opened, through the Fetcher given, so that its
// address check applies to every request. It serves no other names.
//
// Once a limit is reached, or a request is refused by the address check,
// every later Open fails and Err reports why; the import must stop there
// (ImportMISPFeed does). Its methods may be called concurrently, but the
// byte limit is only exact when files are read one at a time, as
// convert.FromMISPFeed does.
type RemoteFeed struct {
	ctx   context.Context // of the import: cancels every fetch
	f     Fetcher
	base  *url.URL // ends with "/"
	lim   FeedLimits
	names map[string]bool // the event files the manifest lists

	mu       sync.Mutex // guards manifest, used, err
	manifest []byte
	used     int64
	err      error // the first fatal error
}

// FetchMISPFeed fetches the manifest.json of the MISP feed at baseURL (the
// feed's directory, with or without a final "/" or "manifest.json") and
// returns the feed, whose event files are fetched on demand. The manifest
// must be a JSON object of at most lim.Events events. Errors: errs.Invalid
// for a URL that is not http(s), errs.Forbidden for an address the fetcher
// refuses, errs.Unavailable when the manifest cannot be fetched,
// errs.Malformed when it is no JSON object, errs.TooLarge over a limit.
func FetchMISPFeed(ctx context.Context, f Fetcher, baseURL string, lim FeedLimits) (*RemoteFeed, error) {
	if lim.Events <= 0 {
		lim.Events = MaxFeedEvents
	}
	if lim.Bytes <= 0 {
		lim.Bytes = MaxFeedBytes
	}
	u, err := url.Parse(strings.TrimSuffix(baseURL, "manifest.json"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errs.F(errs.Invalid, "url", "must be an http or https URL")
	}
	u.RawQuery, u.Fragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}
	rf := &RemoteFeed{ctx: ctx, f: f, base: u, lim: lim}
	b, err := rf.fetch("manifest.json")
	if err != nil {
		return nil, err
	}
	var manifest map[string]json.RawMessage
	if err := json.Unmarshal(b, &manifest); err != nil {
		return nil, errs.F(errs.Malformed, "manifest.json", "manifest is not a JSON object of events: %v", err)
	}
	if len(manifest) > lim.Events {
		return nil, errs.F(errs.TooLarge, "manifest.json", "the feed lists %d events; at most %d are imported at once", len(manifest), lim.Events)
	}
	rf.manifest, rf.names = b, make(map[string]bool, len(manifest))
	for id := range manifest {
		rf.names[id+".json"] = true
	}
	return rf, nil
}

// Err returns the error that stopped the feed: a limit reached or a
// request refused. Nil while the feed is usable.
func (rf *RemoteFeed) Err() error {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	return rf.err
}

// ReadFile implements fs.ReadFileFS: manifest.json as fetched, or an
// event file the manifest lists, fetched now.
func (rf *RemoteFeed) ReadFile(name string) ([]byte, error) {
	if name == "manifest.json" {
		return bytes.Clone(rf.manifest), nil
	}
	if !fs.ValidPath(name) || strings.ContainsAny(name, "/?#%\\") || !rf.names[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	b, err := rf.fetch(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return b, nil
}

// Open implements fs.FS.
func (rf *RemoteFeed) Open(name string) (fs.File, error) {
	b, err := rf.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(b), name: name, size: int64(len(b))}, nil
}

// fetch reads base+name within what the limits leave. A refusal by the
// address check, or a limit reached, stops the feed.
func (rf *RemoteFeed) fetch(name string) ([]byte, error) {
	rf.mu.Lock()
	if rf.err != nil {
		rf.mu.Unlock()
		return nil, rf.err
	}
	left := rf.lim.Bytes - rf.used
	rf.mu.Unlock()
	body, err := rf.f.Get(rf.ctx, rf.base.JoinPath(name).String())
	if err != nil {
		if errs.Is(err, errs.Forbidden) {
			rf.stop(err)
		}
		return nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, left+1))
	rf.mu.Lock()
	rf.used += int64(len(b))
	rf.mu.Unlock()
	if err != nil {
		return nil, errs.F(errs.Unavailable, "url", "reading %s: %v", name, err)
	}
	if int64(len(b)) > left {
		err := errs.F(errs.TooLarge, "url", "the feed is larger than the %d bytes one import may fetch", rf.lim.Bytes)
		rf.stop(err)
		return nil, err
	}
	return b, nil
}

func (rf *RemoteFeed) stop(err error) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.err == nil {
		rf.err = err
	}
}

// memFile is a fetched file.
type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (m *memFile) Stat() (fs.FileInfo, error) { return memInfo{m.name, m.size}, nil }
func (m *memFile) Close() error               { return nil }

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }

// ImportMISPFeed fetches the MISP feed at baseURL through f and stores its
// events for a, as opt says, reporting progress; the source defaults to the
// feed's URL. An event that cannot be fetched is one rejected record and
// the import goes on; a limit reached or a request refused by the address
// check stops it, with what was stored so far kept, and is the error
// returned.
func ImportMISPFeed(ctx context.Context, svc *intel.Service, a identity.Actor, f Fetcher, baseURL string, lim FeedLimits,
	opt Options, progress func(intel.ImportStats)) (intel.ImportStats, error) {
	rf, err := FetchMISPFeed(ctx, f, baseURL, lim)
	if err != nil {
		return intel.ImportStats{}, err
	}
	if opt.Source == "" {
		opt.Source = path.Base(rf.base.Path) // as for a file fetched from a URL: the last name in the path
		if opt.Source == "/" || opt.Source == "." {
			opt.Source = rf.base.Host
		}
	}
	var whole error
	recs := func(yield func(intel.Incoming) bool) {
		for in := range FeedRecords(rf, opt) {
			if rf.Err() != nil || ctx.Err() != nil {
				return // the record is the failed fetch; the feed stops here
			}
			if in.Line == 0 && in.Err != nil {
				whole = in.Err
				return
			}
			if !yield(in) {
				return
			}
		}
	}
	st, err := svc.Import(ctx, a, recs, opt.Sharing, "import:"+opt.Source, progress)
	if err == nil {
		err = whole
	}
	if err == nil {
		err = rf.Err()
	}
	if err == nil {
		err = ctx.Err()
	}
	return st, err
}
