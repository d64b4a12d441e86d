// Package config holds kyojo's one Config struct and loads it from, in
// rising order of precedence: defaults, an optional TOML file, KYOJO_*
// environment variables (and KYOJO_*_FILE for secrets kept in files), and
// command-line flags. Nothing else reads the environment; the loaded Config
// is passed down explicitly.
package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/kyojo-hub/kyojo/internal/gctune"
)

// ErrFlags wraps a command-line parse error; the flag set has already
// printed it with the usage. Test with errors.Is.
var ErrFlags = errors.New("bad flags")

// Config is every setting of `kyojo serve` and the commands that open the
// database. Field tags name the TOML key, the environment variable (KYOJO_
// plus the upper-cased key with - as _), and the flag (the key).
type Config struct {
	Data            string        `key:"data" help:"data directory: SQLite file, stream store, ledger, evidence"`
	DB              string        `key:"db" help:"database: empty for SQLite in the data directory, or postgres://user:pass@host/db" secret:"true"`
	Listen          string        `key:"listen" help:"HTTP address for the UI, the REST API and health checks"`
	LogLevel        string        `key:"log-level" help:"log level: debug, info, warn, error"`
	LogFormat       string        `key:"log-format" help:"log format: json or text"`
	TrustProxy      bool          `key:"trust-proxy" help:"take client addresses from X-Forwarded-For (only behind your own proxy)"`
	SecureCookie    bool          `key:"secure-cookie" help:"mark cookies Secure (set when users reach kyojo over HTTPS)"`
	ShutdownTimeout time.Duration `key:"shutdown-timeout" help:"how long a graceful shutdown waits for requests in flight"`
	DefaultTLP      string        `key:"default-tlp" help:"TLP of intelligence shared without one: clear, green, amber, amber+strict or red"`
	Decay           string        `key:"decay" help:"indicator score half-lives by kind of value, e.g. ip=30d,domain=90d,sha256=10y (kinds not named keep the defaults)"`
	Ledger          bool          `key:"ledger" help:"run the evidence ledger on this node (exactly one node of a hub)"`
	LedgerOrigin    string        `key:"ledger-origin" help:"the ledger's name in signed checkpoints and its key; never change it once set"`
	TAXIIKey        string        `key:"taxii-key" help:"secret that signs TAXII paging tokens; every node of a hub needs the same (default: one kept in the data directory)" secret:"true"`
	WitnessURL      string        `key:"witness-url" help:"another kyojo hub that co-signs this ledger's checkpoints, e.g. https://hub.partner.example"`
	WitnessToken    string        `key:"witness-token" help:"the API token that witness hub issued to this hub" secret:"true"`
	PartnerKey      string        `key:"partner-key" help:"secret that seals the credentials of federation partners (default: one kept in the data directory)" secret:"true"`
	Federation      bool          `key:"federation" help:"exchange intelligence with the registered partners on this node (exactly one node of a hub)"`
	FederationLocal bool          `key:"federation-allow-private" help:"let federation reach loopback and private addresses (partners inside your own network, tests)"`
	GCPercent       string        `key:"gc-percent" help:"garbage collection target as GOGC: heap growth in percent between collections, or off (default 400; the GOGC environment variable wins)"`
	MemoryLimit     string        `key:"memory-limit" help:"soft memory limit as GOMEMLIMIT, e.g. 8GiB (default: half the memory of the machine or container; the GOMEMLIMIT environment variable wins)"`
	Demo            bool          `key:"demo" help:"seed demonstration organisations and people (idempotent)"`
	DemoPassword    string        `key:"demo-password" help:"password of the demo accounts (generated and printed when empty)" secret:"true"`

	RPZListen     string        `key:"rpz-listen" help:"address (UDP and TCP) where the RPZ zones are served to subscribers, e.g. 127.0.0.1:5300"`
	DNSListen     string        `key:"dns-listen" help:"address (UDP and TCP) of the filtering resolver, e.g. 127.0.0.1:5353"`
	DNSUpstream   string        `key:"dns-upstream" help:"the filtering resolver's upstream resolvers, host:port, comma-separated"`
	DNSSubscriber string        `key:"dns-subscriber" help:"the RPZ subscriber (name) whose policy the filtering resolver applies (the demo's: demo-localhost)"`
	DNSWarnAddr   string        `key:"dns-warn-addr" help:"addresses of the warning page's host, answered after the walled garden's CNAME, comma-separated"`
	NATSURL       string        `key:"nats-url" help:"external NATS JetStream for the monitoring pipeline, e.g. nats://10.0.0.5:4222 (default: embedded, in-process)" secret:"true"`
	NATSListen    string        `key:"nats-listen" help:"let the embedded NATS server listen on this address too, e.g. 127.0.0.1:4223 (default: no port)"`
	SyslogListen  string        `key:"syslog-listen" help:"receive sensor syslog (RFC 5424/3164, CEF) on this address over UDP and TCP, e.g. 0.0.0.0:5514 (default: off)"`
	EventMaxAge   time.Duration `key:"event-max-age" help:"sensor events older than this are rejected"`
	EventCodec    string        `key:"event-compression" help:"how batches of sensor events are compressed on the stream and kept: s2 (fastest) or zstd (smaller, for long retention)"`
	EventStore    string        `key:"event-store" help:"where raw event batches are kept: files (append-only segments in the data directory's raw/; the default with SQLite) or db (in the database, which every node reads; the default with PostgreSQL)"`
	// Incident cases.
	IncidentHubOrg      string `key:"incident-hub-org" help:"slug of the national centre, which sees every incident"`
	IncidentSLA         string `key:"incident-sla" help:"SLA per severity, acknowledgement/first response, e.g. severe=30m/2h,high=1h/4h (others keep their defaults)"`
	IncidentEscalate    string `key:"incident-escalate" help:"organisations (slugs, comma-separated) the playbook invites at national severity, e.g. defence and police"`
	IncidentEscalateAt  string `key:"incident-escalate-at" help:"severity from which the playbook runs: high, severe or emergency"`
	IncidentMaxEvidence string `key:"incident-max-evidence" help:"largest evidence file in MiB"`
	SMTPAddr            string `key:"smtp-addr" help:"SMTP relay (host:port) for notification e-mail; empty sends none"`
	SMTPFrom            string `key:"smtp-from" help:"sender address of notification e-mail"`
	WebhookURL          string `key:"webhook-url" help:"URL that receives incident notifications as JSON signed with HMAC-SHA256"`
	WebhookSecret       string `key:"webhook-secret" help:"HMAC-SHA256 key of the webhook signature" secret:"true"`
}

// Default returns the defaults a newcomer meets.
func Default() Config {
	return Config{
		Data:            "./kyojo-data",
		Listen:          "127.0.0.1:8080",
		LogLevel:        "info",
		LogFormat:       "json",
		ShutdownTimeout: 15 * time.Second,
		Ledger:          true,
		Federation:      true,
		DefaultTLP:      "amber",
		LedgerOrigin:    "kyojo/ledger",
		EventMaxAge:     30 * 24 * time.Hour,
		EventCodec:      "s2",

		IncidentHubOrg:      "ncc",
		IncidentEscalate:    "npa-cyber,mod-cyber",
		IncidentEscalateAt:  "severe",
		IncidentMaxEvidence: "2048",
		SMTPFrom:            "kyojo@localhost",
	}
}

// RawEventFiles reports whether raw event batches are kept in segment
// files (in RawEventDir) rather than in the database.
func (c Config) RawEventFiles() bool {
	return c.EventStore == "files" || c.EventStore == "" && c.DB == ""
}

// RawEventDir is where segment files of raw events are kept.
func (c Config) RawEventDir() string { return filepath.Join(c.Data, "raw") }

// EnvName returns the environment variable for a key.
func EnvName(key string) string { return "KYOJO_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_")) }

type field struct {
	key, help string
	secret    bool
	v         reflect.Value
}

func (c *Config) fields() []field {
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	out := make([]field, rt.NumField())
	for i := range rt.NumField() {
		f := rt.Field(i)
		out[i] = field{key: f.Tag.Get("key"), help: f.Tag.Get("help"), secret: f.Tag.Get("secret") == "true", v: rv.Field(i)}
	}
	return out
}

func (f field) set(s string) error {
	switch f.v.Kind() {
	case reflect.String:
		f.v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%s: %q is not true or false", f.key, s)
		}
		f.v.SetBool(b)
	case reflect.Int64: // time.Duration
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%s: %q is not a duration such as 15s", f.key, s)
		}
		f.v.SetInt(int64(d))
	default:
		return fmt.Errorf("%s: unsupported type", f.key)
	}
	return nil
}

func (f field) String() string {
	if d, ok := f.v.Interface().(time.Duration); ok {
		return d.String()
	}
	return fmt.Sprint(f.v.Interface())
}

// Load builds the Config for a command: defaults, then the file named by
// --config or KYOJO_CONFIG, then the environment (env, usually os.Environ),
// then the flags in args. Flags are registered on fs, which the caller may
// have given flags of its own; Load parses fs.
func Load(fs *flag.FlagSet, args []string, env []string) (Config, error) {
	c := Default()
	envMap := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v
		}
	}
	path := envMap["KYOJO_CONFIG"]
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == "config" && i+1 < len(args) {
			path = args[i+1]
		} else if v, ok := strings.CutPrefix(a, "config="); ok {
			path = v
		}
	}
	if path != "" {
		if err := c.loadFile(path); err != nil {
			return c, err
		}
	}
	for _, f := range c.fields() {
		name := EnvName(f.key)
		v, ok := envMap[name]
		if file, fok := envMap[name+"_FILE"]; fok && !ok {
			b, err := os.ReadFile(file)
			if err != nil {
				return c, fmt.Errorf("%s_FILE: %w", name, err)
			}
			v, ok = strings.TrimSpace(string(b)), true
		}
		if ok {
			if err := f.set(v); err != nil {
				return c, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	fs.String("config", path, "TOML configuration `file` (env KYOJO_CONFIG)")
	for _, f := range c.fields() {
		help := f.help + " (env " + EnvName(f.key) + ")"
		switch p := f.v.Addr().Interface().(type) {
		case *string:
			fs.StringVar(p, f.key, *p, help)
		case *bool:
			fs.BoolVar(p, f.key, *p, help)
		case *time.Duration:
			fs.DurationVar(p, f.key, *p, help)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, fmt.Errorf("%w: %w", ErrFlags, err)
	}
	return c, c.Validate()
}

func (c *Config) loadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var raw map[string]any
	md, err := toml.NewDecoder(bytes.NewReader(b)).Decode(&raw)
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	_ = md
	byKey := map[string]field{}
	for _, f := range c.fields() {
		byKey[f.key] = f
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := byKey[strings.ReplaceAll(k, "_", "-")]
		if !ok {
			return fmt.Errorf("config file %s: unknown setting %q", path, k)
		}
		if err := f.set(fmt.Sprint(raw[k])); err != nil {
			return fmt.Errorf("config file %s: %w", path, err)
		}
	}
	return nil
}

// Validate checks settings that would otherwise fail late.
func (c Config) Validate() error {
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log-level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return fmt.Errorf("log-format: %q is not json or text", c.LogFormat)
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		return fmt.Errorf("db: %q is not a postgres:// URL (leave it empty for SQLite)", Mask(c.DB))
	}
	switch c.DefaultTLP {
	case "clear", "green", "amber", "amber+strict", "red":
	default:
		return fmt.Errorf("default-tlp: %q is not clear, green, amber, amber+strict or red", c.DefaultTLP)
	}
	if c.Data == "" {
		return fmt.Errorf("data: the data directory must not be empty")
	}
	if c.EventCodec != "s2" && c.EventCodec != "zstd" {
		return fmt.Errorf("event-compression: %q is not s2 or zstd", c.EventCodec)
	}
	if _, err := gctune.ParsePercent(c.GCPercent); err != nil {
		return err
	}
	if _, err := gctune.ParseLimit(c.MemoryLimit); err != nil {
		return err
	}
	if c.EventStore != "" && c.EventStore != "files" && c.EventStore != "db" {
		return fmt.Errorf("event-store: %q is not files or db", c.EventStore)
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("shutdown-timeout: must not be negative")
	}
	if err := c.validateIncidents(); err != nil {
		return err
	}
	return nil
}

// Print writes the effective configuration as TOML, secrets masked.
func (c Config) Print(w io.Writer) {
	for _, f := range c.fields() {
		v := f.String()
		if f.secret && v != "" {
			v = Mask(v)
		}
		switch f.v.Kind() {
		case reflect.String, reflect.Int64:
			fmt.Fprintf(w, "%s = %q\n", f.key, v)
		default:
			fmt.Fprintf(w, "%s = %s\n", f.key, v)
		}
	}
}

// Mask hides a secret: the password of a URL, or the whole value.
func Mask(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return "xxxxx"
}
