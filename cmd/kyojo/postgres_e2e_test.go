package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestServeOnPostgres runs the hub on PostgreSQL end to end: the demo,
// a token from the CLI, an import and a search over HTTP. It needs
// KYOJO_TEST_POSTGRES and skips with a message without it.
func TestServeOnPostgres(t *testing.T) {
	base := os.Getenv("KYOJO_TEST_POSTGRES")
	if base == "" {
		t.Skip("KYOJO_TEST_POSTGRES is not set: set it to a PostgreSQL DSN to run kyojo serve on PostgreSQL")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := fmt.Sprintf("kyojo_e2e_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("PostgreSQL at KYOJO_TEST_POSTGRES is not usable: %v", err)
	}
	defer admin.Exec("DROP SCHEMA " + schema + " CASCADE")
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dsn := u.String()

	data := t.TempDir()
	h := serve(t, data, "--demo", "--db", dsn)
	defer h.stop(t)
	if code, body := get(t, h.url+"/readyz", ""); code != 200 {
		t.Fatalf("readyz: %d %s", code, body)
	}
	out := strings.TrimSpace(kyojo(t, "", "token", "create", "--db", dsn, "--user", "kumo-net-analyst", "--scope", "write"))
	tok := out[strings.LastIndex(out, "\n")+1:]
	code, body := send(t, "POST", h.url+"/api/v1/imports?format=plain&tlp=green&community=isps&name=isp.txt", tok, "198.51.100.77\nbad.example\n")
	if code != 200 || !strings.Contains(string(body), `"created": 2`) {
		t.Fatalf("import: %d %s", code, body)
	}
	code, body = get(t, h.url+"/api/v1/search?value=198.51.100.0/24", tok)
	if code != 200 || !strings.Contains(string(body), "198.51.100.77") {
		t.Fatalf("search: %d %s", code, body)
	}
	// Another ISP in the community sees it; a ministry outside it does not.
	other := strings.TrimSpace(kyojo(t, "", "token", "create", "--db", dsn, "--user", "nami-bb-analyst"))
	other = other[strings.LastIndex(other, "\n")+1:]
	if _, body := get(t, h.url+"/api/v1/search?value=bad.example", other); !strings.Contains(string(body), "bad.example") {
		t.Fatalf("community member's search: %s", body)
	}
	outsider := strings.TrimSpace(kyojo(t, "", "token", "create", "--db", dsn, "--user", "mic-analyst"))
	outsider = outsider[strings.LastIndex(outsider, "\n")+1:]
	_, body = get(t, h.url+"/api/v1/search?value=bad.example", outsider)
	var res struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(body, &res); err != nil || len(res.Objects) != 0 {
		t.Fatalf("outsider's search found GREEN data of a community it is not in: %s", body)
	}
}
