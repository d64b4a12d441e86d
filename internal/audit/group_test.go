package audit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// recorder is a write function that keeps what it was given.
type recorder struct {
	mu      sync.Mutex
	batches [][]string
	delay   time.Duration
	fail    func(batch int) error
	started chan struct{} // receives once per write, when set
}

func (w *recorder) write(ctx context.Context, rs []*Record) error {
	if w.started != nil {
		w.started <- struct{}{}
	}
	time.Sleep(w.delay)
	w.mu.Lock()
	defer w.mu.Unlock()
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ObjectID)
	}
	w.batches = append(w.batches, ids)
	if w.fail != nil {
		return w.fail(len(w.batches) - 1)
	}
	return nil
}

func (w *recorder) written() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := map[string]int{}
	for _, b := range w.batches {
		for _, id := range b {
			n[id]++
		}
	}
	return n
}

func rec(id string) *Record { return &Record{ObjectID: id} }

func TestGroupAlone(t *testing.T) {
	w := &recorder{}
	g := NewGroup(w.write)
	for _, id := range []string{"a", "b", "c"} {
		if err := g.Append(t.Context(), rec(id)); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.batches) != 3 {
		t.Errorf("three reads one after another: %v, want one write each", w.batches)
	}
}

func TestGroupConcurrent(t *testing.T) {
	w := &recorder{delay: 2 * time.Millisecond}
	g := NewGroup(w.write)
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := g.Append(t.Context(), rec(string(rune('A'+i%26))+string(rune('0'+i/26)))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := w.written()
	if len(got) != n {
		t.Fatalf("%d distinct records written, want %d", len(got), n)
	}
	for id, c := range got {
		if c != 1 {
			t.Errorf("%s written %d times", id, c)
		}
	}
	if len(w.batches) >= n/2 {
		t.Errorf("%d writes for %d concurrent reads: they did not share", len(w.batches), n)
	}
}

func TestGroupError(t *testing.T) {
	boom := errors.New("disk full")
	// Every write after the first fails, so that each caller below gets
	// the error whether the two share a batch or not.
	w := &recorder{delay: 20 * time.Millisecond, started: make(chan struct{}, 10), fail: func(b int) error {
		if b >= 1 {
			return boom
		}
		return nil
	}}
	g := NewGroup(w.write)
	first := make(chan error)
	go func() { first <- g.Append(t.Context(), rec("lead")) }()
	<-w.started // the first write runs: these two queue behind it
	errs := make(chan error, 2)
	for _, id := range []string{"x", "y"} {
		go func() { errs <- g.Append(t.Context(), rec(id)) }()
	}
	time.Sleep(5 * time.Millisecond)
	if err := <-first; err != nil {
		t.Fatalf("first write: %v", err)
	}
	for range 2 {
		if err := <-errs; !errors.Is(err, boom) {
			t.Errorf("a record of the failed batch: %v, want %v", err, boom)
		}
	}
}

func TestGroupCallerLeaves(t *testing.T) {
	w := &recorder{delay: 30 * time.Millisecond, started: make(chan struct{}, 10)}
	g := NewGroup(w.write)
	done := make(chan error)
	go func() { done <- g.Append(t.Context(), rec("lead")) }()
	<-w.started
	ctx, cancel := context.WithCancel(t.Context())
	left := make(chan error)
	go func() { left <- g.Append(ctx, rec("left")) }()
	time.Sleep(5 * time.Millisecond)
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Fatalf("a caller that stopped waiting: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-w.started // the leader writes what the caller left
	if err := g.Append(t.Context(), rec("after")); err != nil {
		t.Fatal(err)
	}
	if got := w.written(); got["left"] != 1 || got["after"] != 1 {
		t.Errorf("written: %v", got)
	}
}
