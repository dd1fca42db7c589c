package meeting_test

import (
	"strings"
	"testing"
	"unicode"

	"coordbot/meeting"
	"coordbot/store"
)

// hostile holds what a terminal or a calendar must never receive from a
// single-line field: an escape sequence, line breaks, a tab, a bell, a C1
// control and DEL.
const hostile = "Porada\x1b[2J\r\nnová\tčást\x07\u009b31m\x7f"

func hasControl(s string) bool { return strings.ContainsFunc(s, unicode.IsControl) }

func TestSingleLineFieldsLoseControlCharacters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, err := e.core.Create(e.ctx(), coordinator, e.group.ID, meeting.Draft{Title: hostile, Start: start,
		Place: "Sál\x1b]0;pwned\x07 2", OnlineURL: "https://x.cz/\r\nEvil: 1", Past: false})
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.store.Meeting(e.ctx(), res.Meeting.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Title != "Porada[2J nová část31m" {
		t.Errorf("title %q", m.Title)
	}
	if hasControl(m.Place) || hasControl(m.OnlineURL) {
		t.Errorf("place %q, url %q keep control characters", m.Place, m.OnlineURL)
	}

	edited := "Nový\x1bnázev\n"
	place := "Jinde\x1b"
	if _, err := e.core.Edit(e.ctx(), coordinator, m.ID, 0, meeting.Changes{Title: &edited, Place: &place}); err != nil {
		t.Fatal(err)
	}
	if m, _ = e.store.Meeting(e.ctx(), m.ID); m.Title != "Novýnázev" || m.Place != "Jinde" {
		t.Errorf("edited title %q, place %q", m.Title, m.Place)
	}

	p, err := e.core.Propose(e.ctx(), member, m.ID, e.group.ID, "Bod\x1b[31m\nčervený", "řádek 1\nřádek 2\x1b[0m")
	if err != nil {
		t.Fatal(err)
	}
	if p.Item.Title != "Bod[31m červený" || p.Item.Details != "řádek 1\nřádek 2[0m" {
		t.Errorf("agenda item %q / %q: title on one line, details keep their lines and lose the rest", p.Item.Title, p.Item.Details)
	}

	added, err := e.core.AddMember(e.ctx(), coordinator, e.group.ID,
		meeting.MemberInput{Name: "Eva\x1b[8m Malá\n", Organisation: "Obec\tLhota\x00", Emails: []string{"eva@obec.cz"}})
	if err != nil {
		t.Fatal(err)
	}
	if added.Member.DisplayName != "Eva[8m Malá" || added.Member.Organisation != "Obec Lhota" {
		t.Errorf("member %q of %q", added.Member.DisplayName, added.Member.Organisation)
	}

	guests, err := meeting.ParseGuests("Jan\x1b[5m Novák=Org\x07anizace; Host\u0085Druhý")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Guest{{Name: "Jan[5m Novák", Organisation: "Organizace"}, {Name: "Host Druhý"}}
	if len(guests) != 2 || guests[0] != want[0] || guests[1] != want[1] {
		t.Errorf("guests %+v, want %+v", guests, want)
	}
}
