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

	t.Run("counts what took place", func(t *testing.T) {
		if len(r.Meetings) != 3 || len(r.Cancelled) != 1 || r.Lang != i18n.Czech {
			t.Fatalf("%d meetings, %d cancelled, lang %q; want 3, 1, cs", len(r.Meetings), len(r.Cancelled), r.Lang)
		}
		if st := r.Meetings[2].Meeting.Status; st != store.MeetingScheduled {
			t.Errorf("November meeting status %q: the fixture should leave it unmarked", st)
		}
		march, june, nov := r.Meetings[0], r.Meetings[1], r.Meetings[2]
		if names(march.NeverAnswered) != "Tomáš Veselý" || names(june.NeverAnswered) != "Petr Svoboda" {
			t.Errorf("no answer: March %q, June %q", names(march.NeverAnswered), names(june.NeverAnswered))
		}
		if got := names(nov.NeverAnswered); got != "Karel Procházka" {
			t.Errorf("November no answer %q", got)
		}
		// By organisation, then name in Czech order: ch comes after h.
		if got, want := names(nov.YesNotRecorded), "Jan Černý, Jana Nováková, Petr Svoboda, Tomáš Veselý, "+
			"Hana Dvořáková, Chrudoš Hájek, Lucie Malá"; got != want {
			t.Errorf("November attended\n got %q\nwant %q", got, want)
		}
		if !june.Recorded || march.Recorded || len(june.Came) != 4 {
			t.Errorf("recorded: March %v, June %v with %d confirmed", march.Recorded, june.Recorded, len(june.Came))
		}
		if len(march.Agenda) != 2 {
			t.Errorf("March agenda %q: the proposed item is not part of it", march.Agenda)
		}
	})
	t.Run("organisations and topics", func(t *testing.T) {
		// Most meetings first, then by name. June counts its recorded
		// attendance (the police came by deputy), the others their RSVPs.
		want := []report.OrgCount{
			{"Krajský úřad Ústeckého kraje", 3}, {"Most k naději, z. s.", 3},
			{"Krajská hygienická stanice", 2}, {"Magistrát města Ústí nad Labem", 2},
			{"Krajské ředitelství policie Ústeckého kraje", 1},
		}
		if len(r.Organisations) != len(want) {
			t.Fatalf("organisations %v, want %v", r.Organisations, want)
		}
		for i := range want {
			if r.Organisations[i] != want[i] {
				t.Errorf("organisations[%d] = %v, want %v", i, r.Organisations[i], want[i])
			}
		}
		topics := strings.Join(r.Topics, "; ")
		if topics != "Plnění strategického dokumentu a evaluace; Aktuality z Ústeckého kraje a Úřadu vlády; "+
			"Financování služeb; Primární prevence; Situace ve věznicích; Drogová kriminalita a prevence kriminality" {
			t.Errorf("topics: %s", topics)
		}
	})
	t.Run("czech markdown", func(t *testing.T) {
		var b bytes.Buffer
		if err := r.Markdown(&b); err != nil {
			t.Fatal(err)
		}
		golden(t, "report_cs.md", b.Bytes())
		if !strings.Contains(b.String(), "V roce 2027 se konala 3 setkání (tři) – 23. 3., 23. 6. a 2. 11. 2027.") {
			t.Error("the paragraph does not open like the seed")
		}
	})
	t.Run("english markdown", func(t *testing.T) {
		en := *r
		en.Lang = i18n.English
		var b bytes.Buffer
		if err := en.Markdown(&b); err != nil {
			t.Fatal(err)
		}
		golden(t, "report_en.md", b.Bytes())
		if !strings.Contains(b.String(), "In 2027 the group met 3 times (three) – 23 Mar, 23 Jun and 2 Nov 2027.") {
			t.Error("the English paragraph is not as specified")
		}
	})
	t.Run("csv", func(t *testing.T) {
		var b bytes.Buffer
		if err := r.CSV(&b); err != nil {
			t.Fatal(err)
		}
		golden(t, "report.csv", b.Bytes())
		rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 5 || rows[3][3] != store.MeetingCancelled || rows[2][9] != "Financování služeb | Primární prevence" {
			t.Errorf("rows: %q", rows)
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
		2026: "V roce 2026 se skupina nesešla. Zrušeno bylo 1 setkání (31. 12. 2026).",
		2027: "V roce 2027 se konalo 1 setkání (jedno) – 1. 1. 2027.",
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
			out = append(out, &report.MeetingReport{Meeting: &store.Meeting{Start: start, TimeZone: "Europe/Prague"}})
		}
		return out
	}
	cancelled := func(n int) []*store.Meeting {
		var out []*store.Meeting
		for _, mr := range meetings(n) {
			out = append(out, mr.Meeting)
		}
		return out
	}
	for _, tc := range []struct {
		lang      i18n.Lang
		met, canc int
		want      string
	}{
		{i18n.Czech, 1, 1, "V roce 2027 se konalo 1 setkání (jedno) – 10. 1. 2027. Zrušeno bylo 1 setkání (10. 1. 2027)."},
		{i18n.Czech, 2, 2, "V roce 2027 se konala 2 setkání (dvě) – 10. 1. a 11. 1. 2027. Zrušena byla 2 setkání (10. 1. a 11. 1. 2027)."},
		{i18n.Czech, 5, 0, "V roce 2027 se konalo 5 setkání (pět) – 10. 1., 11. 1., 12. 1., 13. 1. a 14. 1. 2027."},
		{i18n.Czech, 21, 0, "V roce 2027 se konalo 21 setkání – "},
		{i18n.English, 1, 1, "In 2027 the group met once – 10 Jan 2027. 1 meeting was cancelled (10 Jan 2027)."},
		{i18n.English, 2, 3, "In 2027 the group met 2 times (two) – 10 Jan and 11 Jan 2027. 3 meetings were cancelled (10 Jan, 11 Jan and 12 Jan 2027)."},
	} {
		t.Run(fmt.Sprintf("%s/%d_met_%d_cancelled", tc.lang, tc.met, tc.canc), func(t *testing.T) {
			r := &report.Report{Group: g, Year: 2027, Lang: tc.lang, Meetings: meetings(tc.met), Cancelled: cancelled(tc.canc)}
			if got := r.Summary(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
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
