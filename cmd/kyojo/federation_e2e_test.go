package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// stixInd is a STIX indicator numbered n, marked with marking when given.
func stixInd(n int, marking string) string {
	m := ""
	if marking != "" {
		m = `,"object_marking_refs":["` + marking + `"]`
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"%s}`, n, n, m)
}

func stixID(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }

const tlpAmber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"

// taxiiIDs returns the ids of the objects a person sees in a collection
// of a hub, over TAXII with HTTP Basic.
func taxiiIDs(t *testing.T, url, user, token, collection string) []string {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/taxii2/kyojo/collections/"+collection+"/objects/?limit=1000", nil)
	req.SetBasicAuth(user, token)
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Objects []struct{ ID, Type string }
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&env) != nil {
		t.Fatalf("TAXII %s: %s", collection, resp.Status)
	}
	var ids []string
	for _, o := range env.Objects {
		ids = append(ids, o.ID)
	}
	return ids
}

// TestFederationEndToEnd starts two hubs on loopback. On A, the foreign
// CSIRT nordland-cert stands for hub B; on B, pacifica-csirt stands for A.
// A pushes to B's community-international and B pulls from A's; A's
// policy for B lets indicators up to AMBER leave. An indicator shared on A
// appears on B within seconds; a TLP:RED one, an indicator marked RED and
// a malware never do; A restarted resumes from its bookmarks and sends
// nothing twice.
func TestFederationEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two hubs")
	}
	dataA, dataB := t.TempDir(), t.TempDir()
	fed := []string{"--demo", "--federation-allow-private", "--ledger=false"}
	a, b := serve(t, dataA, fed...), serve(t, dataB, fed...)
	tokA := token(t, dataA, "ncc-analyst")               // shares on A
	tokBReader := token(t, dataB, "ncc-analyst")         // reads on B
	tokAonB := token(t, dataB, "pacifica-csirt-analyst") // A's account on B
	tokBonA := token(t, dataA, "nordland-cert-analyst")  // B's account on A

	kyojo(t, tokAonB+"\n", "partner", "add", "--data", dataA, "--slug", "hub-b", "--name", "Hub B", "--country", "NO",
		"--org", "nordland-cert", "--api-root", b.url+"/taxii2/kyojo/", "--collection", "community-international",
		"--direction", "push", "--username", "pacifica-csirt-analyst", "--markings", "clear,green,amber",
		"--types", "indicator", "--interval", "1s", "--contact-name", "Duty officer", "--contact-email", "duty@b.example")
	kyojo(t, tokBonA+"\n", "partner", "add", "--data", dataB, "--slug", "hub-a", "--name", "Hub A", "--country", "FJ",
		"--org", "pacifica-csirt", "--api-root", a.url+"/taxii2/kyojo/", "--collection", "community-international",
		"--direction", "pull", "--username", "nordland-cert-analyst", "--markings", "clear", "--inbound", "international", "--interval", "1s")

	share := func(query, obj string) {
		t.Helper()
		code, body := send(t, "POST", a.url+"/api/v1/objects?"+query, tokA, obj)
		if code != 200 && code != 201 {
			t.Fatalf("share %s: %d %s", query, code, body)
		}
	}
	share("tlp=amber&community=international", stixInd(1, tlpAmber))
	share("tlp=red&user=ncc-analyst", stixInd(2, ""))
	share("tlp=amber&community=international", stixInd(3, "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"))
	share("tlp=amber&community=international", `{"type":"malware","spec_version":"2.1","id":"malware--00000000-0000-4000-8000-000000000004","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"m","is_family":false}`)

	waitFor := func(what string, id string) time.Duration {
		t.Helper()
		start := time.Now()
		for time.Since(start) < 30*time.Second {
			for _, got := range taxiiIDs(t, b.url, "ncc-analyst", tokBReader, "community-international") {
				if got == id {
					return time.Since(start)
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("%s did not reach B\nA's log:\n%s\nB's log:\n%s", what, a.stderr, b.stderr)
		return 0
	}
	took := waitFor("the AMBER indicator", stixID(1))
	t.Logf("shared on A, visible on B after %v", took)
	time.Sleep(3 * time.Second) // several more exchanges both ways
	got := taxiiIDs(t, b.url, "ncc-analyst", tokBReader, "community-international")
	if len(got) != 1 || got[0] != stixID(1) {
		t.Fatalf("B's community holds %v; want only %s", got, stixID(1))
	}

	// Restart A; share one more. B gets it, and A sends nothing twice.
	a.stop(t)
	a = serve(t, dataA, append(fed, "--listen", strings.TrimPrefix(a.url, "http://"))...) // where B's registry points
	share("tlp=green&community=international", stixInd(5, ""))
	waitFor("the indicator shared after the restart", stixID(5))
	time.Sleep(2 * time.Second)
	got = taxiiIDs(t, b.url, "ncc-analyst", tokBReader, "community-international")
	if len(got) != 2 {
		t.Fatalf("B's community after the restart: %v", got)
	}
	var show struct {
		Partner struct {
			Health string
			State  struct {
				PushSeq int64 `json:"push_seq"`
			}
		}
		Exchanges []struct {
			Direction  string
			ObjectsOut int `json:"objects_out"`
			Error      string
		}
	}
	if err := json.Unmarshal([]byte(kyojo(t, "", "partner", "show", "hub-b", "--data", dataA, "--json", "--exchanges", "1000")), &show); err != nil {
		t.Fatal(err)
	}
	out := 0
	for _, e := range show.Exchanges {
		out += e.ObjectsOut
		if e.Error != "" {
			t.Errorf("exchange error: %s", e.Error)
		}
	}
	if out != 2 || show.Partner.Health != "ok" || show.Partner.State.PushSeq == 0 {
		t.Fatalf("A pushed %d objects in %d exchanges (health %s); want 2", out, len(show.Exchanges), show.Partner.Health)
	}
	// B's pull is healthy and every object is stored once.
	if list := kyojo(t, "", "partner", "list", "--data", dataB); !strings.Contains(list, "hub-a") || !strings.Contains(list, " ok ") {
		t.Fatalf("B's partner list:\n%s", list)
	}
	for _, n := range []int{1, 5} {
		code, body := get(t, b.url+"/api/v1/objects/"+stixID(n)+"?versions=all", tokBReader)
		var vs struct{ Items []json.RawMessage }
		if code != 200 || json.Unmarshal(body, &vs) != nil || len(vs.Items) != 1 {
			t.Fatalf("object %d on B: %d %s", n, code, body)
		}
	}
}

// TestPartnerCLI: bad input is refused with the field named and nothing
// written; the credential never appears in what the CLI prints.
func TestPartnerCLI(t *testing.T) {
	data := t.TempDir()
	kyojo(t, "", "org", "add", "--data", data, "--slug", "cert-x", "--name", "CERT X", "--kind", "foreign_csirt")
	base := []string{"partner", "add", "--data", data, "--slug", "cert-x", "--name", "CERT X", "--country", "FR", "--org", "cert-x",
		"--api-root", "https://taxii.cert-x.example/api1/", "--collection", "c1", "--username", "jp"}
	for name, c := range map[string]struct {
		stdin string
		extra []string
		want  string
	}{
		"no credential":   {"", nil, "standard input"},
		"bad direction":   {"tok\n", []string{"--direction", "sideways"}, "direction"},
		"bad marking":     {"tok\n", []string{"--markings", "purple"}, "markings[0]"},
		"unknown org":     {"tok\n", []string{"--org", "nobody"}, "org"},
		"api root scheme": {"tok\n", []string{"--api-root", "file:///etc/passwd"}, "api_root"},
	} {
		cmd := exec.Command(binary, append(append([]string{}, base...), c.extra...)...)
		cmd.Stdin = strings.NewReader(c.stdin)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%s: %v %s", name, err, out)
		}
	}
	if list := kyojo(t, "", "partner", "list", "--data", data, "--json"); strings.TrimSpace(list) != "[]" {
		t.Fatalf("refused adds wrote: %s", list)
	}
	out := kyojo(t, "s3cret-token\n", base...)
	if !strings.Contains(out, "partner cert-x added") {
		t.Fatalf("add: %s", out)
	}
	for _, args := range [][]string{{"partner", "list", "--data", data, "--json"}, {"partner", "show", "cert-x", "--data", data, "--json"}} {
		if out := kyojo(t, "", args...); strings.Contains(out, "s3cret") || !strings.Contains(out, `"has_secret": true`) {
			t.Fatalf("%v: %s", args, out)
		}
	}
	if code, out := run("partner", "show", "nobody", "--data", data); code != 1 || !strings.Contains(out, "no partner") {
		t.Fatalf("unknown partner: %d %s", code, out)
	}
	kyojo(t, "", "partner", "remove", "cert-x", "--data", data)
	if code, _ := run("partner", "bogus"); code != 2 {
		t.Fatalf("unknown subcommand: exit %d", code)
	}
}
