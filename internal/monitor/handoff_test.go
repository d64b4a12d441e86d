package monitor

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// TestHandoffBounds: the hand-off holds at most handoffMax bytes and
// handoffEntries batches, puts aside what waited longer than handoffAge
// to make room, and gives an entry only to the message of its sensor and
// record, once.
func TestHandoffBounds(t *testing.T) {
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	o := newHandoff(func() time.Time { return now })
	ref := func(i int) RawRef { return RawRef{Segment: fmt.Sprintf("o/d/%d.seg", i), Size: 100} }
	big := bytes.Repeat([]byte("x"), handoffMax/4)
	for i := range 4 {
		if !o.put(fmt.Sprint(i), handed{sensorID: "s", ref: ref(i), lines: big}) {
			t.Fatalf("entry %d refused", i)
		}
	}
	if o.put("4", handed{sensorID: "s", ref: ref(4), lines: []byte("y")}) {
		t.Fatal("taken past handoffMax")
	}
	// A batch sent again while the first sending waits keeps the first
	// one's entry (the stream drops the resend).
	if o.put("3", handed{sensorID: "s", ref: ref(33), lines: []byte("resend")}) {
		t.Fatal("a resend replaced the first sending's entry")
	}
	if n, b := o.held(); n != 4 || b != handoffMax {
		t.Fatalf("%d entries, %d bytes", n, b)
	}

	// Another sensor's message, or one naming another record, gets
	// nothing, and the entry is gone (its message was that one).
	if _, ok := o.take("0", "other", ref(0)); ok {
		t.Fatal("given to another sensor")
	}
	if _, ok := o.take("1", "s", ref(9)); ok {
		t.Fatal("given for another record")
	}
	if h, ok := o.take("2", "s", ref(2)); !ok || len(h.lines) != len(big) {
		t.Fatal("not given to its message")
	}
	if _, ok := o.take("2", "s", ref(2)); ok {
		t.Fatal("given twice")
	}
	o.drop("3")
	if n, b := o.held(); n != 0 || b != 0 {
		t.Fatalf("%d entries, %d bytes after taking and dropping all", n, b)
	}
	// Entries no message takes are put aside once they are old and room
	// is needed.
	for i := range handoffEntries {
		if !o.put(fmt.Sprint(i), handed{sensorID: "s", ref: ref(i), lines: []byte("z")}) {
			t.Fatalf("entry %d refused", i)
		}
	}
	if o.put("new", handed{sensorID: "s", ref: ref(0), lines: []byte("z")}) {
		t.Fatal("taken past handoffEntries")
	}
	now = now.Add(handoffAge + time.Second)
	if !o.put("new", handed{sensorID: "s", ref: ref(0), lines: []byte("z")}) {
		t.Fatal("refused with only old entries held")
	}
	if n, b := o.held(); n != 1 || b != 1 {
		t.Fatalf("%d entries, %d bytes after the old ones were put aside", n, b)
	}
}
