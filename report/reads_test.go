package report_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"coordbot/report"
	"coordbot/store"
)

// richYear adds to yearFixture what the per-year reads must get right
// beyond it: a member who left after being recorded and answering, guests,
// meetings without agenda items whose minutes hold a program only in a
// later message (several rounds of texts), in an attachment, or nowhere,
// replies and forwards among the minutes, and mail that is not minutes
// (a quarantined message, a reply kind) filed under a meeting.
func richYear(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := yearFixture(t)
	f.clock = at(2027, time.July, 2, 9, 0)
	leaver := f.member(t, "Ondřej Odešel", "Obec Malšovice")
	april := f.meeting(t, at(2027, time.April, 20, 10, 0), "Jednání bez programu v pořadu")
	may := f.meeting(t, at(2027, time.May, 18, 10, 0), "Jednání s programem v příloze")
	august := f.meeting(t, at(2027, time.August, 24, 10, 0), "Jednání bez zápisu s programem")
	f.rsvp(t, april, "Ondřej Odešel", store.AnswerYes, "Věra Zástupná")
	f.rsvp(t, may, "Ondřej Odešel", store.AnswerNo, "Nikdo")
	f.attended(t, august, "Ondřej Odešel", true, "Věra Zástupná")
	f.attended(t, august, "Jana Nováková", false, "")
	f.rsvp(t, august, "Lucie Malá", store.AnswerMaybe, "Eva")
	err := f.s.Write(ctx, func(tx *store.Tx) error {
		return tx.AddGuests(may.ID, []store.Guest{{Name: "Pavel Host", Organisation: "Policie ČR"},
			{Name: "Anna Bezorganizace"}, {Name: "Jan Černý", Organisation: "Krajská hygienická stanice"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.RemoveMembership(ctx, f.group.ID, leaver.ID); err != nil {
		t.Fatal(err)
	}
	n := 0
	add := func(m *store.Meeting, subject, body string, sent time.Time, edit func(*store.ArchiveMessage)) {
		t.Helper()
		n++
		raw := []byte(fmt.Sprintf("Subject: %s\r\nMessage-ID: <%d@rich>\r\n\r\n%s", subject, n, body))
		sum := sha256.Sum256(raw)
		msg := &store.ArchiveMessage{MessageID: fmt.Sprintf("%d@rich", n), ContentHash: hex.EncodeToString(sum[:]),
			FromAddr: "jana.novakova@kr-ustecky.cz", Subject: subject, Sent: sent, Received: sent, BodyText: body,
			Raw: raw, GroupID: f.group.ID, MeetingID: m.ID}
		if edit != nil {
			edit(msg)
		}
		if _, err := f.s.AddArchiveMessage(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	program := "Program jednání:\n1. Téma %d\n2) Další téma %d…\n"
	// April: the program only in the fifth minutes (three rounds).
	add(april, "RE: [pracovni-skupina] Zápis", fmt.Sprintf(program, 0, 0), at(2027, time.April, 21, 9, 0), nil)
	for i := 1; i <= 6; i++ {
		body := "Bez programu."
		if i >= 5 {
			body = fmt.Sprintf(program, i, i)
		}
		add(april, fmt.Sprintf("[pracovni-skupina] [zapis] Zápis %d", i), body, at(2027, time.April, 21+i, 9, 0), nil)
	}
	// Same time, ids decide the order.
	add(april, "Zápis stejně starý", "x", at(2027, time.April, 22, 9, 0), nil)
	add(april, "Zápis v karanténě", fmt.Sprintf(program, 9, 9), at(2027, time.April, 20, 12, 0), func(m *store.ArchiveMessage) {
		m.State, m.Reason = store.ArchiveQuarantined, "neznámý odesílatel"
	})
	add(april, "Odpověď", fmt.Sprintf(program, 8, 8), at(2027, time.April, 20, 13, 0), func(m *store.ArchiveMessage) {
		m.Kind = store.ArchiveReply
	})
	// May: the program in the second attachment of the first minutes.
	add(may, "Zápis s přílohami", "V příloze.", at(2027, time.May, 19, 9, 0), func(m *store.ArchiveMessage) {
		m.Attachments = []*store.Attachment{
			{Filename: "a.pdf", MediaType: "application/pdf", Content: []byte("%PDF a"), SHA256: "a", Text: "Nic."},
			{Filename: "b.docx", MediaType: "application/msword", Content: []byte("PK b"), SHA256: "b",
				Text: fmt.Sprintf(program, 3, 3)},
		}
	})
	add(may, "Fwd: Zápis s přílohami", "", at(2027, time.May, 20, 9, 0), nil)
	// August: minutes without any program.
	add(august, "Zápis bez programu", "Jen text.", at(2027, time.August, 25, 9, 0), nil)
	add(august, "Oprava zápisu", "Program:\nnic číslovaného\n", at(2027, time.August, 26, 9, 0), nil)
	return f
}

// TestBuildMatchesTheOldBuilder builds the same years with the per-year
// reads and with the builder that read per meeting, and wants every field
// of the reports equal.
func TestBuildMatchesTheOldBuilder(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, s *store.Store, slug string, year int, at time.Time) {
		t.Helper()
		got, err := report.BuildAt(ctx, s, slug, year, at)
		if err != nil {
			t.Fatal(err)
		}
		want, err := report.OldBuildAt(ctx, s, slug, year, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Meetings) == 0 {
			t.Fatalf("%s %d: no meetings, nothing compared", slug, year)
		}
		if !reflect.DeepEqual(got, want) {
			for i := range min(len(got.Meetings), len(want.Meetings)) {
				if !reflect.DeepEqual(got.Meetings[i], want.Meetings[i]) {
					t.Errorf("%s meeting %d:\n got %+v\nwant %+v", slug, i, *got.Meetings[i], *want.Meetings[i])
				}
			}
			t.Fatalf("%s %d: reports differ:\n got %+v\nwant %+v", slug, year, *got, *want)
		}
	}
	t.Run("rich year", func(t *testing.T) {
		f := richYear(t)
		check(t, f.s, f.group.Slug, 2027, now)
		r, err := report.BuildAt(ctx, f.s, f.group.Slug, 2027, now)
		if err != nil {
			t.Fatal(err)
		}
		// The fixture must exercise what it claims to.
		var fromMinutes, withGuests, correspondence int
		for _, mr := range r.Meetings {
			if mr.TopicsFromMinutes {
				fromMinutes++
			}
			if len(mr.Guests) > 0 {
				withGuests++
			}
			correspondence += mr.Correspondence
		}
		if fromMinutes != 2 || withGuests != 1 || correspondence != 2 {
			t.Errorf("topics from minutes %d, meetings with guests %d, correspondence %d; want 2, 1, 2",
				fromMinutes, withGuests, correspondence)
		}
	})
	for _, slug := range []string{seedWorkingGroup, seedLocal, seedRoundTable} {
		t.Run(slug, func(t *testing.T) {
			s, at := seedYear(t)
			check(t, s, slug, 2022, at)
		})
	}
}

// TestCleanSubjectMatchesTheRegexp compares CleanSubject, which scans
// bytes, with the regular expression it replaced.
func TestCleanSubjectMatchesTheRegexp(t *testing.T) {
	tag := regexp.MustCompile(`^\s*\[[^\]]*\]\s*`)
	old := func(s string) string {
		for {
			t := tag.ReplaceAllString(s, "")
			if t == s {
				return strings.TrimSpace(s)
			}
			s = t
		}
	}
	for _, s := range []string{"", "Zápis", "  [ps] Zápis ", "[ps][zapis]  Zápis", "[a\nb]\t x", "[neuzavřený Zápis",
		"\v[ps] Zápis", "\u00a0[ps] Zápis", "[ps]", "[ps] ", "Zápis [ps]", "[]Re: x", "[\xff] \xfe", "\f\r\n[ps]\n[x]\u00a0y"} {
		if got, want := report.CleanSubject(s), old(s); got != want {
			t.Errorf("CleanSubject(%q) = %q, want %q", s, got, want)
		}
	}
}
