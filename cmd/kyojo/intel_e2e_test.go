package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportExportCLI(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	kyojo(t, "", "org", "add", "--data", data, "--slug", "kumo", "--name", "Kumo Net", "--kind", "isp")
	kyojo(t, "", "org", "add", "--data", data, "--slug", "other", "--name", "Other", "--kind", "sme")
	kyojo(t, "a long enough password\n", "user", "add", "--data", data, "--username", "ana", "--org", "kumo", "--password-stdin")
	kyojo(t, "a long enough password\n", "user", "add", "--data", data, "--username", "oscar", "--org", "other", "--password-stdin")
	list := filepath.Join(dir, "block.txt")
	os.WriteFile(list, []byte("# bad hosts\n198.51.100.7\nevil.example\n203.0.113.0/24\nnot_a_value!\n"), 0o600)
	out := kyojo(t, "", "import", "--data", data, "--org", "kumo", "--tlp", "amber+strict", list)
	if !strings.Contains(out, "created 3") || !strings.Contains(out, "rejected 1") {
		t.Fatalf("import: %s", out)
	}
	if out := kyojo(t, "", "import", "--data", data, "--org", "kumo", "--tlp", "amber+strict", list); !strings.Contains(out, "skipped 3") {
		t.Fatalf("re-import: %s", out)
	}
	misp := filepath.Join("..", "..", "internal", "convert", "testdata", "misp")
	files, _ := filepath.Glob(filepath.Join(misp, "*.json"))
	for _, f := range files {
		if strings.Contains(f, "collection") {
			continue
		}
		if code, out := run("import", "--data", data, "--org", "kumo", "--tlp", "green", f); code != 0 {
			t.Errorf("import %s: exit %d: %s", f, code, out)
		}
	}
	// What a person of another organisation exports leaves out AMBER+STRICT.
	plain := kyojo(t, "", "export", "--data", data, "--user", "ana", "--format", "plain", "--kind", "ip")
	if !strings.Contains(plain, "198.51.100.7") {
		t.Fatalf("ana's export lacks her own value: %q", plain)
	}
	if plain := kyojo(t, "", "export", "--data", data, "--user", "oscar", "--format", "plain", "--kind", "ip"); strings.Contains(plain, "198.51.100.7") {
		t.Fatalf("oscar's export has an AMBER+STRICT value of another organisation: %q", plain)
	}
	bundle := filepath.Join(dir, "out.json")
	kyojo(t, "", "export", "--data", data, "--user", "ana", "--out", bundle)
	b, _ := os.ReadFile(bundle)
	if !strings.HasPrefix(string(b), `{"type":"bundle"`) || !strings.Contains(string(b), "evil.example") {
		t.Fatalf("stix export: %.200s", b)
	}
	kyojo(t, "", "export", "--data", data, "--user", "ana", "--format", "misp", "--out", filepath.Join(dir, "feed"))
	if _, err := os.Stat(filepath.Join(dir, "feed", "manifest.json")); err != nil {
		t.Fatal("no MISP feed manifest")
	}
	// The feed goes back in as a MISP feed.
	if out := kyojo(t, "", "import", "--data", data, "--org", "other", "--format", "misp-feed", filepath.Join(dir, "feed")); !strings.Contains(out, "read ") {
		t.Fatalf("feed import: %s", out)
	}
	csvOut := kyojo(t, "", "export", "--data", data, "--user", "ana", "--format", "csv")
	if !strings.Contains(csvOut, "evil.example") {
		t.Fatalf("csv export: %.300s", csvOut)
	}
	// Bad input: a broken bundle, a missing file, a URL to loopback.
	broken := filepath.Join(dir, "broken.json")
	os.WriteFile(broken, []byte(`{"type":"bundle","objects":[{`), 0o600)
	for _, in := range []string{broken, filepath.Join(dir, "missing.txt"), "http://127.0.0.1:1/feed.txt"} {
		if code, out := run("import", "--data", data, "--org", "kumo", in); code != 1 {
			t.Errorf("import %s: exit %d: %s", in, code, out)
		}
	}
	if code, out := run("import", "--data", data, "http://127.0.0.1:1/"); code != 2 || !strings.Contains(out, "--org") {
		t.Errorf("import without --org: exit %d: %s", code, out)
	}
}
