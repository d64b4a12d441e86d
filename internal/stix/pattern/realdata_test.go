package pattern

import (
	"encoding/json"
	"github.com/kyojo-hub/kyojo/internal/sharedtest"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedSTIX is the machine's shared corpus of public STIX 2.1 bundles (see
// its SOURCES.md for provenance and licences). The files are read in place
// and never copied into the repository.
var sharedSTIX = filepath.Join(sharedtest.Dir(), "stix21")

// TestRealIndicators parses the pattern of every STIX indicator in the
// shared corpus (OASIS examples, MITRE data, and the misp-stix STIX 2.1
// exports next to it) and checks that each parses, prints canonically and
// re-parses.
func TestRealIndicators(t *testing.T) {
	dirs := []string{sharedSTIX, filepath.Join(filepath.Dir(sharedSTIX), "misp", "misp-stix")}
	if _, err := os.Stat(sharedSTIX); err != nil {
		t.Skipf("shared STIX corpus not available at %s: %v", sharedSTIX, err)
	}
	total, simple := 0, 0
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			var doc any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Logf("%s: not JSON, skipped: %v", path, err)
				return nil
			}
			for _, ind := range indicators(doc, nil) {
				total++
				p, err := Parse(ind)
				if err != nil {
					t.Errorf("%s: %q: %v", filepath.Base(path), ind, err)
					continue
				}
				if _, ok := p.Simple(); ok {
					simple++
				}
				if _, err := Parse(p.String()); err != nil {
					t.Errorf("%s: canonical %q: %v", filepath.Base(path), p.String(), err)
				}
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if total == 0 {
		t.Skip("no STIX indicators found in the shared corpus")
	}
	t.Logf("parsed %d indicator patterns, %d of them simple", total, simple)
}

// indicators collects the patterns of indicators with pattern_type "stix"
// (or none, as in STIX 2.0 bundles) anywhere in a decoded JSON document.
func indicators(v any, out []string) []string {
	switch v := v.(type) {
	case map[string]any:
		if v["type"] == "indicator" {
			pt, _ := v["pattern_type"].(string)
			if p, ok := v["pattern"].(string); ok && (pt == "" || pt == "stix") {
				out = append(out, p)
			}
		}
		for _, x := range v {
			out = indicators(x, out)
		}
	case []any:
		for _, x := range v {
			out = indicators(x, out)
		}
	}
	return out
}
