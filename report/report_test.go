package report_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coordbot/i18n"
	"coordbot/report"
	"coordbot/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var prague = mustLoad("Europe/Prague")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a wall-clock time in Prague.
func at(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, prague)
}

// now is when the fixture's report is written: after the last meeting
// that took place, before one still to come.
var now = at(2027, time.December, 10, 12, 0)

// fixture is a store holding the year of a regional working group.
type fixture struct {
	s       *store.Store
	clock   time.Time
	group   *store.Group
	members map[string]*store.Member
}

func openStore(t *testing.T) *fixture {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &fixture{s: s, clock: at(2027, time.January, 4, 9, 0), members: map[string]*store.Member{}}
	s.Now = func() time.Time { return f.clock }
	f.group = &store.Group{Slug: "pracovni-skupina", Name: "Pracovní skupina protidrogové politiky",
		TimeZone: "Europe/Prague", Locale: i18n.Czech}
	if err := s.UpsertGroup(context.Background(), f.group); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) member(t *testing.T, name, org string) *store.Member {
	t.Helper()
	ctx := context.Background()
	m := &store.Member{DisplayName: name, Organisation: org}
	if err := f.s.CreateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SetMembership(ctx, f.group.ID, m.ID, store.RoleMember); err != nil {
		t.Fatal(err)
	}
	f.members[name] = m
	return m
}

func (f *fixture) meeting(t *testing.T, start time.Time, title string) *store.Meeting {
	t.Helper()
	m := &store.Meeting{GroupID: f.group.ID, Title: title, Start: start, TimeZone: "Europe/Prague",
		Duration: 3 * time.Hour, Place: "Krajský úřad Ústeckého kraje, zasedací místnost 2"}
	if err := f.s.CreateMeeting(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) rsvp(t *testing.T, m *store.Meeting, name, answer, substitute string) {
	t.Helper()
	r := &store.RSVP{MeetingID: m.ID, MemberID: f.members[name].ID, Answer: answer, Substitute: substitute}
	if err := f.s.SetRSVP(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) attended(t *testing.T, m *store.Meeting, name string, came bool, substitute string) {
	t.Helper()
	a := &store.Attendance{MeetingID: m.ID, MemberID: f.members[name].ID, Attended: came, Substitute: substitute}
	if err := f.s.SetAttendance(context.Background(), a); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) agenda(t *testing.T, m *store.Meeting, status string, titles ...string) {
	t.Helper()
	for _, title := range titles {
		it := &store.AgendaItem{MeetingID: m.ID, Title: title, Status: status}
		if err := f.s.AddAgendaItem(context.Background(), it); err != nil {
			t.Fatal(err)
		}
	}
}

// yearFixture builds the seed's year in 2027: three meetings (23. 3. and
// 23. 6. marked held, 2. 11. never marked but past), one cancelled
// (15. 9.), one still to come (16. 12.), RSVPs with a substitute, a
// "maybe" and members who never answered, recorded attendance at the
// June meeting, and its minutes with attachments in the archive.
func yearFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := openStore(t)
	f.member(t, "Jana Nováková", "Krajský úřad Ústeckého kraje")
	f.member(t, "Petr Svoboda", "Krajský úřad Ústeckého kraje")
	f.member(t, "Lucie Malá", "Most k naději, z. s.")
	f.member(t, "Jan Černý", "Krajská hygienická stanice")
	f.member(t, "Karel Procházka", "Krajské ředitelství policie Ústeckého kraje")
	f.member(t, "Tomáš Veselý", "Magistrát města Ústí nad Labem")
	f.member(t, "Chrudoš Hájek", "Most k naději, z. s.")

	march := f.meeting(t, at(2027, time.March, 23, 10, 0), "Jednání pracovní skupiny")
	june := f.meeting(t, at(2027, time.June, 23, 10, 0), "Jednání pracovní skupiny")
	september := f.meeting(t, at(2027, time.September, 15, 10, 0), "Jednání pracovní skupiny")
	november := f.meeting(t, at(2027, time.November, 2, 9, 30), "Jednání pracovní skupiny | výjezdní")
	december := f.meeting(t, at(2027, time.December, 16, 10, 0), "Předvánoční setkání")
	previous := f.meeting(t, at(2026, time.November, 5, 10, 0), "Jednání pracovní skupiny")

	f.agenda(t, march, store.AgendaAccepted, "Plnění strategického dokumentu a evaluace",
		"Aktuality z Ústeckého kraje a Úřadu vlády")
	f.agenda(t, march, store.AgendaProposed, "Parkování u krajského úřadu")
	f.rsvp(t, march, "Jana Nováková", store.AnswerYes, "")
	f.rsvp(t, march, "Petr Svoboda", store.AnswerYes, "Eva Dvořáková")
	f.rsvp(t, march, "Lucie Malá", store.AnswerYes, "")
	f.rsvp(t, march, "Jan Černý", store.AnswerYes, "")
	f.rsvp(t, march, "Chrudoš Hájek", store.AnswerYes, "")
	f.rsvp(t, march, "Karel Procházka", store.AnswerNo, "")
	// Tomáš Veselý never answers in March.

	f.agenda(t, june, store.AgendaAccepted, "Financování služeb", "Primární prevence")
	f.rsvp(t, june, "Jana Nováková", store.AnswerYes, "")
	f.rsvp(t, june, "Lucie Malá", store.AnswerYes, "")
	f.rsvp(t, june, "Karel Procházka", store.AnswerYes, "")
	f.rsvp(t, june, "Tomáš Veselý", store.AnswerMaybe, "")
	f.rsvp(t, june, "Jan Černý", store.AnswerNo, "")
	f.rsvp(t, june, "Chrudoš Hájek", store.AnswerNo, "")
	// The coordinator recorded who really came: Karel sent a deputy,
	// Tomáš came after all, Petr (who never answered) did not.
	f.attended(t, june, "Jana Nováková", true, "")
	f.attended(t, june, "Lucie Malá", true, "")
	f.attended(t, june, "Karel Procházka", true, "Martin Kučera")
	f.attended(t, june, "Tomáš Veselý", true, "")
	f.attended(t, june, "Petr Svoboda", false, "")

	f.rsvp(t, september, "Jana Nováková", store.AnswerYes, "")
	if _, err := f.s.CancelMeeting(ctx, september.ID); err != nil {
		t.Fatal(err)
	}

	// Joins after the summer: not counted as unanswered before.
	f.clock = at(2027, time.July, 1, 9, 0)
	f.member(t, "Hana Dvořáková", "Most k naději, z. s.")

	f.agenda(t, november, store.AgendaAccepted, "Situace ve věznicích", "Financování služeb",
		"Drogová kriminalita a prevence kriminality")
	for _, name := range []string{"Jana Nováková", "Petr Svoboda", "Lucie Malá", "Hana Dvořáková", "Chrudoš Hájek", "Jan Černý", "Tomáš Veselý"} {
		f.rsvp(t, november, name, store.AnswerYes, "")
	}
	f.rsvp(t, december, "Jana Nováková", store.AnswerYes, "")

	for _, m := range []*store.Meeting{march, june, previous} {
		if err := f.s.MarkHeld(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
	}

	raw := []byte("From: Jana Nováková <jana.novakova@kr-ustecky.cz>\r\nSubject: Zápis z jednání 23. 6. 2027\r\n\r\nV příloze zápis.\r\n")
	sum := sha256.Sum256(raw)
	minutes := &store.ArchiveMessage{MessageID: "zapis-2027-06@kr-ustecky.cz", ContentHash: hex.EncodeToString(sum[:]),
		FromAddr: "jana.novakova@kr-ustecky.cz", FromName: "Jana Nováková", Subject: "Zápis z jednání 23. 6. 2027",
		Sent: at(2027, time.June, 28, 14, 0), Received: at(2027, time.June, 28, 14, 1), BodyText: "V příloze zápis.",
		Raw: raw, GroupID: f.group.ID, MeetingID: june.ID, Attachments: []*store.Attachment{
			{Filename: "Zápis z jednání 23.6.2027.docx", MediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
				Content: []byte("PK\x03\x04"), SHA256: "x"},
			{Filename: "Prezenční listina 23.6.2027.pdf", MediaType: "application/pdf", Content: []byte("%PDF-1.7"), SHA256: "y"},
		}}
	if _, err := f.s.AddArchiveMessage(ctx, minutes); err != nil {
		t.Fatal(err)
	}
	return f
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff)\n--- got ---\n%s", name, got)
	}
}

func TestYearReport(t *testing.T) {
	f := yearFixture(t)
	r, err := report.BuildAt(context.Background(), f.s, "pracovni-skupina", 2027, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Meetings) != 3 || len(r.Cancelled) != 1 || r.Lang != i18n.Czech {
		t.Fatalf("%d meetings, %d cancelled, lang %q; want 3, 1, cs", len(r.Meetings), len(r.Cancelled), r.Lang)
	}
	if st := r.Meetings[2].Meeting.Status; st != store.MeetingScheduled {
		t.Errorf("November meeting status %q: the fixture should leave it unmarked", st)
	}
	march, june, nov := r.Meetings[0], r.Meetings[1], r.Meetings[2]
	t.Run("answers count until attendance is recorded", func(t *testing.T) {
		if march.Recorded || len(march.Came) != 0 {
			t.Errorf("March: recorded %v, came %q; promises are not a head count", march.Recorded, names(march.Came))
		}
		if got := names(march.YesNotRecorded); got != "Jan Černý, Jana Nováková, Petr Svoboda, Chrudoš Hájek, Lucie Malá" {
			t.Errorf("March said yes: %q", got)
		}
		if names(march.Excused) != "Karel Procházka" || names(march.NeverAnswered) != "Tomáš Veselý" {
			t.Errorf("March excused %q, never answered %q", names(march.Excused), names(march.NeverAnswered))
		}
		// Joined after the summer: not counted as unanswered before.
		if got := names(nov.NeverAnswered); got != "Karel Procházka" {
			t.Errorf("November never answered %q", got)
		}
	})
	t.Run("a record wins over an answer", func(t *testing.T) {
		// Tomáš answered maybe and came; Petr never answered and was
		// recorded absent; Jan and Chrudoš answered no.
		if got := names(june.Came); got != "Karel Procházka, Jana Nováková, Tomáš Veselý, Lucie Malá" {
			t.Errorf("June came %q", got)
		}
		if got := names(june.Excused); got != "Jan Černý, Petr Svoboda, Chrudoš Hájek" {
			t.Errorf("June excused %q", got)
		}
		if len(june.Maybe)+len(june.NeverAnswered)+len(june.YesNotRecorded) != 0 {
			t.Errorf("June: maybe %q, never answered %q, yes %q", names(june.Maybe), names(june.NeverAnswered), names(june.YesNotRecorded))
		}
		if june.Came[0].Substitute != "Martin Kučera" {
			t.Errorf("the police's deputy: %+v", june.Came[0])
		}
	})
	t.Run("organisations and topics", func(t *testing.T) {
		// Only June's recorded attendance counts as represented.
		if len(r.Organisations) != 4 || r.Coverage != (report.Coverage{Represented: 4, Of: 5}) {
			t.Errorf("organisations %v, coverage %+v", r.Organisations, r.Coverage)
		}
		topics := strings.Join(r.Topics, "; ")
		if topics != "Plnění strategického dokumentu a evaluace; Aktuality z Ústeckého kraje a Úřadu vlády; "+
			"Financování služeb; Primární prevence; Situace ve věznicích; Drogová kriminalita a prevence kriminality" {
			t.Errorf("topics: %s", topics)
		}
		if len(march.Agenda) != 2 {
			t.Errorf("March agenda %q: the proposed item is not part of it", march.Agenda)
		}
	})
}

func names(ps []report.Person) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return strings.Join(out, ", ")
}

func TestEmptyYearIsAnHonestReport(t *testing.T) {
	f := yearFixture(t)
	for _, year := range []int{2025, 2028} {
		r, err := report.BuildAt(context.Background(), f.s, "pracovni-skupina", year, now)
		if err != nil {
			t.Fatalf("%d: %v", year, err)
		}
		if len(r.Meetings) != 0 || len(r.Cancelled) != 0 || len(r.Organisations) != 0 || len(r.Topics) != 0 {
			t.Errorf("%d: %+v", year, r)
		}
	}
	r, err := report.BuildAt(context.Background(), f.s, "pracovni-skupina", 2025, now)
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[i18n.Lang]string{
		i18n.Czech:   "# Pracovní skupina protidrogové politiky – 2025\n\nV roce 2025 se skupina nesešla.\n",
		i18n.English: "# Pracovní skupina protidrogové politiky – 2025\n\nThe group did not meet in 2025.\n",
	} {
		r.Lang = lang
		var b bytes.Buffer
		if err := r.Markdown(&b); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%s:\n got %q\nwant %q", lang, b.String(), want)
		}
	}
	var b bytes.Buffer
	if err := r.CSV(&b); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(b.String(), "\n"); lines != 1 {
		t.Errorf("csv of an empty year has %d lines, want the header only:\n%s", lines, b.String())
	}
}

func TestYearBoundariesAreInTheGroupZone(t *testing.T) {
	f := openStore(t)
	ctx := context.Background()
	// 00:30 on New Year's Day in Prague is still 2026 in UTC.
	newYear := f.meeting(t, at(2027, time.January, 1, 0, 30), "Novoroční setkání")
	if err := f.s.MarkHeld(ctx, newYear.ID); err != nil {
		t.Fatal(err)
	}
	// A Czech group that only cancelled in 2026 says so as well.
	cancelled := f.meeting(t, at(2026, time.December, 31, 23, 0), "Silvestrovské setkání")
	if _, err := f.s.CancelMeeting(ctx, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	for year, want := range map[int]string{
		2026: "V roce 2026 se skupina nesešla. Setkání plánované na 31. 12. 2026 bylo zrušeno.",
		2027: "V roce 2027 se konalo 1 setkání – 1. 1. 2027. U setkání 1. 1. 2027 nebyla účast zaznamenána.",
	} {
		r, err := report.BuildAt(ctx, f.s, "pracovni-skupina", year, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Summary(); got != want {
			t.Errorf("%d:\n got %q\nwant %q", year, got, want)
		}
	}
}

func TestSummaryAgreesWithTheCount(t *testing.T) {
	g := &store.Group{Name: "Skupina", TimeZone: "Europe/Prague"}
	meetings := func(n int) []*report.MeetingReport {
		var out []*report.MeetingReport
		for i := 0; i < n; i++ {
			start := at(2027, time.January, 10+i, 10, 0)
			out = append(out, &report.MeetingReport{Meeting: &store.Meeting{Start: start, TimeZone: "Europe/Prague"}, Recorded: true})
		}
		return out
	}
	cancelled := func(n int) []*store.Meeting {
		var out []*store.Meeting
		for _, mr := range meetings(n) {
			mr.Meeting.Start = mr.Meeting.Start.AddDate(0, 5, 0)
			out = append(out, mr.Meeting)
		}
		return out
	}
	for _, tc := range []struct {
		lang      i18n.Lang
		met, canc int
		want      string
	}{
		{i18n.Czech, 1, 1, "V roce 2027 se konalo 1 setkání – 10. 1. 2027. Setkání plánované na 10. 6. 2027 bylo zrušeno."},
		{i18n.Czech, 2, 2, "V roce 2027 se konala 2 setkání – 10. 1. a 11. 1. 2027. Setkání plánovaná na 10. 6. a 11. 6. 2027 byla zrušena."},
		{i18n.Czech, 3, 0, "V roce 2027 se konala 3 setkání – 10. 1., 11. 1. a 12. 1. 2027."},
		{i18n.Czech, 4, 0, "V roce 2027 se konala 4 setkání – "},
		{i18n.Czech, 5, 0, "V roce 2027 se konalo 5 setkání – 10. 1., 11. 1., 12. 1., 13. 1. a 14. 1. 2027."},
		{i18n.Czech, 21, 0, "V roce 2027 se konalo 21 setkání – "},
		{i18n.Czech, 0, 1, "V roce 2027 se skupina nesešla. Setkání plánované na 10. 6. 2027 bylo zrušeno."},
		{i18n.English, 1, 1, "The group met once, on 10 January 2027. The meeting planned for 10 June 2027 was cancelled."},
		{i18n.English, 2, 3, "The group met twice: 10 January and 11 January 2027. The meetings planned for 10 June, 11 June and 12 June 2027 were cancelled."},
		{i18n.English, 3, 0, "The group met 3 times: 10 January, 11 January and 12 January 2027."},
		{i18n.English, 5, 0, "The group met 5 times: "},
		{i18n.English, 0, 0, "The group did not meet in 2027."},
	} {
		t.Run(fmt.Sprintf("%s/%d_met_%d_cancelled", tc.lang, tc.met, tc.canc), func(t *testing.T) {
			r := &report.Report{Group: g, Year: 2027, Lang: tc.lang, Meetings: meetings(tc.met), Cancelled: cancelled(tc.canc)}
			got := r.Summary()
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if strings.Contains(got, "(") {
				t.Errorf("a number spelled out or a bracket: %q", got)
			}
		})
	}
}

func TestSummaryCoverage(t *testing.T) {
	g := &store.Group{Name: "Skupina", TimeZone: "Europe/Prague"}
	one := []*report.MeetingReport{{Meeting: &store.Meeting{Start: at(2022, time.June, 7, 9, 0), TimeZone: "Europe/Prague"}, Recorded: true}}
	two := append(one, &report.MeetingReport{Meeting: &store.Meeting{Start: at(2022, time.November, 8, 9, 0), TimeZone: "Europe/Prague"}, Recorded: true})
	for _, tc := range []struct {
		name     string
		lang     i18n.Lang
		meetings []*report.MeetingReport
		cov      report.Coverage
		want     string
	}{
		{"15 of 16 municipalities", i18n.Czech, two, report.Coverage{Represented: 15, Of: 16, Municipalities: true}, "Na setkáních bylo zastoupeno 15 ze 16 obcí."},
		{"1 of 5 organisations", i18n.Czech, two, report.Coverage{Represented: 1, Of: 5}, "Na setkáních byla zastoupena 1 z 5 organizací."},
		{"3 of 4 at one meeting", i18n.Czech, one, report.Coverage{Represented: 3, Of: 4}, "Na setkání byly zastoupeny 3 ze 4 organizací."},
		{"all of 3", i18n.Czech, two, report.Coverage{Represented: 3, Of: 3, Municipalities: true}, "Na setkáních byly zastoupeny všechny 3 obce."},
		{"all of 8", i18n.Czech, two, report.Coverage{Represented: 8, Of: 8}, "Na setkáních bylo zastoupeno všech 8 organizací."},
		{"english 15 of 16", i18n.English, two, report.Coverage{Represented: 15, Of: 16, Municipalities: true}, "Of the 16 municipalities, 15 were represented."},
		{"english 1 of 2", i18n.English, two, report.Coverage{Represented: 1, Of: 2}, "Of the 2 organisations, 1 was represented."},
		{"english both", i18n.English, two, report.Coverage{Represented: 2, Of: 2}, "Both organisations were represented."},
		{"english all", i18n.English, two, report.Coverage{Represented: 7, Of: 7}, "All 7 organisations were represented."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &report.Report{Group: g, Year: 2022, Lang: tc.lang, Meetings: tc.meetings, Coverage: tc.cov}
			if got := r.Summary(); !strings.Contains(got, tc.want) {
				t.Errorf("got  %q\nwant it to contain %q", got, tc.want)
			}
		})
	}
}

func TestCzechFrom(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{1, "z"}, {2, "z"}, {3, "z"}, {4, "ze"}, {5, "z"}, {6, "ze"}, {7, "ze"}, {8, "z"}, {10, "z"},
		{12, "z"}, {14, "ze"}, {15, "z"}, {16, "ze"}, {17, "ze"}, {20, "z"}, {21, "z"}, {40, "ze"}, {47, "ze"},
		{60, "ze"}, {75, "ze"}, {90, "z"}, {100, "ze"}, {150, "ze"}, {200, "z"}, {400, "ze"}, {1000, "z"}, {4000, "ze"},
	} {
		if got := report.CzechFrom(tc.n); got != tc.want {
			t.Errorf("CzechFrom(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestProgramTopics(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"program jednání in a docx", "ZÁPIS\nz jednání\n\nProgram jednání:\n1. Plnění strategického dokumentu …\n2. Financování služeb …\n\nAd 1)\nText.",
			[]string{"Plnění strategického dokumentu", "Financování služeb"}},
		{"program with brackets and CRLF", "Program:\r\n1) Úvod\r\n2) Různé.\r\n", []string{"Úvod", "Různé"}},
		{"blank line before the list", "PROGRAM SETKÁNÍ:\n\n  1. Aktuality z kraje\n  2. Dotační programy\nZapsala: J. N.", []string{"Aktuality z kraje", "Dotační programy"}},
		{"numbering that starts over ends the list", "Program:\n1. A\n2. B\n1. Jiný seznam", []string{"A", "B"}},
		{"numbered lines without a program heading", "1. A\n2. B", nil},
		{"program heading with text after it is not a heading", "Program: viz příloha\n1. A", nil},
		{"heading without items, a later one with", "Program:\nviz níže\n\nProgram jednání:\n1. A", []string{"A"}},
		{"no text", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := report.ProgramTopics(tc.text)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSubjects(t *testing.T) {
	for _, tc := range []struct {
		subject, clean string
		reply          bool
	}{
		{"[pracovni-skupina] Zápis z jednání 23. 3. 2022", "Zápis z jednání 23. 3. 2022", false},
		{"[ps][zapis]  Zápis", "Zápis", false},
		{"RE: [pracovni-skupina] Zápis z jednání 23. 3. 2022", "RE: [pracovni-skupina] Zápis z jednání 23. 3. 2022", true},
		{"[pracovni-skupina] Re: Zápis", "Re: Zápis", true},
		{"Odp: Zápis", "Odp: Zápis", true},
		{"PŘ: Zápis", "PŘ: Zápis", true},
		{"Př: Zápis", "Př: Zápis", true},
		{"Fwd: Zápis", "Fwd: Zápis", true},
		{"FW: Zápis", "FW: Zápis", true},
		{"Re[2]: Zápis", "Re[2]: Zápis", true},
		{"Reakce na zápis", "Reakce na zápis", false},
		{"Program jednání: 1. Úvod", "Program jednání: 1. Úvod", false},
	} {
		if got := report.CleanSubject(tc.subject); got != tc.clean {
			t.Errorf("CleanSubject(%q) = %q, want %q", tc.subject, got, tc.clean)
		}
		if got := report.IsCorrespondence(tc.subject); got != tc.reply {
			t.Errorf("IsCorrespondence(%q) = %v, want %v", tc.subject, got, tc.reply)
		}
	}
}

func TestIsMunicipality(t *testing.T) {
	for org, want := range map[string]bool{
		"Město Děčín": true, "Obec Malšovice": true, "Městys Peruc": true, "Statutární město Ústí nad Labem": true,
		"Magistrát města Ústí nad Labem": true, "Městský úřad Rumburk": true, "Most k naději, z. s.": false,
		"Městská policie Most": false, "Krajský úřad Ústeckého kraje": false, "Obecní úřad Libouchec": true,
	} {
		if got := report.IsMunicipality(org); got != want {
			t.Errorf("IsMunicipality(%q) = %v, want %v", org, got, want)
		}
	}
}

func TestUnknownGroupIsNotFound(t *testing.T) {
	f := openStore(t)
	_, err := report.BuildAt(context.Background(), f.s, "neexistuje", 2027, now)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want store.ErrNotFound", err)
	}
	if _, err := report.Build(context.Background(), f.s, "neexistuje", 2027); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Build: err = %v, want store.ErrNotFound", err)
	}
}

// buildSeed builds the seed year's report of a group.
func buildSeed(t *testing.T, slug string) *report.Report {
	t.Helper()
	s, at := seedYear(t)
	r, err := report.BuildAt(context.Background(), s, slug, 2022, at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// everyoneOnce checks that each person of a meeting is in one attendance
// group only.
func everyoneOnce(t *testing.T, mr *report.MeetingReport) {
	t.Helper()
	seen := map[string]string{}
	for label, ps := range map[string][]report.Person{"came": mr.Came, "excused": mr.Excused, "yes": mr.YesNotRecorded,
		"maybe": mr.Maybe, "never answered": mr.NeverAnswered} {
		for _, p := range ps {
			if other, ok := seen[p.Name]; ok {
				t.Errorf("%s: %s is both %s and %s", mr.Meeting.Start.Format("2. 1."), p.Name, other, label)
			}
			seen[p.Name] = label
		}
	}
}

func TestSeedYear(t *testing.T) {
	t.Run("working group", func(t *testing.T) {
		r := buildSeed(t, seedWorkingGroup)
		if len(r.Meetings) != 3 || len(r.Cancelled) != 1 {
			t.Fatalf("%d meetings, %d cancelled", len(r.Meetings), len(r.Cancelled))
		}
		march, june, nov := r.Meetings[0], r.Meetings[1], r.Meetings[2]
		for _, mr := range r.Meetings {
			everyoneOnce(t, mr)
		}
		if got := names(march.Came); got != "Jana Nováková, Petr Svoboda, Tomáš Veselý, Lucie Malá, Chrudoš Hájek" {
			t.Errorf("March came %q", got)
		}
		if march.Came[1].Substitute != "Eva Dvořáková" {
			t.Errorf("March deputy: %+v", march.Came[1])
		}
		if got := names(march.Excused); got != "Martin Dvořák, Eva Horáková" {
			t.Errorf("recorded absences: %q", got)
		}
		if got := names(june.NeverAnswered); got != "Petr Svoboda, Eva Horáková" {
			t.Errorf("June never answered %q", got)
		}
		if names(june.Guests) != "Jan Černý, Karel Procházka" {
			t.Errorf("June guests %q", names(june.Guests))
		}
		if nov.Recorded || names(nov.YesNotRecorded) != "Jana Nováková, Petr Svoboda, Lucie Malá, Eva Horáková" ||
			names(nov.Excused) != "Chrudoš Hájek" || names(nov.Maybe) != "Tomáš Veselý" || names(nov.NeverAnswered) != "Martin Dvořák" {
			t.Errorf("November: yes %q, excused %q, maybe %q, never %q", names(nov.YesNotRecorded), names(nov.Excused),
				names(nov.Maybe), names(nov.NeverAnswered))
		}
		if len(march.Minutes) != 1 || march.Minutes[0].Subject != "Zápis z jednání 23. 3. 2022" || march.Correspondence != 1 {
			t.Errorf("March minutes %+v, correspondence %d", march.Minutes, march.Correspondence)
		}
		if len(june.Minutes) != 1 || june.Correspondence != 1 {
			t.Errorf("June minutes %+v, correspondence %d: the Fwd: is correspondence", june.Minutes, june.Correspondence)
		}
		if !june.TopicsFromMinutes || len(june.Topics) != 4 || june.Topics[1] != "Financování služeb v roce 2023" {
			t.Errorf("June topics from the DOCX: %q", june.Topics)
		}
		if march.TopicsFromMinutes || len(march.Topics) != 3 {
			t.Errorf("March topics are its agenda items, not its minutes' program: %q", march.Topics)
		}
		if !nov.TopicsFromMinutes || len(nov.Topics) != 3 || nov.Topics[2] != "Drogová kriminalita a prevence kriminality" {
			t.Errorf("November topics from the body: %q", nov.Topics)
		}
		if r.Coverage != (report.Coverage{Represented: 5, Of: 6}) {
			t.Errorf("coverage %+v", r.Coverage)
		}
		sum := r.Summary()
		for _, want := range []string{
			"V roce 2022 se konala 3 setkání – 23. 3., 23. 6. a 2. 11. 2022.",
			"Setkání plánované na 15. 9. 2022 bylo zrušeno.",
			"Skupina je složena ze zástupců 6 organizací: ",
			"Na setkáních bylo zastoupeno 5 ze 6 organizací.",
			"hosté: Jan Černý (Krajská hygienická stanice Ústeckého kraje) a Karel Procházka (Krajské ředitelství policie Ústeckého kraje).",
			"Na setkáních bylo řešeno: plnění strategického dokumentu",
		} {
			if !strings.Contains(sum, want) {
				t.Errorf("summary lacks %q:\n%s", want, sum)
			}
		}
		r.Lang = i18n.English
		if sum := r.Summary(); !strings.HasPrefix(sum, "The group met 3 times: 23 March, 23 June and 2 November 2022. "+
			"The meeting planned for 15 September 2022 was cancelled.") {
			t.Errorf("English summary:\n%s", sum)
		}
	})
	t.Run("municipal coordinators", func(t *testing.T) {
		r := buildSeed(t, seedLocal)
		if r.Coverage != (report.Coverage{Represented: 15, Of: 16, Municipalities: true}) {
			t.Errorf("coverage %+v", r.Coverage)
		}
		if n := len(r.Meetings[0].Came); n != 15 {
			t.Errorf("7. 6.: %d came, want 15", n)
		}
		if !strings.Contains(r.Summary(), "V roce 2022 se konala 2 setkání – 7. 6. a 8. 11. 2022. Skupina je složena ze zástupců 16 obcí: Město Bílina, ") ||
			!strings.Contains(r.Summary(), "Na setkáních bylo zastoupeno 15 ze 16 obcí.") {
			t.Errorf("summary:\n%s", r.Summary())
		}
	})
	t.Run("round table", func(t *testing.T) {
		r := buildSeed(t, seedRoundTable)
		if len(r.Guests) != 4 || !strings.HasPrefix(r.Summary(), "V roce 2022 se konalo 1 setkání – 19. 10. 2022.") {
			t.Errorf("guests %q, summary:\n%s", names(r.Guests), r.Summary())
		}
	})
}

func TestSeedGolden(t *testing.T) {
	for _, slug := range []string{seedWorkingGroup, seedLocal, seedRoundTable} {
		r := buildSeed(t, slug)
		for _, lang := range []i18n.Lang{i18n.Czech, i18n.English} {
			r.Lang = lang
			t.Run(fmt.Sprintf("%s/%s/md", slug, lang), func(t *testing.T) {
				var b bytes.Buffer
				if err := r.Markdown(&b); err != nil {
					t.Fatal(err)
				}
				golden(t, fmt.Sprintf("%s_%s.md.golden", slug, lang), b.Bytes())
				// Pasted into Word, a backslash stays a backslash.
				if strings.Contains(b.String(), `\`) {
					t.Errorf("a backslash in the draft:\n%s", b.String())
				}
			})
			t.Run(fmt.Sprintf("%s/%s/csv", slug, lang), func(t *testing.T) {
				var b bytes.Buffer
				if err := r.CSV(&b); err != nil {
					t.Fatal(err)
				}
				golden(t, fmt.Sprintf("%s_%s.csv.golden", slug, lang), b.Bytes())
				rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				wantHeader := map[i18n.Lang]string{i18n.Czech: "Datum", i18n.English: "Date"}[lang]
				if len(rows) != len(r.Meetings)+len(r.Cancelled)+1 || rows[0][0] != wantHeader || !strings.Contains(b.String(), "\r\n") {
					t.Errorf("rows: %q", rows)
				}
			})
		}
	}
}

func TestCSVForExcel(t *testing.T) {
	r := buildSeed(t, seedLocal)
	var b bytes.Buffer
	if err := r.WriteCSV(&b, report.CSVOptions{Excel: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "mistni-koordinatori_cs_excel.csv.golden", b.Bytes())
	text, ok := strings.CutPrefix(b.String(), "\uFEFF")
	if !ok {
		t.Fatal("no byte-order mark")
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "Datum" || rows[0][3] != "Stav" || rows[1][3] != "proběhlo" || rows[1][5] != "15" {
		t.Errorf("rows: %q", rows)
	}
}
