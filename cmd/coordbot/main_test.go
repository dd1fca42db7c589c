package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"coordbot/config"
	"coordbot/store"
)

// result is what one run of the command line produced.
type result struct {
	code           int
	stdout, stderr string
}

// cliNow is the command line's clock in tests: 25 November 2026, noon.
func cliNow() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }

// runCLI runs the real command line in dir with env as the environment,
// on the clock cliNow.
func runCLI(t *testing.T, dir string, environ map[string]string, args ...string) result {
	t.Helper()
	return runCLIClock(t, cliNow, dir, environ, args...)
}

// runCLIClock runs the real command line on the clock now.
func runCLIClock(t testing.TB, now func() time.Time, dir string, environ map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(old)
	e := &env{getenv: func(k string) string { return environ[k] }, stdout: &out, stderr: &errb,
		now: now}
	code := exitOK
	if err := e.dispatch(context.Background(), args); err != nil {
		code = exitCode(err)
		errb.WriteString("coordbot: " + err.Error() + "\n")
	}
	return result{code, out.String(), errb.String()}
}

const groupsTOML = `
[[groups]]
slug = "pracovni-skupina"
name = "Pracovní skupina protidrogové politiky"

[[groups]]
slug = "working-group"
name = "Working group"
locale = "en"
`

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}} {
		r := runCLI(t, t.TempDir(), nil, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		for _, cmd := range []string{"serve", "migrate", "import PATH", "fetch-mail", "search [-json] [-limit N] QUERY",
			"meeting add|list|show|edit|cancel|attended", "member add|list|remove|import", "rsvp MEETING PERSON", "agenda add|list|accept", "report -group SLUG -year YYYY", "ics -group SLUG", "version", "-config", "-db"} {
			if !strings.Contains(r.stdout, cmd) {
				t.Errorf("%v: help lacks %q", args, cmd)
			}
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for name, args := range map[string][]string{
		"no command":      {},
		"unknown command": {"frobnicate"},
		"unknown flag":    {"-nope", "migrate"},
		"meeting without": {"meeting"},
		"search nothing":  {"search"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, t.TempDir(), nil, args...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			if lines := strings.Count(r.stderr, "\n"); lines != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", lines, r.stderr)
			}
		})
	}
}

func TestMigrateTwiceIsNoopTheSecondTime(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, dir, nil, "migrate")
	if r.code != 0 || !strings.Contains(r.stdout, "migrated to schema version") {
		t.Fatalf("first migrate: %+v", r)
	}
	fi, err := os.Stat(filepath.Join(dir, "coordbot.db"))
	if err != nil {
		t.Fatalf("default database not created in the working directory: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode %v, want 0600", fi.Mode().Perm())
	}
	r = runCLI(t, dir, nil, "migrate")
	if r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Fatalf("second migrate: %+v", r)
	}
	r = runCLI(t, dir, nil, "-db", "other.db", "migrate")
	if r.code != 0 || !strings.Contains(r.stdout, "other.db migrated") {
		t.Fatalf("-db: %+v", r)
	}
}

func TestBadConfigExitsTwoWithOneLineNamingFileAndKey(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ toml, want string }{
		"bad zone":     {"[[groups]]\nslug = \"a\"\nname = \"A\"\ntime_zone = \"Europe/Prag\"\n", "groups[0].time_zone"},
		"unknown key":  {"[database]\npth = \"x.db\"\n", "database.pth"},
		"syntax":       {"[database\n", "syntax error"},
		"bad offset":   {"[[groups]]\nslug = \"a\"\nname = \"A\"\nreminders = [\"1x\"]\n", "groups[0].reminders[0]"},
		"missing file": {"", "missing.toml"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, "missing.toml")
			if tc.toml != "" {
				path = writeFile(t, dir, "bad.toml", tc.toml)
			}
			r := runCLI(t, dir, nil, "-config", path, "migrate")
			if r.code != exitUsage {
				t.Errorf("exit %d, want 2", r.code)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, filepath.Base(path)) {
				t.Errorf("stderr %q should be one line naming %q and the file", r.stderr, tc.want)
			}
		})
	}
}

func TestFetchMailWithoutMailSectionExitsTwo(t *testing.T) {
	r := runCLI(t, t.TempDir(), nil, "fetch-mail")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no [mail] section") {
		t.Errorf("%+v", r)
	}
}

const mailTOML = `
[mail]
imap_addr = "127.0.0.1:1"
tls = "none"
username = "archiv"
allowed_senders = ["@kr-ustecky.example"]
`

func TestImportFilesAndCountsDuplicates(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML+mailTOML)
	env := map[string]string{"COORDBOT_IMAP_PASSWORD": "heslo"}
	writeFile(t, dir, "zapis.eml", "From: Koordinátorka <koordinatorka@kr-ustecky.example>\r\n"+
		"Subject: =?utf-8?Q?Z=C3=A1pis_z_jedn=C3=A1n=C3=AD?=\r\nMessage-ID: <zapis-2027-03@kr-ustecky.example>\r\n"+
		"Date: Thu, 25 Mar 2027 14:00:00 +0100\r\n\r\nProjednána primární prevence ve věznicích.\r\n")
	writeFile(t, dir, "spam.eml", "From: spam@example.com\r\nSubject: Výhra\r\n\r\nKlikněte.\r\n")
	r := runCLI(t, dir, env, "import", "zapis.eml", "spam.eml")
	if r.code != 0 || r.stdout != "archived 1, duplicates 0, quarantined 1, failed 0\n" {
		t.Fatalf("first import: %+v", r)
	}
	r = runCLI(t, dir, env, "import", dir)
	if r.code != 0 || r.stdout != "archived 0, duplicates 2, quarantined 0, failed 0\n" {
		t.Fatalf("second import: %+v", r)
	}
	r = runCLI(t, dir, env, "search", "veznicich")
	if r.code != 0 || !strings.Contains(r.stdout, "Zápis z jednání") {
		t.Errorf("search after import: %+v", r)
	}
	r = runCLI(t, dir, env, "minutes", "list", "-unfiled")
	if r.code != 0 || !strings.Contains(r.stdout, "Zápis z jednání") || !strings.Contains(r.stdout, "25. 3. 2027 14:00") {
		t.Errorf("unfiled: %+v", r)
	}
	r = runCLI(t, dir, env, "minutes", "list", "-quarantined")
	if r.code != 0 || !strings.Contains(r.stdout, "sender not allowed: spam@example.com") {
		t.Errorf("quarantined: %+v", r)
	}
	if r = runCLI(t, dir, env, "minutes", "assign", "2", "1"); r.code != exitUsage || !strings.Contains(r.stderr, "no meeting 1") {
		t.Errorf("assign to missing meeting: %+v", r)
	}
	runCLI(t, dir, env, "meeting", "add", "-group", "pracovni-skupina", "-title", "Jednání", "-start", "23. 3. 2027 10:00")
	if r = runCLI(t, dir, env, "minutes", "assign", "2", "1"); r.code != exitUsage || !strings.Contains(r.stderr, "quarantined") {
		t.Errorf("assign quarantined: %+v", r)
	}
	if r = runCLI(t, dir, env, "minutes", "assign", "1", "1"); r.code != 0 || r.stdout != "message 1 filed under meeting 1\n" {
		t.Errorf("assign: %+v", r)
	}
	if r = runCLI(t, dir, env, "minutes", "list", "-meeting", "1"); !strings.Contains(r.stdout, "Zápis z jednání") {
		t.Errorf("list by meeting: %+v", r)
	}
	if r = runCLI(t, dir, env, "minutes", "list", "-unfiled"); strings.TrimSpace(r.stdout) != "no messages" {
		t.Errorf("unfiled after assign: %+v", r)
	}
	writeFile(t, dir, "dalsi.eml", "From: koordinatorka@kr-ustecky.example\r\nSubject: Doplnění zápisu\r\n\r\nPříloha.\r\n")
	r = runCLI(t, dir, env, "import", "dalsi.eml", "missing.eml")
	if r.code != exitError || !strings.Contains(r.stderr, "missing.eml") || r.stdout != "archived 1, duplicates 0, quarantined 0, failed 1\n" {
		t.Errorf("missing file after a good one: %+v", r)
	}
	r = runCLI(t, dir, env, "import")
	if r.code != exitUsage {
		t.Errorf("no paths: %+v", r)
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, t.TempDir(), nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "coordbot ") || !strings.Contains(r.stdout, fmt.Sprintf("schema %d)", store.SchemaVersion())) {
		t.Errorf("%+v", r)
	}
}

func TestMeetingAddListCancel(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML)
	r := runCLI(t, dir, nil, "meeting", "add", "-group", "pracovni-skupina", "-title", "Jednání pracovní skupiny",
		"-start", "23. 3. 2027 10:00", "-place", "Krajský úřad, Velká Hradební 3118/48")
	if r.code != 0 || r.stdout != "meeting 1 created: Jednání pracovní skupiny, 23. 3. 2027 10:00 (pracovni-skupina)\n" {
		t.Fatalf("add: %+v", r)
	}
	// After the spring change the same wall-clock time is an hour earlier in UTC.
	r = runCLI(t, dir, nil, "meeting", "add", "-group", "working-group", "-title", "Round table", "-start", "2027-03-29T10:00")
	if r.code != 0 {
		t.Fatalf("add iso: %+v", r)
	}
	s, err := store.Open(context.Background(), filepath.Join(dir, "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := s.Meeting(context.Background(), 1)
	m2, _ := s.Meeting(context.Background(), 2)
	s.Close()
	if want := time.Date(2027, 3, 23, 9, 0, 0, 0, time.UTC); !m1.Start.Equal(want) || m1.TimeZone != "Europe/Prague" {
		t.Errorf("meeting 1 start %v %s, want %v", m1.Start, m1.TimeZone, want)
	}
	if want := time.Date(2027, 3, 29, 8, 0, 0, 0, time.UTC); !m2.Start.Equal(want) {
		t.Errorf("meeting 2 start %v, want %v", m2.Start, want)
	}

	r = runCLI(t, dir, nil, "meeting", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "23. 3. 2027 10:00") || !strings.Contains(r.stdout, "Round table") ||
		!strings.Contains(r.stdout, "Krajský úřad") {
		t.Fatalf("list: %+v", r)
	}
	r = runCLI(t, dir, nil, "meeting", "cancel", "1")
	if r.code != 0 || !strings.Contains(r.stdout, "meeting 1 cancelled") {
		t.Fatalf("cancel: %+v", r)
	}
	r = runCLI(t, dir, nil, "meeting", "list", "-group", "pracovni-skupina")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "no meetings" {
		t.Errorf("list after cancel: %+v", r)
	}
	r = runCLI(t, dir, nil, "meeting", "list", "-all", "-group", "pracovni-skupina")
	if !strings.Contains(r.stdout, "cancelled") {
		t.Errorf("list -all: %+v", r)
	}

	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no such date":  {[]string{"-group", "pracovni-skupina", "-title", "x", "-start", "31. 2. 2027 10:00"}, "31. 2. 2027"},
		"dst gap":       {[]string{"-group", "pracovni-skupina", "-title", "x", "-start", "28. 3. 2027 2:30"}, "does not exist"},
		"past":          {[]string{"-group", "pracovni-skupina", "-title", "x", "-start", "1. 1. 2020 10:00"}, "in the past"},
		"no title":      {[]string{"-group", "pracovni-skupina", "-start", "1. 1. 2028 10:00"}, "-title is required"},
		"unknown group": {[]string{"-group", "nic", "-title", "x", "-start", "1. 1. 2028 10:00"}, `unknown group "nic"`},
		"gibberish":     {[]string{"-group", "pracovni-skupina", "-title", "x", "-start", "zítra"}, "zítra"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, dir, nil, append([]string{"meeting", "add"}, tc.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%+v, want exit 2 and %q", r, tc.want)
			}
		})
	}
	r = runCLI(t, dir, nil, "meeting", "list", "-all")
	if strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("refused meetings were stored: %q", r.stdout)
	}
	r = runCLI(t, dir, nil, "meeting", "cancel", "99")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no meeting 99") {
		t.Errorf("cancel unknown: %+v", r)
	}
}

func TestSearchJSON(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML)
	if r := runCLI(t, dir, nil, "migrate"); r.code != 0 {
		t.Fatal(r)
	}
	s, err := store.Open(context.Background(), filepath.Join(dir, "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte("Subject: Zápis\r\n\r\nPrimární prevence ve věznicích.\r\n")
	sum := sha256.Sum256(raw)
	m := &store.ArchiveMessage{MessageID: "zapis@kr-ustecky.cz", ContentHash: hex.EncodeToString(sum[:]), FromAddr: "jana@example.cz",
		Subject: "Zápis z jednání 23. 3. 2027", BodyText: "Primární prevence ve věznicích.", Raw: raw,
		Sent:        time.Date(2027, 3, 24, 8, 30, 0, 0, time.UTC),
		Attachments: []*store.Attachment{{Filename: "Zápis z jednání.docx", Content: []byte("x"), SHA256: "x"}}}
	if _, err := s.AddArchiveMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	s.Close()

	r := runCLI(t, dir, nil, "search", "-json", "primarni", "veznicich")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not one JSON object: %q: %v", r.stdout, err)
	}
	want := map[string]any{"id": float64(m.ID), "message_id": "zapis@kr-ustecky.cz", "subject": "Zápis z jednání 23. 3. 2027",
		"from": "jana@example.cz", "date": "2027-03-24T09:30:00+01:00", "meeting_id": nil,
		"attachments": []any{"Zápis z jednání.docx"}, "snippet": "[Primární] prevence ve [věznicích]."}
	for k, v := range want {
		if gb, _ := json.Marshal(got[k]); string(gb) != mustJSON(v) {
			t.Errorf("%s = %s, want %s", k, gb, mustJSON(v))
		}
	}
	r = runCLI(t, dir, nil, "search", "-limit", "5", "prevence", "after:25.3.2027")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "no messages found" {
		t.Errorf("after filter: %+v", r)
	}
	r = runCLI(t, dir, nil, "search", "prevence", "has:attachment", "group:pracovni-skupina")
	if r.code != 0 || strings.Contains(r.stdout, "Zápis z jednání 23") {
		// The message was never assigned to a group, so the group filter excludes it.
		t.Errorf("group filter: %+v", r)
	}
	r = runCLI(t, dir, nil, "search", "prevence", "has:attachment")
	if r.code != 0 || !strings.Contains(r.stdout, "Zápis z jednání 23. 3. 2027") || !strings.Contains(r.stdout, "attachments: Zápis z jednání.docx") {
		t.Errorf("text output: %+v", r)
	}
	r = runCLI(t, dir, nil, "search", "x", "after:31.2.2027")
	if r.code != exitUsage {
		t.Errorf("bad date filter: %+v", r)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestMainRunSyncsGroupsAndCloses(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse("test.toml", []byte(groupsTOML+"\n[database]\npath = \""+filepath.Join(dir, "c.db")+"\"\n"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	m := NewMain(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	groups, err := m.Store.Groups(context.Background())
	if err != nil || len(groups) != 2 || groups[0].Slug != "pracovni-skupina" || groups[1].Locale != "en" {
		t.Errorf("groups = %+v, %v", groups, err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	for _, want := range []string{"coordbot running", "parts=\"\"", "no parts configured", "coordbot stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

// TestMain lets the test binary act as the coordbot binary, so the signal
// test runs the real main() in a child process.
func TestMain(m *testing.M) {
	if os.Getenv("COORDBOT_TEST_RUN_MAIN") == "1" {
		os.Args = append([]string{"coordbot"}, strings.Fields(os.Getenv("COORDBOT_TEST_ARGS"))...)
		main()
		return
	}
	os.Exit(m.Run())
}

func TestServeStopsCleanlyOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COORDBOT_TEST_RUN_MAIN=1", "COORDBOT_TEST_ARGS=-log-format json serve")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan map[string]any)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil {
				lines <- rec
			}
		}
	}()
	timeout := time.After(30 * time.Second)
	waitFor := func(msg string) map[string]any {
		for {
			select {
			case rec, ok := <-lines:
				if !ok {
					t.Fatalf("process ended before logging %q", msg)
				}
				if rec["msg"] == msg {
					return rec
				}
			case <-timeout:
				cmd.Process.Kill()
				t.Fatalf("no %q in time", msg)
			}
		}
	}
	// serve, in its own process, tunes its garbage collector (GOGC 400)
	// unless the environment says otherwise.
	gc := waitFor("garbage collector")
	if want := os.Getenv("GOGC"); want == "" && (gc["gogc"] != float64(serveGCPercent) || gc["from"] != "default") ||
		want != "" && (gc["gogc"] != want || gc["from"] != "GOGC") {
		t.Errorf("garbage collector log: %v", gc)
	}
	rec := waitFor("coordbot running")
	if rec["groups"] != float64(2) {
		t.Errorf("running log: %v", rec)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor("coordbot stopped")
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}
