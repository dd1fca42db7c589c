package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretsTOML configures Discord and mail without their secrets, as a
// deployment does that keeps them in the environment of the service only.
const secretsTOML = `
[discord]
guild_id = "1203456789012345678"

[mail]
imap_addr = "127.0.0.1:1"
tls = "none"
username = "archiv"
` + groupsTOML

// runSecrets runs the real command line with -config and -db in a fresh
// directory, so it does not depend on the working directory.
func runSecrets(t *testing.T, environ map[string]string, args ...string) (result, string) {
	t.Helper()
	return runSecretsIn(t, t.TempDir(), environ, args...)
}

// runSecretsIn is runSecrets in dir.
func runSecretsIn(t *testing.T, dir string, environ map[string]string, args ...string) (result, string) {
	t.Helper()
	cfg := writeFile(t, dir, "coordbot.toml", secretsTOML)
	db := filepath.Join(dir, "coordbot.db")
	var out, errb bytes.Buffer
	all := append([]string{"-config", cfg, "-db", db}, args...)
	code := run(context.Background(), all, func(k string) string { return environ[k] }, &out, &errb)
	return result{code, out.String(), errb.String()}, db
}

func TestCommandsWithoutServersNeedNoSecrets(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStdout string // substring
		reader     bool   // only reads: the database is created first
	}{
		{"meeting_list", []string{"meeting", "list"}, "no meetings", true},
		{"meeting_add", []string{"meeting", "add", "-group", "pracovni-skupina", "-title", "Jednání",
			"-start", "23. 3. 2099 10:00"}, "meeting 1 created: Jednání", false},
		{"migrate", []string{"migrate"}, "migrated to schema version", false},
		{"report", []string{"report", "-group", "pracovni-skupina", "-year", "2022"}, "2022", true},
		{"ics", []string{"ics", "-group", "pracovni-skupina"}, "BEGIN:VCALENDAR", true},
		{"search", []string{"search", "zápis"}, "no messages found", true},
		{"import", []string{"import", mustAbs(t, "../../mail/testdata/outlook-cp1250.eml")}, "quarantined 1, failed 0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.reader {
				if r, _ := runSecretsIn(t, dir, nil, "migrate"); r.code != exitOK {
					t.Fatalf("migrate: %+v", r)
				}
			}
			r, _ := runSecretsIn(t, dir, nil, tt.args...)
			if r.code != exitOK || !strings.Contains(r.stdout, tt.wantStdout) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 0 and %q", r.code, r.stdout, r.stderr, tt.wantStdout)
			}
		})
	}
}

func TestHelpNeedsNoSecrets(t *testing.T) {
	r, _ := runSecrets(t, nil, "meeting", "add", "-h")
	if r.code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %q", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "Usage: coordbot meeting add ") || !strings.Contains(r.stdout, "-title") {
		t.Errorf("stdout = %q, want the usage of meeting add", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("stderr = %q, want nothing", r.stderr)
	}
}

func TestServersRefuseToStartWithoutTheirSecrets(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string // the whole line on stderr after the file name
	}{
		{"serve_without_token", map[string]string{"COORDBOT_IMAP_PASSWORD": "heslo"}, []string{"serve"},
			"discord.token: required (set COORDBOT_DISCORD_TOKEN)"},
		{"serve_without_password", map[string]string{"COORDBOT_DISCORD_TOKEN": "MTA-secret-token"}, []string{"serve"},
			"mail.password: required (set COORDBOT_IMAP_PASSWORD)"},
		{"serve_without_either", nil, []string{"serve"},
			"discord.token: required (set COORDBOT_DISCORD_TOKEN)"},
		{"fetch_mail_without_password", map[string]string{"COORDBOT_DISCORD_TOKEN": "MTA-secret-token"}, []string{"fetch-mail"},
			"mail.password: required (set COORDBOT_IMAP_PASSWORD)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, db := runSecrets(t, tt.env, tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, "coordbot: ") || !strings.HasSuffix(r.stderr, ": "+tt.wantErr+"\n") ||
				strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr = %q, want one line ending in %q", r.stderr, tt.wantErr)
			}
			for _, v := range tt.env {
				if strings.Contains(r.stdout+r.stderr, v) {
					t.Errorf("a secret was printed: %q", r.stdout+r.stderr)
				}
			}
			// It fails before it touches anything.
			if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("database %s: %v, want it not created", db, err)
			}
		})
	}
}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
