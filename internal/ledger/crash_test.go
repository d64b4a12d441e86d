package ledger

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// tornFixture makes a ledger with a checkpoint at 20 and 10 more durable
// entries after it, then stops it as a crash would.
func tornFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	l := open(t, dir)
	appendN(t, l, 20)
	if _, err := l.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 10)
	crash(l)
	return dir
}

func editFile(t *testing.T, path string, fn func(b []byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, fn(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTornTailRecovered(t *testing.T) {
	lastFrame := frameHeader + len(LeafData("audit", payload(29)))
	for _, tc := range []struct {
		name string
		file string
		edit func(b []byte) []byte
		size uint64 // entries after Open
	}{
		{"garbage after the last frame", dataFile, func(b []byte) []byte { return append(b, "\x17garbage\xff\x00"...) }, 30},
		{"zeros after the last frame", dataFile, func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, 30},
		{"partial header", dataFile, func(b []byte) []byte { return append(b, 0, 0, 0) }, 30},
		{"frame with a bad checksum", dataFile, func(b []byte) []byte { return appendFrame(b, LeafData("x", []byte("y")), 0)[:len(b)+frameHeader+3] }, 30},
		{"half of the last frame", dataFile, func(b []byte) []byte { return b[:len(b)-lastFrame/2] }, 29},
		{"whole unsynced frame with a wrong checksum", dataFile, func(b []byte) []byte {
			b = appendFrame(b, LeafData("x", []byte("y")), 0)
			b[len(b)-1] ^= 1
			return b
		}, 30},
		{"hashes.dat tail lost", hashFile, func(b []byte) []byte { return b[:len(b)-5*32-7] }, 30},
		{"hashes.dat tail garbage", hashFile, func(b []byte) []byte { return append(b[:len(b)-64], bytes.Repeat([]byte{0xee}, 100)...) }, 30},
		{"entries.idx tail lost", idxFile, func(b []byte) []byte { return b[:len(b)-13] }, 30},
		{"torn checkpoint", cpFile, func(b []byte) []byte { return append(b, 0, 0, 1, 0, 1, 2) }, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tornFixture(t)
			editFile(t, filepath.Join(dir, tc.file), tc.edit)
			l := open(t, dir)
			if l.Size() != tc.size {
				t.Fatalf("Size after recovery = %d, want %d", l.Size(), tc.size)
			}
			if _, err := l.Verify(t.Context()); err != nil {
				t.Fatalf("Verify after recovery: %v", err)
			}
			appendN(t, l, 3)
			l.Close()
			l = open(t, dir)
			if _, err := l.Verify(t.Context()); err != nil || l.Size() != tc.size+3 {
				t.Fatalf("Verify after appending and reopening: size %d, %v", l.Size(), err)
			}
		})
	}
}

const crashChildEnv = "KYOJO_LEDGER_CRASH_CHILD"

// TestCrashChild is the child of TestCrashKill: it appends in a loop from
// several goroutines and prints "index payload" for each acknowledged
// append until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestCrashKill")
	}
	l, err := Open(dir, Options{Origin: "test.kyojo/ledger", CheckpointInterval: 20 * time.Millisecond})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	for g := 0; g < 4; g++ {
		go func() {
			for n := 0; ; n++ {
				p := fmt.Sprintf("g%d-%d", g, n)
				i, err := l.Append(t.Context(), "crash", []byte(p))
				if err != nil {
					continue
				}
				mu.Lock()
				fmt.Fprintf(out, "%d %s\n", i, p)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	select {}
}

// TestCrashKill runs TestCrashChild in a child process, kills it with
// SIGKILL mid-append, reopens the ledger, verifies it, and checks that every
// index the child printed as acknowledged is present with its payload.
func TestCrashKill(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := map[uint64]string{}
		sc := bufio.NewScanner(stdout)
		deadline := time.Now().Add(time.Duration(300+200*round) * time.Millisecond)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 2 {
				t.Fatalf("child: %s", sc.Text())
			}
			i, _ := strconv.ParseUint(f[0], 10, 64)
			acked[i] = f[1]
			if time.Now().After(deadline) {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		for sc.Scan() { // lines written before the kill
			if f := strings.Fields(sc.Text()); len(f) == 2 {
				i, _ := strconv.ParseUint(f[0], 10, 64)
				acked[i] = f[1]
			}
		}
		cmd.Wait()
		if len(acked) == 0 {
			t.Fatal("child acknowledged nothing")
		}
		l := open(t, dir)
		rep, err := l.Verify(t.Context())
		if err != nil {
			t.Fatalf("round %d: Verify after SIGKILL: %v", round, err)
		}
		for i, p := range acked {
			e, err := l.Entry(i)
			if err != nil || string(e.Payload) != p {
				t.Fatalf("round %d: acknowledged entry %d (%s) = %q, %v", round, i, p, e.Payload, err)
			}
		}
		t.Logf("round %d: %d acknowledged, %d entries after recovery", round, len(acked), rep.Entries)
		l.Close()
	}
}
