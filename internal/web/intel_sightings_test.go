package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"iter"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// oneIndicator is an import of one indicator for a SHA-256 hash, seen
// first at validFrom, with confidence conf (0: none).
func oneIndicator(id, hash, validFrom string, conf int) iter.Seq[intel.Incoming] {
	c := ""
	if conf > 0 {
		c = fmt.Sprintf(`"confidence":%d,`, conf)
	}
	raw := `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"` + validFrom + `","modified":"` + validFrom + `",` + c +
		`"pattern":"[file:hashes.'SHA-256' = '` + hash + `']","pattern_type":"stix","valid_from":"` + validFrom + `"}`
	return func(yield func(intel.Incoming) bool) { yield(intel.Incoming{Line: 1, Object: json.RawMessage(raw)}) }
}

// imported imports recs as username from source and checks what it did.
func imported(t *testing.T, h *hubtest.Hub, username, source string, recs iter.Seq[intel.Incoming], sh intel.Sharing, created, sighted int) {
	t.Helper()
	st, err := h.Intel.Import(t.Context(), h.Actor(username), recs, sh, source, nil)
	if err != nil || st.Created != created || st.Sighted != sighted {
		t.Fatalf("import %s as %s: %+v, %v; want %d created, %d sighted", source, username, st, err, created, sighted)
	}
}

// section returns the part of body from the element with id to the end of
// its section (the next h2).
func section(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no element %s", id)
	}
	s := body[i:]
	if j := strings.Index(s, "<h2"); j >= 0 {
		s = s[:j]
	}
	return s
}

// sightingOf is a STIX sighting of id; extra are more properties.
func sightingOf(n int, id, extra string) string {
	return fmt.Sprintf(`{"type":"sighting","spec_version":"2.1","id":"sighting--7a1f0c55-52b0-4c5e-9a51-%012d",`+
		`"created":"2026-03-10T00:00:00.000Z","modified":"2026-03-10T00:00:00.000Z","sighting_of_ref":"%s"%s}`, n, id, extra)
}

func TestObjectPageSightings(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	id := "indicator--7a1f0c55-52b0-4c5e-9a51-000000000001"
	green := intel.Sharing{TLP: policy.Green}
	put(t, h, "alice", indicator(id, "Dropper", `[domain-name:value = 'drop.example']`), green)
	// isp-a saw it three times; one of mof's feeds once; the police twice,
	// which they share only inside their organisation.
	put(t, h, "carol", sightingOf(11, id, `,"count":3,"first_seen":"2026-03-02T00:00:00Z","last_seen":"2026-03-04T00:00:00Z",`+
		`"created_by_ref":"identity--7a1f0c55-52b0-4c5e-9a51-00000000c0c0"`), green)
	put(t, h, "bob", sightingOf(12, id, `,"first_seen":"2026-03-05T00:00:00Z","last_seen":"2026-03-05T00:00:00Z","x_kyojo_source":"import:feed-c"`), green)
	put(t, h, "officer", sightingOf(13, id, `,"count":2,"first_seen":"2026-02-01T00:00:00Z","last_seen":"2026-03-09T00:00:00Z","x_kyojo_source":"import:police-only"`),
		intel.Sharing{TLP: policy.AmberStrict})

	carol := signIn(t, h, "carol") // English
	status, body, _ := carol.get("/intel/" + id)
	wantStatus(t, "carol opens", status, http.StatusOK, body)
	wantContains(t, "carol's heading", body, `Sightings <span class="count">4</span>`)
	sum := section(t, body, "sightings-summary")
	wantContains(t, "carol's summary", sum, "<dt>Times seen</dt><dd>4</dd>", "<dt>Sources</dt><dd>2</dd>",
		"<dt>First seen (JST)</dt><dd>2026-03-02 09:00</dd>", "<dt>Last seen (JST)</dt><dd>2026-03-05 09:00</dd>",
		`id="sightings-table"`, `<a href="/intel/identity--7a1f0c55-52b0-4c5e-9a51-00000000c0c0"><code>identity--7a1f0c55-52b0-4c5e-9a51-00000000c0c0</code></a>`,
		"<code>import:feed-c</code>")
	if strings.Contains(body, "police-only") || strings.Contains(sum, "2026-02-01") || strings.Contains(sum, "2026-03-09") {
		t.Error("carol's page counts the police's AMBER+STRICT sighting")
	}

	officer := signIn(t, h, "officer") // Japanese
	_, body, _ = officer.get("/intel/" + id)
	wantContains(t, "officer's heading", body, `観測報告（サイティング） <span class="count">6</span>`)
	wantContains(t, "officer's summary", section(t, body, "sightings-summary"), "<dt>観測回数</dt><dd>6</dd>", "<dt>報告元の数</dt><dd>3</dd>",
		"<dt>初回観測（JST）</dt><dd>2026-02-01 09:00</dd>", "<dt>最終観測（JST）</dt><dd>2026-03-09 09:00</dd>", "<code>import:police-only</code>")

	// A sighting's page: its index under the sighted object is no
	// observable value, and the other sightings of the object are not
	// "related" through it.
	status, body, _ = carol.get("/intel/sighting--7a1f0c55-52b0-4c5e-9a51-000000000011")
	wantStatus(t, "sighting page", status, http.StatusOK, body)
	wantContains(t, "sighting page", body, "This object names no observable value the hub indexes.", `id="refs-table"`,
		"No other object you may see shares a value with this one.", `id="sightings-none"`)

	// An object nobody sighted says so.
	put(t, h, "alice", indicator("indicator--7a1f0c55-52b0-4c5e-9a51-000000000005", "Lonely", `[domain-name:value = 'lonely.example']`), green)
	_, body, _ = carol.get("/intel/indicator--7a1f0c55-52b0-4c5e-9a51-000000000005")
	wantContains(t, "no sightings", body, `Sightings <span class="count">0</span>`, "No sighting of this object that you may see.")
}

// TestObjectPageImportSightings imports one hash from several sources: the
// sightings the importer records instead of copies show on the page.
func TestObjectPageImportSightings(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	hash := strings.Repeat("ab", 32)
	id := "indicator--7a1f0c55-52b0-4c5e-9a51-000000000001"
	green := intel.Sharing{TLP: policy.Green}
	// mof's feed reports the hash first; isp-a's and another of mof's feeds
	// report it later: sightings of the first indicator, not copies.
	imported(t, h, "alice", "import:feed-a", oneIndicator(id, hash, "2026-03-01T00:00:00.000Z", 80), green, 1, 0)
	imported(t, h, "carol", "import:feed-b", oneIndicator("indicator--7a1f0c55-52b0-4c5e-9a51-000000000002", hash, "2026-03-02T00:00:00.000Z", 0), green, 0, 1)
	imported(t, h, "bob", "import:feed-c", oneIndicator("indicator--7a1f0c55-52b0-4c5e-9a51-000000000003", hash, "2026-03-05T00:00:00.000Z", 0), green, 0, 1)
	// The police see it too, and share that only inside their organisation.
	imported(t, h, "officer", "import:police-only", oneIndicator("indicator--7a1f0c55-52b0-4c5e-9a51-000000000004", hash, "2026-02-01T00:00:00.000Z", 0),
		intel.Sharing{TLP: policy.AmberStrict}, 0, 1)

	carol := signIn(t, h, "carol")
	status, body, _ := carol.get("/intel/" + id)
	wantStatus(t, "carol opens", status, http.StatusOK, body)
	wantContains(t, "carol's heading", body, `Sightings <span class="count">2</span>`)
	sum := section(t, body, "sightings-summary")
	wantContains(t, "carol's summary", sum, "<dt>Times seen</dt><dd>2</dd>", "<dt>Sources</dt><dd>2</dd>",
		"<dt>First seen (JST)</dt><dd>2026-03-02 09:00</dd>", "<dt>Last seen (JST)</dt><dd>2026-03-05 09:00</dd>",
		"<code>import:feed-b</code>", "<code>import:feed-c</code>")
	if strings.Contains(body, "police-only") || strings.Contains(sum, "2026-02-01") {
		t.Error("carol's page counts the police's AMBER+STRICT sighting")
	}
	officer := signIn(t, h, "officer")
	_, body, _ = officer.get("/intel/" + id)
	wantContains(t, "officer's summary", section(t, body, "sightings-summary"), "<dt>観測回数</dt><dd>3</dd>",
		"<dt>初回観測（JST）</dt><dd>2026-02-01 09:00</dd>", "<code>import:police-only</code>")
}

func TestIntelListAgeAndScore(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	green := intel.Sharing{TLP: policy.Green}
	// One object stored on the hub 40 days ago (first: date_added never
	// decreases in store order).
	old := "indicator--9b2e0c55-52b0-4c5e-9a51-000000000003"
	at := time.Now().Add(-40 * 24 * time.Hour).UTC().Truncate(time.Millisecond)
	raw := `{"type":"indicator","spec_version":"2.1","id":"` + old + `","created":"` + at.Format("2006-01-02T15:04:05.000Z") +
		`","modified":"` + at.Format("2006-01-02T15:04:05.000Z") + `","name":"Old news","pattern":"[domain-name:value = 'old.example']",` +
		`"pattern_type":"stix","valid_from":"` + at.Format("2006-01-02T15:04:05Z") + `"}`
	err := h.DB.Intel().Transact(t.Context(), func(tx intel.Tx) error {
		return tx.PutNew(t.Context(), []intel.Object{{ID: old, Type: "indicator", Created: at, Modified: at, AddedAt: at, Latest: true,
			Source: "import:archive", Raw: json.RawMessage(raw), TLP: policy.Green,
			Dist:   policy.Distribution{TLP: policy.Green, AuthorOrg: h.Orgs["mof"].ID},
			Values: []intel.Value{{Kind: "domain", Value: "old.example", Key: "example.old."}}, ValidFrom: &at}})
	})
	if err != nil {
		t.Fatal(err)
	}

	// Hashes decay slowly: today, their scores are their confidences.
	imported(t, h, "alice", "import:sure", oneIndicator("indicator--9b2e0c55-52b0-4c5e-9a51-000000000001", strings.Repeat("1", 64), now, 90), green, 1, 0)
	imported(t, h, "alice", "import:unsure", oneIndicator("indicator--9b2e0c55-52b0-4c5e-9a51-000000000002", strings.Repeat("2", 64), now, 20), green, 1, 0)
	carol := signIn(t, h, "carol")
	for _, tc := range []struct {
		query      string
		want, hide []string
	}{
		{"", []string{"000000000001", "000000000002", old}, nil},
		{"age=30", []string{"000000000001", "000000000002"}, []string{old}},
		{"age=90", []string{"000000000001", old}, nil},
		{"age=1&score=50", []string{"000000000001"}, []string{"000000000002", old}},
		{"score=0", []string{"000000000001", "000000000002", old}, nil},
		{"score=100", nil, []string{"000000000001", "000000000002", old}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			status, body, _ := carol.get("/intel?" + tc.query)
			wantStatus(t, tc.query, status, http.StatusOK, body)
			for _, id := range tc.want {
				wantContains(t, tc.query, body, id)
			}
			for _, id := range tc.hide {
				if strings.Contains(body, id) {
					t.Errorf("%s: the list shows %s", tc.query, id)
				}
			}
		})
	}
	// The chosen filters stay chosen.
	_, body, _ := carol.get("/intel?age=7&score=35")
	wantContains(t, "form", body, `<option value="7" selected>In the last 7 days</option>`, `name="score" type="number" min="0" max="100" step="1" value="35"`,
		"Minimum score", "decayed with age")
	alice := signIn(t, h, "alice")
	_, body, _ = alice.get("/intel?age=30")
	wantContains(t, "form in Japanese", body, `<option value="30" selected>過去 30 日</option>`, "最低スコア", "登録時期")

	// Anything else is refused next to its field.
	for q, want := range map[string]string{
		"age=5":      "Choose one of the offered values.",
		"age=week":   "Choose one of the offered values.",
		"score=101":  "Give a whole number from 0 to 100.",
		"score=-1":   "Give a whole number from 0 to 100.",
		"score=12.5": "Give a whole number from 0 to 100.",
	} {
		status, body, _ := carol.get("/intel?" + q)
		wantStatus(t, q, status, http.StatusUnprocessableEntity, body)
		field := q[:strings.IndexByte(q, '=')]
		wantContains(t, q, body, `id="e-`+field+`"`, html.EscapeString(want))
	}
}
