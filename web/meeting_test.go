package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"coordbot/i18n"
	"coordbot/store"
)

// meetingStart is 23 March 2027, 10:00 in Prague (a Tuesday).
var meetingStart = time.Date(2027, 3, 23, 9, 0, 0, 0, time.UTC)

func TestMemberAnswersAndProposesOnTheMeetingPage(t *testing.T) {
	site := newTestSite(t)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	site.addMember("Petr Svoboda", "petr@mesto.cz", site.Group, store.RoleMember)
	m := site.addMeeting(site.Group, "Jednání pracovní skupiny", meetingStart)
	c := site.signIn(jana)
	path := "/meetings/" + id(m.ID)

	page := c.get(path)
	wantStatus(t, "meeting page", page, 200)
	wantBody(t, "meeting page", page, "<h1>Jednání pracovní skupiny</h1>", "út 23. 3. 2027 10:00–12:00",
		"Krajský úřad, zasedací místnost 2", `<button type="submit" name="answer" value="yes"`,
		`<button type="submit" name="answer" value="no"`, `<button type="submit" name="answer" value="maybe"`,
		`name="note"`, `name="substitute"`, `name="title"`, `name="details"`, "Obec Svoboda")

	r := c.post(path+"/answer", url.Values{"answer": {"yes"}, "note": {"Přijdu o půl hodiny později."}, "substitute": {"Karel Dvořák"}})
	if r.Status != http.StatusSeeOther || r.Location != path+"?ok=answered" {
		t.Fatalf("answer: %d to %q\n%s", r.Status, r.Location, r.Body)
	}
	rs, err := site.Store.RSVP(context.Background(), m.ID, jana.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Answer != store.AnswerYes || rs.Via != store.ViaWeb || rs.Substitute != "Karel Dvořák" || rs.Note != "Přijdu o půl hodiny později." {
		t.Errorf("recorded %+v", rs)
	}
	after := c.follow(r)
	wantBody(t, "after answering", after, "Odpověď je uložená.", "Odpověděli jste: <strong>Přijdu</strong>",
		"Jana Nováková (za ně Karel Dvořák)")

	r = c.post(path+"/propose", url.Values{"title": {"Terénní programy 2027"}, "details": {"Rozpočet a <b>personál</b>"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("propose: %d\n%s", r.Status, r.Body)
	}
	items, err := site.Store.Agenda(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Title != "Terénní programy 2027" || items[0].AuthorID != jana.ID {
		t.Fatalf("agenda = %+v", items)
	}
	wantBody(t, "after proposing", c.follow(r), "Terénní programy 2027", "Rozpočet a &lt;b&gt;personál&lt;/b&gt;", "navrhl(a) Jana Nováková")

	// The core's refusals are shown in the page's language.
	r = c.post(path+"/answer", url.Values{"answer": {"perhaps"}})
	wantStatus(t, "bad answer", r, http.StatusUnprocessableEntity)
	wantBody(t, "bad answer", r, "Odpověď musí být yes, no nebo maybe.")
	r = c.post(path+"/propose", url.Values{"title": {"  "}})
	wantStatus(t, "empty title", r, http.StatusUnprocessableEntity)
	wantBody(t, "empty title", r, "Název nesmí být prázdný.")
	r = c.post(path+"/agenda", url.Values{"item": {id(items[0].ID)}, "action": {"accept"}})
	wantStatus(t, "member accepting", r, http.StatusUnprocessableEntity)
	wantBody(t, "member accepting", r, "Tohle může udělat jen koordinátor skupiny.")

	// Once the meeting has begun, a member can no longer answer.
	site.Clock.Set(meetingStart.Add(time.Minute))
	page = c.get(path)
	if strings.Contains(page.Body, `name="answer"`) || strings.Contains(page.Body, `name="title"`) {
		t.Error("a meeting that has begun still offers the answer or proposal form to a member")
	}
	r = c.post(path+"/answer", url.Values{"answer": {"no"}})
	wantStatus(t, "late answer", r, http.StatusUnprocessableEntity)
	wantBody(t, "late answer", r, "už začala")
}

func TestCoordinatorAcceptsOrdersAndConfirmsAttendance(t *testing.T) {
	site := newTestSite(t)
	ctx := context.Background()
	eva := site.addMember("Eva Horáková", "eva@kraj.cz", site.Group, store.RoleCoordinator)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	petr := site.addMember("Petr Svoboda", "petr@mesto.cz", site.Group, store.RoleMember)
	m := site.addMeeting(site.Group, "Jednání pracovní skupiny", meetingStart)
	path := "/meetings/" + id(m.ID)
	member, coord := site.signIn(jana), site.signIn(eva)
	member.post(path+"/propose", url.Values{"title": {"První bod"}})
	member.post(path+"/propose", url.Values{"title": {"Druhý bod"}})
	member.post(path+"/answer", url.Values{"answer": {"yes"}, "substitute": {"Karel Dvořák"}})
	items, err := site.Store.Agenda(ctx, m.ID)
	if err != nil || len(items) != 2 {
		t.Fatalf("agenda %v, %v", items, err)
	}

	page := coord.get(path)
	wantBody(t, "coordinator's page", page, `<button type="submit" name="action" value="accept">Přijmout</button>`,
		`name="pos-`+id(items[0].ID)+`"`)
	if strings.Contains(page.Body, "Kdo přišel") {
		t.Error("the attendance form is offered before the meeting")
	}
	r := coord.post(path+"/agenda", url.Values{"item": {id(items[1].ID)}, "action": {"accept"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d\n%s", r.Status, r.Body)
	}
	wantBody(t, "after accepting", coord.follow(r), "Bod programu je přijat.")
	r = coord.post(path+"/order", url.Values{"pos-" + id(items[0].ID): {"2"}, "pos-" + id(items[1].ID): {"1"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("order: %d\n%s", r.Status, r.Body)
	}
	got, err := site.Store.Agenda(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ID != items[1].ID || got[0].Status != store.AgendaAccepted || got[1].ID != items[0].ID {
		t.Errorf("agenda after accept and order: %+v, %+v", got[0], got[1])
	}
	// An item of another meeting is not this page's.
	other := site.addMeeting(site.Group, "Jiná schůzka", meetingStart.Add(7*day))
	member.post("/meetings/"+id(other.ID)+"/propose", url.Values{"title": {"Cizí bod"}})
	otherItems, _ := site.Store.Agenda(ctx, other.ID)
	wantStatus(t, "item of another meeting", coord.post(path+"/agenda", url.Values{"item": {id(otherItems[0].ID)}, "action": {"accept"}}), 404)

	// After the start the coordinator confirms who came.
	site.Clock.Set(meetingStart.Add(3 * time.Hour))
	page = coord.get(path)
	wantBody(t, "attendance form", page, "Kdo přišel", `<input type="checkbox" id="came-`+id(jana.ID)+`" name="came" value="`+id(jana.ID)+`" checked>`,
		`<label for="came-`+id(petr.ID)+`">Petr Svoboda (Obec Svoboda)</label>`, `value="Karel Dvořák"`)
	if strings.Contains(page.Body, `id="came-`+id(petr.ID)+`" name="came" value="`+id(petr.ID)+`" checked`) {
		t.Error("a member who did not answer is ticked")
	}
	wantStatus(t, "member recording", member.post(path+"/attendance", url.Values{"came": {id(jana.ID)}}), http.StatusUnprocessableEntity)
	r = coord.post(path+"/attendance", url.Values{"came": {id(jana.ID), id(eva.ID)}, "sub-" + id(jana.ID): {"Karel Dvořák"},
		"guests": {"Marie Malá=Policie ČR"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("attendance: %d\n%s", r.Status, r.Body)
	}
	att, err := site.Store.AttendanceOf(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	came := map[int64]store.Attendance{}
	for _, a := range att {
		came[a.MemberID] = *a
	}
	if len(att) != 3 || !came[jana.ID].Attended || came[jana.ID].Substitute != "Karel Dvořák" || !came[eva.ID].Attended || came[petr.ID].Attended {
		t.Errorf("attendance = %+v", came)
	}
	held, err := site.Store.Meeting(ctx, m.ID)
	if err != nil || held.Status != store.MeetingHeld {
		t.Errorf("meeting after attendance: %+v, %v", held, err)
	}
	wantBody(t, "after attendance", coord.follow(r), "Účast je zapsaná.", "Marie Malá (Policie ČR)")
}

func TestAnotherGroupsMeetingIsNotFound(t *testing.T) {
	site := newTestSite(t)
	other := site.addGroup("jina", "Jiná skupina", i18n.Czech)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleCoordinator)
	m := site.addMeeting(other, "Cizí jednání", meetingStart)
	c := site.signIn(jana)
	path := "/meetings/" + id(m.ID)
	for _, r := range []*response{
		c.get(path), c.get("/meetings/999999"), c.get("/meetings/abc"),
		c.post(path+"/answer", url.Values{"answer": {"yes"}}),
		c.post(path+"/propose", url.Values{"title": {"Bod"}}),
		c.get("/groups/jina/report/2027"), c.get("/groups/nikdo/report/2027"),
	} {
		if r.Status != http.StatusNotFound || strings.Contains(r.Body, "Cizí jednání") {
			t.Errorf("status %d, want 404 without the meeting's title", r.Status)
		}
	}
	if _, err := site.Store.RSVP(context.Background(), m.ID, jana.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an answer to another group's meeting was recorded: %v", err)
	}
}

func TestFormFromAnotherSiteIsRefused(t *testing.T) {
	site := newTestSite(t)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	m := site.addMeeting(site.Group, "Jednání", meetingStart)
	c := site.signIn(jana)
	path := "/meetings/" + id(m.ID) + "/answer"
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://zlo.example.com"},
	} {
		for k, v := range h {
			c.Header.Set(k, v)
		}
		r := c.post(path, url.Values{"answer": {"yes"}})
		wantStatus(t, "cross-site form", r, http.StatusForbidden)
		wantBody(t, "cross-site form", r, "z jiné stránky")
		c.Header = http.Header{}
	}
	if _, err := site.Store.RSVP(context.Background(), m.ID, jana.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a cross-site answer was recorded: %v", err)
	}
	// The same form from the site itself goes through.
	c.Header.Set("Sec-Fetch-Site", "same-origin")
	c.Header.Set("Origin", site.URL)
	if r := c.post(path, url.Values{"answer": {"yes"}}); r.Status != http.StatusSeeOther {
		t.Errorf("same-origin form: %d\n%s", r.Status, r.Body)
	}
}

func TestOneClickAnswer(t *testing.T) {
	site := newTestSite(t)
	ctx := context.Background()
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	m := site.addMeeting(site.Group, "Jednání pracovní skupiny", meetingStart)
	token := site.Links.AnswerToken(jana.ID, m.ID, store.AnswerNo)
	c := site.newClient() // no session: the token is enough

	page := c.get("/a/" + token)
	wantStatus(t, "one-click page", page, 200)
	wantBody(t, "one-click page", page, "Jednání pracovní skupiny", "Jana Nováková", "út 23. 3. 2027 10:00",
		`<input type="radio" id="answer-no" name="answer" value="no" checked>`, `<button type="submit">Potvrdit odpověď</button>`)
	if strings.Count(page.Body, "<button") != 1 {
		t.Errorf("the page has %d buttons, want one", strings.Count(page.Body, "<button"))
	}
	if _, err := site.Store.RSVP(ctx, m.ID, jana.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("opening the link recorded an answer: %v", err)
	}

	done := c.post("/a/"+token, url.Values{"answer": {"no"}, "note": {"Jsem na dovolené."}})
	wantStatus(t, "confirm", done, 200)
	wantBody(t, "confirm", done, "Zaznamenali jsme vaši odpověď: Nepřijdu.")
	rs, err := site.Store.RSVP(ctx, m.ID, jana.ID)
	if err != nil || rs.Answer != store.AnswerNo || rs.Via != store.ViaWeb || rs.Note != "Jsem na dovolené." {
		t.Fatalf("recorded %+v, %v", rs, err)
	}

	bad := c.get("/a/" + altered(token))
	wantStatus(t, "altered token", bad, http.StatusBadRequest)
	wantBody(t, "altered token", bad, "poškozený nebo neúplný")
	wantStatus(t, "altered token POST", c.post("/a/"+altered(token), url.Values{}), http.StatusBadRequest)
	if rs, _ := site.Store.RSVP(ctx, m.ID, jana.ID); rs.Answer != store.AnswerNo {
		t.Errorf("an altered token changed the answer to %s", rs.Answer)
	}

	site.Clock.Set(meetingStart)
	late := c.get("/a/" + site.Links.AnswerToken(jana.ID, m.ID, store.AnswerYes))
	wantStatus(t, "expired", late, http.StatusGone)
	wantBody(t, "expired", late, "už začala nebo byla zrušena")
	wantStatus(t, "expired POST", c.post("/a/"+site.Links.AnswerToken(jana.ID, m.ID, store.AnswerYes), url.Values{}), http.StatusGone)
	if rs, _ := site.Store.RSVP(ctx, m.ID, jana.ID); rs.Answer != store.AnswerNo {
		t.Errorf("an expired token changed the answer to %s", rs.Answer)
	}
}

func TestEnglishGroupPagesAreInEnglish(t *testing.T) {
	site := newTestSite(t)
	en := site.addGroup("round-table", "Round table", i18n.English)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", en, store.RoleMember)
	m := site.addMeeting(en, "Round table meeting", meetingStart)
	page := site.signIn(jana).get("/meetings/" + id(m.ID))
	wantBody(t, "English meeting", page, `<html lang="en">`, "Tue 23 Mar 2027, 10:00–12:00", "I will come", "Propose an agenda item")
	one := site.newClient().get("/a/" + site.Links.AnswerToken(jana.ID, m.ID, store.AnswerYes))
	wantBody(t, "English one-click", one, `<html lang="en">`, "Confirm the answer")
}
