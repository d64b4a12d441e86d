package ledger

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// The fuzz targets check with a fixed test key pair, testdata/keys (made by
// note.GenerateKey for origin "fuzz.kyojo/ledger"; not used anywhere else),
// so that the committed seed bundles and checkpoints verify.
const fuzzOrigin = "fuzz.kyojo/ledger"

func fuzzKeys(t testing.TB) (dir, vkey string) {
	t.Helper()
	dir = filepath.Join("testdata", "keys")
	b, err := os.ReadFile(filepath.Join(dir, verifierFile))
	if err != nil {
		t.Fatal(err)
	}
	return dir, strings.TrimSpace(string(b))
}

// fuzzLedger opens a ledger with the fuzz keys and returns a bundle and a
// checkpoint from it.
func fuzzLedger(t testing.TB) (bundle, checkpoint []byte) {
	t.Helper()
	keys, _ := fuzzKeys(t)
	dir := t.TempDir()
	copyKeysTB(t, keys, dir)
	l, err := Open(dir, Options{Origin: fuzzOrigin, CheckpointInterval: -1, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := t.Context()
	for i := 0; i < 6; i++ {
		l.Append(ctx, "audit", payload(i))
	}
	l.Checkpoint()
	l.Append(ctx, "audit", payload(6))
	l.DeletePayload(ctx, 1, "retention")
	b, err := l.Bundle(ctx, []uint64{0, 1, 4}, testCustody)
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := l.Checkpoint()
	return b, cp
}

func copyKeysTB(t testing.TB, from, to string) {
	t.Helper()
	for _, f := range []string{signerFile, verifierFile} {
		b, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzVerifyBundle(f *testing.F) {
	b, _ := fuzzLedger(f)
	_, vkey := fuzzKeys(f)
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := VerifyBundle(data, vkey)
		if err == nil && !bytes.Contains(data, []byte(fuzzOrigin)) {
			t.Fatalf("accepted a bundle without the origin: %q", data)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("example.com/log\n42\n" + strings.Repeat("A", 43) + "=\n"))
	f.Add([]byte("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		tr, err := ParseCheckpoint(text)
		if err != nil {
			return
		}
		back, err := ParseCheckpoint(tr.MarshalCheckpoint())
		if err != nil || back != tr {
			t.Fatalf("round trip of %q: %+v, %v", text, back, err)
		}
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	_, cp := fuzzLedger(f)
	_, vkey := fuzzKeys(f)
	f.Add(cp)
	f.Fuzz(func(t *testing.T, signed []byte) {
		tr, n, err := OpenCheckpoint(signed, vkey)
		if err != nil {
			return
		}
		if tr.Origin != fuzzOrigin || len(n.Sigs) == 0 || !strings.HasPrefix(string(signed), string(tr.MarshalCheckpoint())[:len(fuzzOrigin)]) {
			t.Fatalf("accepted %q as %+v", signed, tr)
		}
	})
}

// TestWriteFuzzSeeds regenerates testdata/keys (only if missing) and the
// seed corpus under testdata/fuzz. Run with KYOJO_LEDGER_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KYOJO_LEDGER_WRITE_SEEDS") == "" {
		t.Skip("set KYOJO_LEDGER_WRITE_SEEDS=1 to regenerate the fuzz seed corpus")
	}
	keys := filepath.Join("testdata", "keys")
	if _, err := os.Stat(filepath.Join(keys, signerFile)); err != nil {
		skey, vkey, err := note.GenerateKey(rand.Reader, fuzzOrigin)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(keys, 0o755)
		os.WriteFile(filepath.Join(keys, signerFile), []byte(skey+"\n"), 0o600)
		os.WriteFile(filepath.Join(keys, verifierFile), []byte(vkey+"\n"), 0o644)
	}
	b, cp := fuzzLedger(t)
	tamperedBundle := bytes.Replace(b, []byte(`"index": 4`), []byte(`"index": 3`), 1)
	seeds := map[string][][]byte{
		"FuzzVerifyBundle":    {b, tamperedBundle, []byte(`{"format":"kyojo-ledger-bundle/v1","entries":[]}`)},
		"FuzzParseCheckpoint": {[]byte("fuzz.kyojo/ledger\n7\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"), []byte("o\n007\nAA==\n")},
		"FuzzOpenCheckpoint":  {cp, bytes.Replace(cp, []byte("\n9\n"), []byte("\n10\n"), 1)},
	}
	for name, list := range seeds {
		d := filepath.Join("testdata", "fuzz", name)
		os.MkdirAll(d, 0o755)
		for i, s := range list {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("seed-%d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestFuzzSeedsVerify keeps the committed seeds meaningful: the first
// bundle seed verifies and the second (an edited index) does not.
func TestFuzzSeedsVerify(t *testing.T) {
	_, vkey := fuzzKeys(t)
	for i, wantOK := range []bool{true, false} {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzVerifyBundle", fmt.Sprintf("seed-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(raw), "\n")
		b, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyBundle([]byte(b), vkey); (err == nil) != wantOK {
			t.Errorf("seed-%d: VerifyBundle = %v", i, err)
		}
	}
}
