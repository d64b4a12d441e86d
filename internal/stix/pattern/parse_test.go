package pattern

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// specExamples are patterns in the style of the examples of STIX 2.1
// section 9, written for these tests.
var specExamples = []string{
	`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,
	`[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`,
	`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']`,
	`[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,
	`[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar'] WITHIN 5 SECONDS`,
	`[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008'] AND [user-account:account_login = 'Mary']`,
	`[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`,
	`[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']`,
	`[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`,
	`[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']`,
	`[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']`,
	`[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS`,
	`[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']`,
	`[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']`,
	`[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']`,
	`[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\CryptoLocker\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\Microsoft\\CurrentVersion\\Run\\CryptoLocker_0388']`,
	`[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = t'2014-01-13T07:03:17Z']`,
	`[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']`,
	`[x-usb-device:usbdrive.serial_number = '575833314133343231313937']`,
	`[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS`,
	`[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']`,
	`([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']`,
	`[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`,
	`[network-traffic:src_port = 37020 AND network-traffic:dst_port NOT = 80]`,
	`[ipv4-addr:value ISSUPERSET '198.51.100.7']`,
	`[file:size IN (1, 2, 3) AND file:name NOT LIKE 'foo%.ex_']`,
	`[file:name NOT IN ('a.exe', 'b.exe')]`,
	`[file:name NOT MATCHES '^x']`,
	`[EXISTS file:hashes.MD5 AND NOT EXISTS file:name]`,
	`[network-traffic:protocols[0] = 'tcp' AND network-traffic:protocols[*] = 'http']`,
	`[file:size >= 10 AND file:size <= 20 AND file:size > -1 AND file:size < +30 AND file:size != 15]`,
	`[file:is_encrypted = true OR file:x_flag = false]`,
	`[artifact:payload_bin = b'SGVsbG8=' OR artifact:payload_bin = b'']`,
	`[file:created > t'2016-01-01T00:00:00.123Z'] WITHIN 2.5 SECONDS`,
	`(([a-b:c = 1] OR [a-b:c = 2]) FOLLOWEDBY [x-c:d = 'q']) REPEATS 2 TIMES START t'2020-01-01T00:00:00Z' STOP t'2020-02-01T00:00:00Z'`,
	`[file:'name' = 'x' OR file:hashes.'SHA-1' = 'y']`,
	"[file:name = 'x'] /* a comment */ AND // line comment\n [file:name = 'y']",
	`[file:name = 'it\'s \\ ok']`,
	`[file:name == 'x' AND file:size <> 3]`,
	`[x509-certificate:hashes.'SHA-1' = '0123456789abcdef0123456789abcdef01234567']`,
	`[software:languages[*] = 'en' OR software:name = 'ü']`,
	`[file:created = t'2016-12-31T23:59:60Z']`,
}

func TestParseValid(t *testing.T) {
	for _, s := range specExamples {
		t.Run(s, func(t *testing.T) {
			p, err := Parse(s)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			again, err := Parse(p.String())
			if err != nil {
				t.Fatalf("re-Parse(%q): %v", p.String(), err)
			}
			if d1, d2 := dump(p.Root), dump(again.Root); d1 != d2 {
				t.Errorf("round trip differs:\n%s\n%s", d1, d2)
			}
			if again.String() != p.String() {
				t.Errorf("String not stable: %q then %q", p.String(), again.String())
			}
		})
	}
}

func TestParseTree(t *testing.T) {
	tests := []struct{ in, want string }{
		{`[a-b:c = 1] AND [a-b:c = 2] OR [a-b:c = 3]`, `OR(AND([a-b:c = 1],[a-b:c = 2]),[a-b:c = 3])`},
		{`[a-b:c = 1] OR [a-b:c = 2] FOLLOWEDBY [a-b:c = 3] AND [a-b:c = 4]`, `FOLLOWEDBY(OR([a-b:c = 1],[a-b:c = 2]),AND([a-b:c = 3],[a-b:c = 4]))`},
		{`[a-b:c = 1] AND ([a-b:c = 2] OR [a-b:c = 3])`, `AND([a-b:c = 1],OR([a-b:c = 2],[a-b:c = 3]))`},
		{`[a-b:c = 1 OR a-b:c = 2 AND a-b:d = 3]`, `[OR(a-b:c = 1,AND(a-b:c = 2,a-b:d = 3))]`},
		{`[a-b:c = 1] AND [a-b:c = 2] WITHIN 5 SECONDS`, `AND([a-b:c = 1],WITHIN 5([a-b:c = 2]))`},
		{`([a-b:c = 1] AND [a-b:c = 2]) WITHIN 5 SECONDS REPEATS 2 TIMES`, `REPEATS 2(WITHIN 5(AND([a-b:c = 1],[a-b:c = 2])))`},
		{`[file:a.'b-c'[3][*].d = 'x']`, `[file:a.'b-c'[3][*].d = 'x']`},
	}
	for _, tt := range tests {
		p, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := dump(p.Root); got != tt.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

func TestParseCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{`[ file:'name'='x' ]`, `[file:name = 'x']`},
		{`[file:size == +05.50]`, `[file:size = 5.5]`},
		{`[file:size <> 3]`, `[file:size != 3]`},
		{`([a-b:c = 1]) WITHIN 5.0 SECONDS`, `[a-b:c = 1] WITHIN 5 SECONDS`},
		{`[a-b:c = h'FFd8' OR a-b:c = b'SGVsbG8=']`, `[a-b:c = h'ffd8' OR a-b:c = b'SGVsbG8=']`},
		{`[(a-b:c = 1 OR a-b:c = 2) OR a-b:c = 3]`, `[(a-b:c = 1 OR a-b:c = 2) OR a-b:c = 3]`},
		{`[a-b:c = 1 OR (a-b:c = 2 AND a-b:d = 3)]`, `[a-b:c = 1 OR a-b:c = 2 AND a-b:d = 3]`},
	}
	for _, tt := range tests {
		p, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := p.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		reason string
	}{
		{``, 0, "empty pattern"},
		{`   `, 3, "empty pattern"},
		{`/* only */`, 10, "empty pattern"},
		{`[file:name = 'x'`, 16, "expected ']' after comparison"},
		{`[file:name = 'x' OR]`, 19, "expected a comparison, found ']'"},
		{`file:name = 'x'`, 0, "expected '[' or '('"},
		{`[file:name = 'x']]`, 17, "unexpected ']' after the end"},
		{`[file:name = 'x'] [file:name = 'y']`, 18, "unexpected '['"},
		{`([file:name = 'x']`, 18, "expected ')' to close '(' at 0"},
		{`[file:name = 'x'])`, 17, "unexpected ')'"},
		{`[file:name = 'x'] AND`, 21, "found end of pattern"},
		{`[file:name = 'x'] XOR [file:name = 'y']`, 18, "unexpected 'XOR'"},
		{`[file:name ~ 'x']`, 11, "unexpected character '~'"},
		{`[file:name EQUALS 'x']`, 11, "expected a comparison operator"},
		{`[file:name NOT 'x']`, 15, "expected a comparison operator"},
		{`[file:name NOT NOT = 'x']`, 15, "expected a comparison operator"},
		{`[NOT file:name = 'x']`, 5, "NOT must follow the object path"},
		{`[File:name = 'x']`, 1, "invalid object type 'File'"},
		{`[fi:name = 'x']`, 1, "must be 3 to 250"},
		{`[1file:name = 'x']`, 2, "unexpected 'f' after number"},
		{`[5 = 'x']`, 1, "expected an object path"},
		{`[-file:name = 'x']`, 1, "expected a number"},
		{`[file_x:name = 'x']`, 1, "only a-z, 0-9 and '-'"},
		{`[file name = 'x']`, 6, "expected ':' after object type"},
		{`[file: = 'x']`, 7, "expected a property name"},
		{`[file:hashes.SHA-256 = 'x']`, 13, "contains '-': quote it"},
		{`[file:hashes. = 'x']`, 14, "expected a property name"},
		{`[file:name[-1] = 'x']`, 11, "must not be negative"},
		{`[file:name[x] = 'x']`, 11, "expected a list index"},
		{`[file:name[1 = 'x']`, 13, "expected ']' after list index"},
		{`[file:[0] = 'x']`, 6, "expected a property name"},
		{`[file:'' = 'x']`, 6, "empty property name"},
		{`[file:name = ]`, 13, "expected a constant"},
		{`[file:name = 'x]`, 13, "unterminated quoted literal"},
		{`[file:name = 'a\x']`, 15, "invalid escape"},
		{`[file:name = "x"]`, 13, "unexpected character '\"'"},
		{`[file:name = 01]`, 13, "leading zero"},
		{`[file:size = 1.]`, 13, "decimal point must be followed"},
		{`[file:size = 99999999999999999999]`, 13, "out of range"},
		{`[file:size = 12abc]`, 15, "after number"},
		{`[file:size > true]`, 13, "cannot compare a boolean"},
		{`[file:name MATCHES '(unclosed']`, 19, "invalid regular expression"},
		{`[file:name MATCHES '(?<=x)y']`, 19, "invalid regular expression"},
		{`[file:name MATCHES 5]`, 19, "MATCHES needs a string"},
		{`[file:name MATCHES '\\pL{1000}']`, 19, "too large once repetitions are expanded"},
		{`[file:name MATCHES '((a{100}){100}){100}']`, 19, "invalid regular expression"},
		{`[file:name LIKE h'00']`, 16, "LIKE needs a string"},
		{`[ipv4-addr:value ISSUBSET 'not-a-cidr']`, 26, "IP address or CIDR"},
		{`[file:name IN 'x']`, 14, "expected '(' after IN"},
		{`[file:name IN ('x' 'y')]`, 19, "expected ',' or ')'"},
		{`[file:name IN ('x',)]`, 19, "expected a constant"},
		{`[file:name = 'x' AND ipv4-addr:value = '1.2.3.4']`, 17, "must refer to one object type, found 'file' and 'ipv4-addr'"},
		{`[(file:name = 'x' OR ipv4-addr:value = '1.2.3.4') AND file:size = 1]`, 50, "must refer to one object type"},
		{`[file:name = 'x'] WITHIN 0 SECONDS`, 25, "positive number of seconds"},
		{`[file:name = 'x'] WITHIN -5 SECONDS`, 25, "positive number of seconds"},
		{`[file:name = 'x'] WITHIN 5`, 26, "expected SECONDS"},
		{`[file:name = 'x'] WITHIN 5 MINUTES`, 27, "expected SECONDS"},
		{`[file:name = 'x'] REPEATS 0 TIMES`, 26, "REPEATS needs a positive integer"},
		{`[file:name = 'x'] REPEATS 2.5 TIMES`, 26, "REPEATS needs a positive integer"},
		{`[file:name = 'x'] REPEATS 2`, 27, "expected TIMES"},
		{`[file:name = 'x'] START t'2016-01-02T00:00:00Z' STOP t'2016-01-01T00:00:00Z'`, 53, "must be later than START"},
		{`[file:name = 'x'] START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'`, 53, "must be later than START"},
		{`[file:name = 'x'] START t'2016-01-01T00:00:00Z'`, 47, "expected STOP"},
		{`[file:name = 'x'] START '2016-01-01T00:00:00Z' STOP '2017-01-01T00:00:00Z'`, 24, "START needs a timestamp"},
		{`[file:created = t'2016-01-01T00:00:00+01:00']`, 16, "invalid timestamp"},
		{`[file:created = t'2016-01-01 00:00:00Z']`, 16, "invalid timestamp"},
		{`[file:created = t'2016-02-30T00:00:00Z']`, 16, "no such date"},
		{`[file:created = t'2016-01-01T00:00:00.Z']`, 16, "bad fractional seconds"},
		{`[file:created = t'2016-01-01T00:00:00z']`, 16, "invalid timestamp"},
		{`[a-b:c = b'abc']`, 9, "invalid base64"},
		{`[a-b:c = h'abc']`, 9, "invalid hex"},
		{`[a-b:c = h'a\'']`, 12, "backslash not allowed"},
		{`[a-b:c = TRUE]`, 9, "expected a constant"},
		{`[file:name = 'x'] and [file:name = 'y']`, 18, "unexpected 'and'"},
		{`[file:name = 'x'] /* open`, 18, "unterminated comment"},
		{"[file:name = 'x'\xff]", 16, "invalid UTF-8"},
		{"[a-b:c LIKE '\x80']", 12, "invalid UTF-8 in quoted literal"},
		{`[EXISTS]`, 7, "expected an object type"},
		{`[]`, 1, "expected a comparison"},
		{`[file:name = 'x'] FOLLOWEDBY`, 28, "found end of pattern"},
		{strings.Repeat("(", 101) + "[file:name = 'x']" + strings.Repeat(")", 101), 100, "nesting deeper than 100"},
		{"[" + strings.Repeat("(", 150) + "file:name = 'x'" + strings.Repeat(")", 150) + "]", 100, "nesting deeper than 100"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.reason)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if pe.Offset != tt.offset || !strings.Contains(pe.Reason, tt.reason) {
				t.Errorf("got %v; want offset %d and reason containing %q", err, tt.offset, tt.reason)
			}
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("errs.CodeOf = %q, want invalid", errs.CodeOf(err))
			}
			if f := errs.Fields(err); len(f) != 1 || f[0].Field != "pattern" || !strings.Contains(f[0].Message, fmt.Sprintf("at %d ", tt.offset)) {
				t.Errorf("errs.Fields = %v", f)
			}
		})
	}
	if len(tests) < 40 {
		t.Errorf("only %d invalid cases", len(tests))
	}
}

func TestParseErrorPosition(t *testing.T) {
	_, err := Parse("[file:name = 'é'\n OR 5]")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	if pe.Offset != 22 || pe.Line != 2 || pe.Column != 5 {
		t.Errorf("got offset %d line %d column %d, want 22, 2, 5", pe.Offset, pe.Line, pe.Column)
	}
	if want := "at 22 (line 2, column 5): expected an object path"; !strings.HasPrefix(pe.Error(), want) {
		t.Errorf("Error() = %q, want prefix %q", pe.Error(), want)
	}
}

func TestParseLimits(t *testing.T) {
	big := "[file:name = '" + strings.Repeat("a", MaxLen) + "']"
	_, err := Parse(big)
	if !errs.Is(err, errs.TooLarge) {
		t.Errorf("over MaxLen: err = %v, want too_large", err)
	}
	start := time.Now()
	for _, s := range []string{
		strings.Repeat("(", 100_000),
		strings.Repeat("[", 100_000),
		"[" + strings.Repeat("(", 60_000),
		strings.Repeat("([file:name = 'x'] AND ", 2_000),
	} {
		if _, err := Parse(s); err == nil {
			t.Errorf("deep input of %d bytes parsed", len(s))
		}
	}
	chain := "[file:name = 'x']" + strings.Repeat(" WITHIN 1 SECONDS", 200)
	if _, err := Parse(chain); err == nil || !strings.Contains(err.Error(), "nesting deeper") {
		t.Errorf("200 chained qualifiers: err = %v", err)
	}
	wide := "[" + strings.Repeat("file:name = 'x' OR ", 3000) + "file:name = 'y']"
	if _, err := Parse(wide); err != nil {
		t.Errorf("wide pattern: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("hostile inputs took %v", d)
	}
}

// TestParseHostileCost checks that large inputs that are expensive for a
// naive implementation (huge regular expressions, LIKE patterns, many object
// types) each parse or fail within a bounded time.
func TestParseHostileCost(t *testing.T) {
	var types []string
	for i := range 3000 {
		types = append(types, fmt.Sprintf("x%03d:a = 1", i))
	}
	cases := map[string]string{
		"unicode repeat": "[a-b:c MATCHES '" + strings.Repeat(`\\pL{1000}`, 3000) + "']",
		"nested repeat":  "[a-b:c MATCHES '" + strings.Repeat(`(?:\\pL{100}){10}`, 2000) + "']",
		"like":           "[a-b:c LIKE '" + strings.Repeat("%_", 30000) + "']",
		"many types":     "[" + strings.Join(types, " OR ") + "]",
		"comments":       strings.Repeat("/**/", 16000),
		"late error":     strings.Repeat("\n", 65000) + "x",
	}
	for name, s := range cases {
		start := time.Now()
		Parse(s)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %d bytes took %v", name, len(s), d)
		}
	}
}

// dump prints a tree with every node explicit, for structural comparison.
func dump(e any) string {
	switch e := e.(type) {
	case *Bracket:
		return "[" + dump(e.Comp) + "]"
	case *ObsBinary:
		parts := make([]string, len(e.Terms))
		for i, t := range e.Terms {
			parts[i] = dump(t)
		}
		return e.Op.String() + "(" + strings.Join(parts, ",") + ")"
	case *Qualified:
		q := ""
		switch e.Kind {
		case Within:
			q = fmt.Sprintf("WITHIN %v", e.Seconds)
		case Repeats:
			q = fmt.Sprintf("REPEATS %d", e.Times)
		case StartStop:
			q = fmt.Sprintf("START %s STOP %s", e.Start.Time, e.Stop.Time)
		}
		return q + "(" + dump(e.Expr) + ")"
	case *CompBinary:
		parts := make([]string, len(e.Terms))
		for i, t := range e.Terms {
			parts[i] = dump(t)
		}
		op := "OR"
		if e.Op == And {
			op = "AND"
		}
		return op + "(" + strings.Join(parts, ",") + ")"
	case *Comparison:
		var b strings.Builder
		e.write(&b)
		return b.String()
	}
	return fmt.Sprintf("?%T", e)
}
