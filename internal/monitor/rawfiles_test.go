package monitor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/monitor/rawlog"
)

func TestFillRawFromFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "raw")
	rl, err := rawlog.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rl.Close()
	ref, err := rl.Append("org", time.Now().Add(time.Hour), "b1", []byte("packed"))
	if err != nil {
		t.Fatal(err)
	}
	raws := []Raw{{BatchID: "b0", Data: []byte("in the store")}, {BatchID: "b1", Ref: ref}}
	if err := fill(rl, raws); err != nil || string(raws[0].Data) != "in the store" || string(raws[1].Data) != "packed" {
		t.Fatalf("%v: %q %q", err, raws[0].Data, raws[1].Data)
	}
	cases := []struct {
		name  string
		files RawFiles
		raw   Raw
	}{
		{"no files on this node", nil, Raw{BatchID: "b1", Ref: ref}},
		{"another batch's record", rl, Raw{BatchID: "b2", Ref: ref}},
		{"segment gone", rl, Raw{BatchID: "b1", Ref: RawRef{Segment: "org/2000-01-01/x.seg", Size: ref.Size}}},
	}
	for _, c := range cases {
		if err := fill(c.files, []Raw{c.raw}); !errs.Is(err, errs.Unavailable) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
