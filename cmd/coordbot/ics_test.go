package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// icsDir is a working directory with two years of meetings of the Czech
// group, as seen on runCLI's clock (25. 11. 2026 12:00 UTC): one older than
// a year, one this spring, one next week and one next year.
func icsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML)
	for _, m := range []struct {
		title, start string
		past         bool
	}{
		{"Loňské jednání", "10. 6. 2025 10:00", true},
		{"Jarní jednání", "10. 3. 2026 10:00", true},
		{"Prosincové jednání", "2. 12. 2026 10:00", false},
		{"Květnové jednání", "4. 5. 2027 10:00", false},
	} {
		args := []string{"meeting", "add", "-group", "pracovni-skupina", "-title", m.title, "-start", m.start}
		if m.past {
			args = append(args, "-past")
		}
		if r := runCLI(t, dir, nil, args...); r.code != exitOK {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	return dir
}

// icsTitles decodes the calendar and returns its events' titles in order.
func icsTitles(t *testing.T, out string) []string {
	t.Helper()
	cal, err := ical.NewDecoder(strings.NewReader(out)).Decode()
	if err != nil {
		t.Fatalf("ics does not parse: %v\n%s", err, out)
	}
	var titles []string
	for _, ev := range cal.Events() {
		titles = append(titles, ev.Props.Get(ical.PropSummary).Value)
	}
	return titles
}

func TestICSFromTo(t *testing.T) {
	dir := icsDir(t)
	const (
		old      = "Loňské jednání"
		spring   = "Jarní jednání"
		december = "Prosincové jednání"
		may      = "Květnové jednání"
	)
	for _, tt := range []struct {
		name  string
		flags []string
		want  []string
	}{
		{"default_a_year_back_and_everything_ahead", nil, []string{spring, december, may}},
		{"from_czech_date", []string{"-from", "1. 1. 2025"}, []string{old, spring, december, may}},
		{"from_iso_to_czech", []string{"-from", "2026-01-01", "-to", "31. 3. 2026"}, []string{spring}},
		{"to_includes_the_whole_day", []string{"-to", "2. 12. 2026"}, []string{spring, december}},
		{"to_with_time_includes_that_minute", []string{"-to", "2. 12. 2026 10:00"}, []string{spring, december}},
		{"to_with_time_before", []string{"-to", "2. 12. 2026 9:59"}, []string{spring}},
		{"from_with_time", []string{"-from", "2026-12-02T10:00"}, []string{december, may}},
		{"from_with_time_after", []string{"-from", "2. 12. 2026 10:01"}, []string{may}},
		{"month_name_one_day", []string{"-from", "2. prosince 2026", "-to", "2026-12-02"}, []string{december}},
		{"nothing_in_range", []string{"-from", "1. 1. 2030"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, dir, nil, append([]string{"ics", "-group", "pracovni-skupina"}, tt.flags...)...)
			if r.code != exitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if got := icsTitles(t, r.stdout); !slices.Equal(got, tt.want) {
				t.Errorf("events %q, want %q", got, tt.want)
			}
		})
	}
}

func TestICSRefusesBadRanges(t *testing.T) {
	dir := icsDir(t)
	for _, tt := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"no_such_date", []string{"-from", "31. 2. 2026"}, "-from: The date 31. 2. 2026 does not exist"},
		{"not_a_date", []string{"-to", "zítra"}, "ics: -to: "},
		{"time_skipped_by_the_clock_change", []string{"-from", "28. 3. 2027 2:30"}, "ics: -from: "},
		{"to_before_from", []string{"-from", "2027-01-01", "-to", "2026-01-01"}, "-to 2026-01-01 is before -from 2027-01-01"},
		{"to_before_the_default_from", []string{"-to", "1. 1. 2025"}, "give -from too"},
		{"unknown_group", []string{"-group", "nic"}, `unknown group "nic"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, dir, nil, append([]string{"ics", "-group", "pracovni-skupina"}, tt.flags...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line with %q", r.code, r.stderr, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

func TestICSHelpAndStableOutput(t *testing.T) {
	dir := icsDir(t)
	r := runCLI(t, dir, nil, "ics", "-h")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "Usage: coordbot ics -group SLUG [-from DATE] [-to DATE]") ||
		!strings.Contains(r.stdout, "-from") || !strings.Contains(r.stdout, "-to") {
		t.Errorf("ics -h: %+v", r)
	}
	// An hour later nothing has changed, and neither has the calendar.
	first := runCLI(t, dir, nil, "ics", "-group", "pracovni-skupina")
	later := runCLIClock(t, func() time.Time { return cliNow().Add(time.Hour) }, dir, nil, "ics", "-group", "pracovni-skupina")
	if first.code != exitOK || first.stdout != later.stdout {
		t.Errorf("ics differs an hour later:\n%s\n---\n%s", first.stdout, later.stdout)
	}
}
