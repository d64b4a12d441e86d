package web

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

func TestCatalogueParity(t *testing.T) {
	cat, err := loadCatalogue(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range identity.Locales {
		for _, b := range identity.Locales {
			for key := range cat[a] {
				if _, ok := cat[b][key]; !ok {
					t.Errorf("key %q is in %s.json but not in %s.json", key, a, b)
				}
			}
		}
		for key, s := range cat[a] {
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s.json: key %q is empty", a, key)
			}
			if strings.Count(s, "%") != strings.Count(cat[identity.Locales[0]][key], "%") {
				t.Errorf("key %q: the languages differ in their %% verbs", key)
			}
		}
	}
}

func TestEnumLabels(t *testing.T) {
	cat, err := loadCatalogue(files)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, v := range identity.Kinds {
		keys = append(keys, "kind."+string(v))
	}
	for _, v := range identity.Sectors {
		keys = append(keys, "sector."+string(v))
	}
	for _, v := range []identity.Tier{identity.Tier1, identity.Tier2, identity.Tier3, identity.Tier4} {
		keys = append(keys, fmt.Sprint("tier.", int(v)))
	}
	for _, v := range policy.Roles {
		keys = append(keys, "role."+string(v))
	}
	for _, v := range []policy.Scope{policy.ScopeRead, policy.ScopeWrite} {
		keys = append(keys, "scope."+string(v))
	}
	for _, v := range []audit.Outcome{audit.Success, audit.Denied, audit.Failure} {
		keys = append(keys, "outcome."+string(v))
	}
	for _, v := range identity.Locales {
		keys = append(keys, "locale."+v)
	}
	for _, v := range evidence.Kinds {
		keys = append(keys, "evkind."+v, "evkind_hint."+v)
	}
	for _, v := range []evidence.Status{evidence.Pending, evidence.Approved, evidence.Rejected, evidence.Produced} {
		keys = append(keys, "evstatus."+string(v))
	}
	for _, v := range policy.TLPs {
		keys = append(keys, "tlp."+string(v), "tlp_hint."+string(v))
	}
	for _, v := range intelAges {
		keys = append(keys, "age."+v)
	}
	for _, v := range wizardKinds {
		keys = append(keys, "wkind."+v)
	}
	for _, v := range importFormats {
		keys = append(keys, "ifmt."+v)
	}
	for _, v := range importKinds {
		keys = append(keys, "ikind."+v)
	}
	for _, v := range importDelimiters {
		keys = append(keys, "delim."+v)
	}
	for _, v := range exportFormats {
		keys = append(keys, "exportfmt."+v, "exportwhat."+v, "exportwho."+v)
	}
	for _, v := range exportKinds {
		keys = append(keys, "vkind."+v)
	}
	for _, v := range []intel.Status{intel.Created, intel.Updated, intel.Skipped, intel.Rejected} {
		keys = append(keys, "istatus."+string(v))
	}
	for _, v := range []string{"198.51.100.7", "evil.example", "https://evil.example/", "a@evil.example",
		strings.Repeat("a", 32), strings.Repeat("a", 40), strings.Repeat("a", 64), strings.Repeat("a", 128)} {
		q, err := intel.Classify(v)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, "vkind."+q.Kind)
	}
	for _, lang := range identity.Locales {
		for _, key := range keys {
			if _, ok := cat[lang][key]; !ok {
				t.Errorf("%s.json lacks the label %q", lang, key)
			}
		}
	}
	ja := []string{"情報通信", "金融", "航空", "鉄道", "電力", "ガス", "政府・行政サービス（地方公共団体を含む）", "医療", "水道", "物流"}
	for i, s := range identity.Sectors {
		if got := cat["ja"]["sector."+string(s)]; got != ja[i] {
			t.Errorf("sector %s in Japanese: %q, want %q", s, got, ja[i])
		}
	}
}

// TestTemplateKeys walks every parsed template and checks that each key
// given to t, to fld (its label) and to label (its enum) exists.
func TestTemplateKeys(t *testing.T) {
	u := New(Deps{})
	cat := u.cat
	enums := map[string]bool{}
	for key := range cat["en"] {
		enums[key[:strings.IndexByte(key, '.')]] = true
	}
	seen := 0
	for name, tm := range u.pages["en"] {
		for _, sub := range tm.Templates() {
			if sub.Tree == nil || sub.Tree.Root == nil {
				continue
			}
			walk(sub.Tree.Root, func(cmd *parse.CommandNode) {
				id, ok := cmd.Args[0].(*parse.IdentifierNode)
				if !ok {
					return
				}
				arg := func(i int) (string, bool) {
					if len(cmd.Args) <= i {
						return "", false
					}
					s, ok := cmd.Args[i].(*parse.StringNode)
					if !ok {
						return "", false
					}
					return s.Text, true
				}
				switch id.Ident {
				case "t":
					if key, ok := arg(1); ok {
						seen++
						if _, ok := cat["en"][key]; !ok {
							t.Errorf("%s (%s): unknown key %q", name, sub.Name(), key)
						}
					}
				case "fld":
					if key, ok := arg(3); ok && key != "" {
						seen++
						if _, ok := cat["en"][key]; !ok {
							t.Errorf("%s (%s): unknown label key %q", name, sub.Name(), key)
						}
					}
				case "label":
					if e, ok := arg(1); ok && !enums[e] {
						t.Errorf("%s (%s): unknown enum %q", name, sub.Name(), e)
					}
				}
			})
		}
	}
	if seen < 100 {
		t.Fatalf("found only %d keys in the templates; is the walk broken?", seen)
	}
}

func walk(n parse.Node, fn func(*parse.CommandNode)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				walk(c, fn)
			}
		}
	case *parse.ActionNode:
		walk(n.Pipe, fn)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				walk(c, fn)
			}
		}
	case *parse.CommandNode:
		fn(n)
		for _, a := range n.Args {
			walk(a, fn)
		}
	case *parse.IfNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.RangeNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.WithNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.TemplateNode:
		walk(n.Pipe, fn)
	}
}

// TestGoKeys checks every k("…") key in the package's Go code.
func TestGoKeys(t *testing.T) {
	cat, err := loadCatalogue(files)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\bk\("([^"]+)"\)`)
	names, _ := filepath.Glob("*.go")
	n := 0
	for _, f := range names {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			for _, lang := range identity.Locales {
				if _, ok := cat[lang][m[1]]; !ok {
					t.Errorf("%s: key %q missing from %s.json", f, m[1], lang)
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("found only %d keys in Go code", n)
	}
}

// TestNoInlineCode checks that no template carries inline script or style,
// which the Content-Security-Policy forbids.
func TestNoInlineCode(t *testing.T) {
	names, _ := filepath.Glob("templates/*.html")
	bad := regexp.MustCompile(`(?i)<script>|<script [^>]*>[^<]|<style|\sstyle=|\son[a-z]+=`)
	for _, f := range names {
		b, _ := os.ReadFile(f)
		if m := bad.Find(b); m != nil {
			t.Errorf("%s: inline code %q", f, m)
		}
	}
	if !slices.Contains(names, "templates/layout.html") {
		t.Fatal("no layout found")
	}
}
