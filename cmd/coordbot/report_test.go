package main

import (
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	"coordbot/config"
	"coordbot/internal/testutil"
)

const calendarTOML = `
[[groups]]
slug = "pracovni-skupina"
name = "Pracovní skupina protidrogové politiky"
calendar_token = "tajny-token-0123456789"
`

func TestReportAttendedAndICS(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", calendarTOML+mailTOML)
	env := map[string]string{"COORDBOT_IMAP_PASSWORD": "heslo"}
	// runCLI's clock is 25. 11. 2026 12:00 UTC: a meeting earlier that year
	// cannot be added from the shell, so plan one ahead and one for the year.
	if r := runCLI(t, dir, env, "meeting", "add", "-group", "pracovni-skupina", "-title", "Jednání pracovní skupiny",
		"-start", "2. 12. 2026 10:00", "-place", "Krajský úřad"); r.code != 0 {
		t.Fatal(r)
	}
	if r := runCLI(t, dir, env, "meeting", "add", "-group", "pracovni-skupina", "-title", "Kulatý stůl",
		"-start", "15. 12. 2026 13:00"); r.code != 0 {
		t.Fatal(r)
	}
	runCLI(t, dir, env, "meeting", "cancel", "2")

	r := runCLI(t, dir, env, "report", "-group", "pracovni-skupina", "-year", "2026")
	if r.code != 0 || !strings.Contains(r.stdout, "V roce 2026 se skupina nesešla") || !strings.Contains(r.stdout, "15. 12. 2026") {
		t.Errorf("report before the meetings: %+v", r)
	}
	r = runCLI(t, dir, env, "report", "-group", "nic", "-year", "2026")
	if r.code != exitUsage || !strings.Contains(r.stderr, `unknown group "nic"`) {
		t.Errorf("unknown group: %+v", r)
	}
	r = runCLI(t, dir, env, "report", "-group", "pracovni-skupina", "-year", "2026", "-format", "csv")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if r.code != 0 || err != nil || len(recs) < 1 || recs[0][0] != "Datum" {
		t.Errorf("csv: %+v %v", r, err)
	}
	// For Czech Excel: a BOM and semicolons.
	r = runCLI(t, dir, env, "report", "-group", "pracovni-skupina", "-year", "2026", "-format", "csv", "-excel")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "\ufeffDatum;") {
		t.Errorf("csv -excel: %+v", r)
	}
	if r = runCLI(t, dir, env, "report", "-group", "pracovni-skupina", "-year", "2026", "-excel"); r.code != exitUsage {
		t.Errorf("-excel with markdown: %+v", r)
	}
	if r = runCLI(t, dir, env, "meeting", "attended", "1", "nikdo@example.cz"); r.code != exitUsage || !strings.Contains(r.stderr, "no member") {
		t.Errorf("attended with an unknown member: %+v", r)
	}

	r = runCLI(t, dir, env, "ics", "-group", "pracovni-skupina")
	if r.code != 0 {
		t.Fatal(r)
	}
	cal, err := ical.NewDecoder(strings.NewReader(r.stdout)).Decode()
	if err != nil {
		t.Fatalf("ics does not parse: %v\n%s", err, r.stdout)
	}
	events := cal.Events()
	if len(events) != 2 {
		t.Fatalf("%d events", len(events))
	}
	for _, ev := range events {
		start, err := ev.DateTimeStart(nil)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Props.Get(ical.PropSummary).Value == "Jednání pracovní skupiny" && start.UTC().Format("2006-01-02T15:04") != "2026-12-02T09:00" {
			t.Errorf("start %v", start)
		}
	}
	if !strings.Contains(r.stdout, "STATUS:CANCELLED") || !strings.Contains(r.stdout, "DTSTART;TZID=Europe/Prague:20261202T100000") {
		t.Errorf("ics:\n%s", r.stdout)
	}
	if r = runCLI(t, dir, env, "ics", "-group", "nic"); r.code != exitUsage {
		t.Errorf("ics unknown group: %+v", r)
	}
}

func TestServeOffersTheCalendarOverHTTPWithAToken(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse("test.toml", []byte(calendarTOML+"\n[http]\naddr = \"127.0.0.1:0\"\n\n[database]\npath = \""+
		filepath.Join(dir, "c.db")+"\"\n"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var logs testutil.SyncBuffer
	m := NewMain(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + m.HTTPAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/calendar/pracovni-skupina.ics?token=tajny-token-0123456789")
	if code != 200 || !strings.HasPrefix(body, "BEGIN:VCALENDAR") {
		t.Errorf("with the token: %d %q", code, body)
	}
	for _, p := range []string{"/calendar/pracovni-skupina.ics", "/calendar/pracovni-skupina.ics?token=spatne", "/calendar/nic.ics?token=tajny-token-0123456789"} {
		if code, _ := get(p); code != 404 {
			t.Errorf("%s: %d, want 404", p, code)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "tajny-token") {
		t.Error("the token reached the log")
	}
	if !strings.Contains(logs.String(), "parts=http") {
		t.Errorf("logs:\n%s", logs.String())
	}
}

func TestReportYearOutsideTheSupportedRange(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML)
	if r := runCLI(t, dir, nil, "migrate"); r.code != 0 {
		t.Fatal(r)
	}
	for _, year := range []string{"1899", "3000", "9999"} {
		r := runCLI(t, dir, nil, "report", "-group", "pracovni-skupina", "-year", year)
		if r.code != 2 || !strings.Contains(r.stderr, "outside the supported years 1900 to 2999") {
			t.Errorf("report -year %s: %+v", year, r)
		}
	}
}
