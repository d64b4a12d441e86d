// Package archtest checks the layering rules of DESIGN.md and STYLE.md:
// domain packages do no I/O (they import neither database/sql nor net/http
// nor the adapters), and adapters never import each other.
package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kyojo-hub/kyojo/internal/"

// domain packages: types and rules only.
var domain = map[string]bool{
	"errs": true, "policy": true, "identity": true, "audit": true, "stix": true, "stix/pattern": true,
	"intel": true, "rpz": true, "match": true, "incident": true, "route": true, "exercise": true, "kpi": true,
	"monitor": true, "monitor/parse": true, "partner": true,
}

// adapters: each talks to one mechanism and must not import another.
var adapters = map[string]bool{
	"store/sqlite": true, "store/postgres": true, "httpapi": true, "web": true, "bus": true, "taxii": true,
	"taxiiclient": true,
}

var forbiddenInDomain = []string{"database/sql", "net/http", "os/exec"}

func TestLayering(t *testing.T) {
	root := ".."
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			dep, internal := strings.CutPrefix(p, module)
			if domain[pkg] {
				for _, bad := range forbiddenInDomain {
					if p == bad {
						t.Errorf("%s: domain package %s imports %s", path, pkg, p)
					}
				}
				if internal && (adapters[dep] || strings.HasPrefix(dep, "store") || dep == "server" || dep == "httpx") {
					t.Errorf("%s: domain package %s imports adapter %s", path, pkg, dep)
				}
			}
			if adapters[pkg] && internal && adapters[dep] && dep != pkg {
				t.Errorf("%s: adapter %s imports adapter %s", path, pkg, dep)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
