package store

import (
	"encoding/json"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/intel"
)

// TestEncodeValues: the hand-written encoder of the vals column writes
// what json.Marshal writes, and decodeValues reads it back.
func TestEncodeValues(t *testing.T) {
	for _, vs := range [][]intel.Value{
		nil,
		{{Kind: "ip", Key: "00000000000000000000ffffc6336407/128", Value: "198.51.100.7"}},
		{{Kind: "url", Key: `http://x.example/a?b=1&c=<2>`, Value: `http://x.example/a?b=1&c=<2>`},
			{Kind: "other", Key: "quote \" backslash \\ tab \t nul \x00", Value: "日本語 \u2028 \xff"}},
	} {
		got := encodeValues(vs)
		want := "[]"
		if len(vs) > 0 {
			t3 := make([][3]string, len(vs))
			for i, v := range vs {
				t3[i] = [3]string{v.Kind, v.Key, v.Value}
			}
			b, _ := json.Marshal(t3)
			want = string(b)
		}
		if got != want {
			t.Errorf("encodeValues = %s, want %s", got, want)
		}
		back, err := decodeValues(got)
		if err != nil || len(back) != len(vs) {
			t.Fatalf("decode %s: %v %v", got, back, err)
		}
	}
}

// TestMemoList: a remembered list is encoded again when it changes.
func TestMemoList(t *testing.T) {
	var m memoList
	for _, s := range [][]string{nil, {"a"}, {"a"}, {"b", "c"}, {}, nil} {
		if got, want := m.json(s), jsonList(s); got != want {
			t.Errorf("json(%v) = %s, want %s", s, got, want)
		}
	}
}
