package config

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args, env []string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Load(fs, args, env)
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kyojo.toml")
	os.WriteFile(file, []byte("listen = \"127.0.0.1:9000\"\nlog_level = \"warn\"\ndata = \"/from/file\"\nshutdown-timeout = \"3s\"\n"), 0o600)
	secret := filepath.Join(dir, "db")
	os.WriteFile(secret, []byte("postgres://k:pw@db/kyojo\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  []string
		want func(Config) bool
	}{
		{"defaults", nil, nil, func(c Config) bool { return c == Default() }},
		{"file", []string{"--config", file}, nil, func(c Config) bool {
			return c.Listen == "127.0.0.1:9000" && c.LogLevel == "warn" && c.ShutdownTimeout == 3*time.Second
		}},
		{"env over file", []string{"-config=" + file}, []string{"KYOJO_LISTEN=127.0.0.1:9100"}, func(c Config) bool {
			return c.Listen == "127.0.0.1:9100" && c.Data == "/from/file"
		}},
		{"flag over env", []string{"--config", file, "--listen", "127.0.0.1:9200"}, []string{"KYOJO_LISTEN=127.0.0.1:9100"},
			func(c Config) bool { return c.Listen == "127.0.0.1:9200" }},
		{"config from env", nil, []string{"KYOJO_CONFIG=" + file}, func(c Config) bool { return c.Data == "/from/file" }},
		{"secret file", nil, []string{"KYOJO_DB_FILE=" + secret}, func(c Config) bool { return c.DB == "postgres://k:pw@db/kyojo" }},
		{"bool env", nil, []string{"KYOJO_DEMO=true"}, func(c Config) bool { return c.Demo }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.args, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(c) {
				t.Fatalf("got %+v", c)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "u.toml")
	os.WriteFile(unknown, []byte("lisen = \"x\"\n"), 0o600)
	broken := filepath.Join(dir, "b.toml")
	os.WriteFile(broken, []byte("listen = \n"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown key", []string{"--config", unknown}, nil, `unknown setting "lisen"`},
		{"broken toml", []string{"--config", broken}, nil, "b.toml"},
		{"missing file", []string{"--config", filepath.Join(dir, "none")}, nil, "config file"},
		{"bad bool", nil, []string{"KYOJO_DEMO=maybe"}, "KYOJO_DEMO"},
		{"bad duration", []string{"--shutdown-timeout", "soon"}, nil, "shutdown-timeout"},
		{"bad level", []string{"--log-level", "loud"}, nil, "log-level"},
		{"bad db", []string{"--db", "mysql://x"}, nil, "postgres://"},
		{"bad event compression", []string{"--event-compression", "gzip"}, nil, "event-compression"},
		{"bad event store", []string{"--event-store", "s3"}, nil, "event-store"},
		{"bad gc percent", []string{"--gc-percent", "0"}, nil, "gc-percent"},
		{"bad memory limit", []string{"--memory-limit", "8GB"}, nil, "memory-limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.args, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestPrintMasksSecrets(t *testing.T) {
	c := Default()
	c.DB = "postgres://kyojo:s3cret@db.example:5432/kyojo"
	c.DemoPassword = "hunter2hunter2"
	var b bytes.Buffer
	c.Print(&b)
	out := b.String()
	if strings.Contains(out, "s3cret") || strings.Contains(out, "hunter2") {
		t.Fatalf("secret printed:\n%s", out)
	}
	if !strings.Contains(out, "db.example") || !strings.Contains(out, `listen = "127.0.0.1:8080"`) {
		t.Fatalf("missing settings:\n%s", out)
	}
}
