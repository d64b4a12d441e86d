package parse

import (
	"encoding/json"
	"net/netip"
	"strings"
	"time"
)

// eve is the part of a Suricata EVE JSON record kyojo reads. Suricata's
// schema drifts across versions (DNS v1 and v2, grouped answers); both
// shapes are read.
type eve struct {
	Timestamp string    `json:"timestamp"`
	EventType string    `json:"event_type"`
	SrcIP     string    `json:"src_ip"`
	SrcPort   int       `json:"src_port"`
	DestIP    string    `json:"dest_ip"`
	DestPort  int       `json:"dest_port"`
	Proto     string    `json:"proto"`
	Alert     *eveAlert `json:"alert"`
	DNS       *eveDNS   `json:"dns"`
	HTTP      *eveHTTP  `json:"http"`
	TLS       *struct {
		SNI string `json:"sni"`
		JA3 *struct {
			Hash string `json:"hash"`
		} `json:"ja3"`
		JA3S *struct {
			Hash string `json:"hash"`
		} `json:"ja3s"`
		JA4 string `json:"ja4"`
	} `json:"tls"`
	Fileinfo *eveFile `json:"fileinfo"`
	SMTP     *struct {
		MailFrom string   `json:"mail_from"`
		RcptTo   []string `json:"rcpt_to"`
	} `json:"smtp"`
	Email *struct {
		From string   `json:"from"`
		To   []string `json:"to"`
		Cc   []string `json:"cc"`
	} `json:"email"`

	fast fastSections // the fast path's sections, without allocating
	// Values the fast path read straight from the line's bytes; when set
	// they stand for Timestamp, SrcIP and DestIP.
	ts             time.Time
	src, dst       netip.Addr
	tsSet          bool
	srcSet, dstSet bool
}

type eveAlert struct {
	Signature string `json:"signature"`
	Severity  int    `json:"severity"`
}

type eveDNS struct {
	RRName  string `json:"rrname"`
	RData   string `json:"rdata"`
	Queries []struct {
		RRName string `json:"rrname"`
	} `json:"queries"`
	Answers []struct {
		RRName string `json:"rrname"`
		RData  string `json:"rdata"`
	} `json:"answers"`
	Grouped map[string][]json.RawMessage `json:"grouped"`
}

type eveHTTP struct {
	Hostname  string `json:"hostname"`
	URL       string `json:"url"`
	UserAgent string `json:"http_user_agent"`
	Port      int    `json:"http_port"`
}

type eveFile struct {
	MD5    string `json:"md5"`
	SHA1   string `json:"sha1"`
	SHA256 string `json:"sha256"`
}

// EVE reads one Suricata EVE JSON line. Every event type gives its
// addresses; alert, dns, http, tls, fileinfo, smtp (and email) give their
// other observables, whatever record carries them (an alert with an http
// object gives its URL too).
func EVE(line []byte) (Event, error) {
	var r eve // stays on the stack: only the slow path hands a record to encoding/json
	if eveFast(line, &r) {
		return eveEvent(&r)
	}
	return eveSlow(line)
}

// eveSlow is EVE through encoding/json only, for the differential test.
func eveSlow(line []byte) (Event, error) {
	var r eve
	if err := json.Unmarshal(line, &r); err != nil {
		return Event{}, bad("not EVE JSON: %v", err)
	}
	return eveEvent(&r)
}

func eveEvent(r *eve) (Event, error) {
	alert, dns, http, file := r.sections()
	if r.EventType == "" {
		return Event{}, bad("not EVE JSON: no event_type")
	}
	e := Event{Type: r.EventType, SrcIP: r.src, DstIP: r.dst, SrcPort: r.SrcPort, DstPort: r.DestPort, Proto: r.Proto}
	if !r.srcSet {
		e.SrcIP = parseAddr(r.SrcIP)
	}
	if !r.dstSet {
		e.DstIP = parseAddr(r.DestIP)
	}
	e.Time = r.ts
	if !r.tsSet {
		t, err := eveTime(r.Timestamp)
		if err != nil {
			return Event{}, err
		}
		e.Time = t
	}
	if a := alert; a != nil {
		e.Signature, e.Severity = a.Signature, a.Severity
	}
	if d := dns; d != nil {
		e.addDomain(d.RRName)
		for _, q := range d.Queries {
			e.addDomain(q.RRName)
		}
		if a := parseAddr(d.RData); a.IsValid() {
			e.addAddr(a)
		}
		for _, an := range d.Answers {
			e.addDomain(an.RRName)
			if a := parseAddr(an.RData); a.IsValid() {
				e.addAddr(a)
			}
		}
		for _, rrs := range d.Grouped {
			for _, raw := range rrs {
				var s string
				if json.Unmarshal(raw, &s) == nil {
					if a := parseAddr(s); a.IsValid() {
						e.addAddr(a)
					}
				}
			}
		}
	}
	if h := http; h != nil {
		e.addDomain(h.Hostname)
		scheme := "http"
		if h.Port == 443 || e.DstPort == 443 {
			scheme = "https"
		}
		if h.URL != "" {
			host := h.Hostname
			if h.Port != 0 && h.Port != 80 && h.Port != 443 && !strings.Contains(host, ":") {
				host = host + ":" + itoa(h.Port)
			}
			e.addURL(scheme, host, h.URL)
		}
		e.UserAgent = clip(h.UserAgent, 512)
	}
	if t := r.TLS; t != nil {
		e.addDomain(t.SNI)
		if t.JA3 != nil {
			e.addJA3(t.JA3.Hash)
		}
		if t.JA3S != nil {
			e.addJA3(t.JA3S.Hash)
		}
		e.addJA3(t.JA4)
	}
	if f := file; f != nil {
		e.addHash(f.MD5)
		e.addHash(f.SHA1)
		e.addHash(f.SHA256)
	}
	if s := r.SMTP; s != nil {
		e.addEmail(s.MailFrom)
		for _, to := range s.RcptTo {
			e.addEmail(to)
		}
	}
	if m := r.Email; m != nil {
		e.addEmail(m.From)
		for _, to := range append(m.To, m.Cc...) {
			e.addEmail(to)
		}
	}
	return e, nil
}

// eveTime reads Suricata's timestamp ("2016-09-19T15:13:55.657253+0000")
// or RFC 3339.
func eveTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, bad("no timestamp")
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, bad("timestamp %q is not a time", clip(s, 40))
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
