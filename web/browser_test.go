package web

// Tests in a real browser (chromium through chromedp, internal/browser) of
// the whole program in one process (browser_env_test.go): each drives the
// pages as a member or coordinator would, then checks what the page shows
// and what the store holds, and that no page opened a dialog or logged an
// error (a blocked script, stylesheet or inline handler would show up as a
// Content-Security-Policy error). Skipped without chromium unless
// COORDBOT_REQUIRE_CHROMIUM=1.

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"coordbot/internal/browser"
	"coordbot/meeting"
	"coordbot/store"
)

// TestBrowserSignIn: a stranger who opens a meeting is sent to the login
// page; asking for a
// link for a member's address mails one (through the outbox, the
// scheduler and the mailer to the SMTP server); opening it shows a button
// and uses nothing up; the button signs in (an HttpOnly, SameSite=Lax
// session cookie the store knows as that member) and leads to the meeting
// the stranger first asked for; home shows the member's groups; opened again, the link says it was used and offers no button.
func TestBrowserSignIn(t *testing.T) {
	site := newBrowserSite(t)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	m := site.addMeeting(site.Group, "Jednání pracovní skupiny", siteStart.Add(7*24*time.Hour))
	tab := site.tab(t, nil)

	// A stranger follows a link to a meeting.
	site.open(t, tab, "/meetings/"+id(m.ID), http.StatusOK)
	if u := browserURL(t, tab); u != site.URL+"/login" {
		t.Fatalf("a stranger at the meeting is at %s, want the login page", u)
	}
	browserShows(t, tab, "Přihlášení")
	site.screenshot(t, tab, "login")

	browserLoad(t, tab, http.StatusOK, browser.Type("#email", "jana@obec.cz"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)))
	browserShows(t, tab, "Pokud adresu známe, poslali jsme na ni odkaz pro přihlášení")

	// The invitation to the meeting went out first.
	mail := site.mailWith(t, "jana@obec.cz", site.URL+"/login/")
	link := mail.link(t, site.URL+"/login/")
	linkID := site.lastLoginLink(jana)
	if linkID == 0 {
		t.Fatal("no sign-in link in the store")
	}

	site.open(t, tab, strings.TrimPrefix(link, site.URL), http.StatusOK)
	browserShows(t, tab, "Přihlášení dokončíte tlačítkem níže")
	if l, err := site.Store.LoginLink(context.Background(), linkID); err != nil || !l.Used.IsZero() {
		t.Fatalf("after opening the link: %+v, %v; want it unused (mail scanners open links)", l, err)
	}

	browserLoad(t, tab, http.StatusOK, chromedp.Click(chromedp.CSS(`main form button`)))
	if u := browserURL(t, tab); u != site.URL+"/meetings/"+id(m.ID) {
		t.Errorf("signed in at %s, want the meeting asked for", u)
	}
	browserShows(t, tab, "Jana Nováková", m.Title, "Přijdu")
	tab.AssertQuiet(t)
	site.open(t, tab, "/", http.StatusOK)
	browserShows(t, tab, "Moje skupiny a schůzky", "Jana Nováková", site.Group.Name, "Jednání pracovní skupiny")
	tab.AssertQuiet(t)
	site.screenshot(t, tab, "home")

	c := site.browserCookie(t, tab)
	if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax {
		t.Errorf("session cookie HttpOnly=%v SameSite=%q, want HttpOnly and Lax", c.HTTPOnly, c.SameSite)
	}
	who, _, err := site.Store.SessionMember(context.Background(), c.Value, site.Clock.Now())
	if err != nil || who.ID != jana.ID {
		t.Fatalf("the store knows the cookie as %+v, %v; want Jana", who, err)
	}
	if l, err := site.Store.LoginLink(context.Background(), linkID); err != nil || l.Used.IsZero() {
		t.Fatalf("after signing in: %+v, %v; want the link used", l, err)
	}

	// The link is used up: a second window gets a page that says so.
	again := site.tab(t, nil)
	site.open(t, again, strings.TrimPrefix(link, site.URL), http.StatusGone)
	browserShows(t, again, "Tento odkaz pro přihlášení už byl použit")
	noForm(t, again)
}

// TestBrowserMember: a member answers a meeting with a note, proposes an
// agenda item, searches the archive for "veznicich" (no diacritics),
// opens the hit and downloads its attachment.
func TestBrowserMember(t *testing.T) {
	site := newBrowserSite(t)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	next := site.addMeeting(site.Group, "Jednání pracovní skupiny", siteStart.Add(7*24*time.Hour))
	held := site.addMeeting(site.Group, "Únorové jednání", siteStart.Add(-14*24*time.Hour))
	docx := []byte("PK\x03\x04 zápis z jednání: léčba ve věznicích")
	minutes := site.addMessage(&store.ArchiveMessage{Subject: "Zápis z únorového jednání", MeetingID: held.ID,
		BodyText: "Program jednání:\n1. Léčba ve věznicích\n2. Financování\n\nSkupina projednala substituční léčbu ve věznicích."},
		&store.Attachment{Filename: "zápis-únor.docx", Content: docx, Text: "léčba ve věznicích",
			MediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
	site.addMessage(&store.ArchiveMessage{Subject: "Pozvánka na konferenci", MeetingID: held.ID, BodyText: "Konference o prevenci."})
	tab := site.tab(t, jana)
	ctx := context.Background()

	t.Run("answer", func(t *testing.T) {
		site.open(t, tab, "/meetings/"+id(next.ID), http.StatusOK)
		browserShows(t, tab, "Jednání pracovní skupiny", "Krajský úřad, zasedací místnost 2", "8. 3. 2027 9:00")
		browserLoad(t, tab, http.StatusOK, browser.Type("#note", "Přijdu o půl hodiny později"),
			chromedp.Click(chromedp.CSS(`button[name="answer"][value="yes"]`)))
		browserShows(t, tab, "Odpověděli jste: Přijdu")
		rs, err := site.Store.RSVP(ctx, next.ID, jana.ID)
		if err != nil || rs.Answer != store.AnswerYes || rs.Note != "Přijdu o půl hodiny později" || rs.Via != store.ViaWeb {
			t.Fatalf("stored answer %+v, %v; want yes with the note, via web", rs, err)
		}
		tab.AssertQuiet(t)
	})

	t.Run("propose", func(t *testing.T) {
		browserLoad(t, tab, http.StatusOK, browser.Type("#title", "Financování terénních programů"),
			browser.Type("#details", "Návrh rozpočtu na rok 2028."),
			chromedp.Click(chromedp.CSS(`form[action$="/propose"] button`)))
		browserShows(t, tab, "Financování terénních programů", "navrženo")
		site.screenshot(t, tab, "meeting")
		items, err := site.Store.Agenda(ctx, next.ID)
		if err != nil || len(items) != 1 {
			t.Fatalf("agenda %+v, %v; want the one proposal", items, err)
		}
		if it := items[0]; it.Title != "Financování terénních programů" || it.Details != "Návrh rozpočtu na rok 2028." ||
			it.AuthorID != jana.ID || it.Status != store.AgendaProposed {
			t.Errorf("stored item %+v", it)
		}
		tab.AssertQuiet(t)
	})

	t.Run("search without diacritics", func(t *testing.T) {
		site.open(t, tab, "/archive", http.StatusOK)
		browserLoad(t, tab, http.StatusOK, browser.Type("#q", "veznicich"),
			chromedp.Click(chromedp.CSS(`form.search button`)))
		if u := browserURL(t, tab); u != site.URL+"/archive?q=veznicich" {
			t.Errorf("search at %s", u)
		}
		hits, err := browser.Run(tab, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll("ol.hits > li > a")].map(a => a.textContent + " " + a.getAttribute("href"))`))
		if err != nil {
			t.Fatal(err)
		}
		if want := minutes.Subject + " /archive/" + id(minutes.ID); len(hits) != 1 || hits[0] != want {
			t.Fatalf("hits %q, want only %q", hits, want)
		}
		marks, err := browser.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll("ol.hits mark")].map(m => m.textContent)`))
		if err != nil || len(marks) == 0 || !strings.EqualFold(marks[0], "věznicích") {
			t.Errorf("marked %q, %v; want věznicích", marks, err)
		}
		tab.AssertQuiet(t)
		site.screenshot(t, tab, "archive-search")

		browserLoad(t, tab, http.StatusOK, chromedp.Click(chromedp.CSS(`ol.hits > li > a`)))
		if u := browserURL(t, tab); u != site.URL+"/archive/"+id(minutes.ID) {
			t.Errorf("hit opened %s", u)
		}
		browserShows(t, tab, minutes.Subject, "Skupina projednala substituční léčbu ve věznicích.", "zápis-únor.docx", "Únorové jednání")
		tab.AssertQuiet(t)
		site.screenshot(t, tab, "archive-message")
	})

	t.Run("download", func(t *testing.T) {
		dir := t.TempDir()
		d, err := tab.Download(dir, chromedp.Click(chromedp.CSS(`ul.files a`)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(d.Path)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := site.Store.ArchiveMessageByID(ctx, minutes.ID)
		if err != nil || len(msg.Attachments) != 1 {
			t.Fatalf("stored message %+v, %v", msg, err)
		}
		stored, err := site.Store.Attachment(ctx, msg.Attachments[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(docx) || string(stored.Content) != string(docx) {
			t.Errorf("downloaded %q, stored %q, want %q", got, stored.Content, docx)
		}
		if d.SuggestedName != "zápis-únor.docx" {
			t.Errorf("saved as %q, want zápis-únor.docx", d.SuggestedName)
		}
		tab.AssertQuiet(t)
	})
}

// TestBrowserOneClick: the invitation mailed to a member carries
// "Přijdu: <link>"; opening it (in a browser that never signed in, and by
// a mail scanner's plain GET) shows the answer preselected and records
// nothing; the button records it. A form posted from another site is
// refused and changes nothing; an altered link and one whose meeting has
// begun get a page that says so.
func TestBrowserOneClick(t *testing.T) {
	site := newBrowserSite(t)
	petr := site.addMember("Petr Dvořák", "petr@mesto.cz", site.Group, store.RoleMember)
	start := siteStart.Add(7 * 24 * time.Hour)
	m := site.addMeeting(site.Group, "Jednání pracovní skupiny", start)
	ctx := context.Background()

	mail := site.mailWith(t, "petr@mesto.cz", site.URL+"/a/")
	if !strings.Contains(mail.Subject, m.Title) {
		t.Errorf("first mail %q, want the invitation", mail.Subject)
	}
	link := mail.labelledLink(t, "Přijdu")
	if !strings.HasPrefix(link, site.URL+"/a/") {
		t.Fatalf("one-click link %s", link)
	}
	noAnswer := func(when string) {
		t.Helper()
		if rs, err := site.Store.RSVP(ctx, m.ID, petr.ID); err == nil {
			t.Errorf("%s: answer %+v recorded", when, rs)
		}
	}

	// A mail scanner follows the link.
	for range 2 {
		res, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", link, res.StatusCode)
		}
	}
	noAnswer("after two GETs")

	tab := site.tab(t, nil)
	browserLoad(t, tab, http.StatusOK, chromedp.Navigate(link))
	browserShows(t, tab, "Potvrďte odpověď", "Petr Dvořák", m.Title, "8. 3. 2027 9:00")
	checked, err := browser.Run(tab, chromedp.Evaluate[string](`document.querySelector('input[name="answer"]:checked').value`))
	if err != nil || checked != store.AnswerYes {
		t.Errorf("preselected %q, %v; want yes", checked, err)
	}
	noAnswer("after opening the page")
	tab.AssertQuiet(t)
	site.screenshot(t, tab, "oneclick")

	// The same form, posted from another site, is refused.
	token := strings.TrimPrefix(link, site.URL)
	if status := site.foreignPost(t, token, "answer=no", nil); status != http.StatusForbidden {
		t.Errorf("cross-site POST of the one-click form: %d, want 403", status)
	}
	noAnswer("after a cross-site POST")

	browserLoad(t, tab, http.StatusOK, chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
	browserShows(t, tab, "Zaznamenali jsme vaši odpověď: Přijdu.")
	rs, err := site.Store.RSVP(ctx, m.ID, petr.ID)
	if err != nil || rs.Answer != store.AnswerYes || rs.Via != store.ViaWeb {
		t.Fatalf("stored %+v, %v; want yes via web", rs, err)
	}
	tab.AssertQuiet(t)
	site.screenshot(t, tab, "oneclick-done")

	t.Run("altered", func(t *testing.T) {
		altered := []byte(link)
		i := len(altered) - 3
		if altered[i] == 'A' {
			altered[i] = 'B'
		} else {
			altered[i] = 'A'
		}
		browserLoad(t, tab, http.StatusBadRequest, chromedp.Navigate(string(altered)))
		browserShows(t, tab, "Odkaz pro odpověď je poškozený nebo neúplný")
		noForm(t, tab)
	})

	t.Run("meeting started", func(t *testing.T) {
		site.Clock.Set(start.Add(time.Minute))
		browserLoad(t, tab, http.StatusGone, chromedp.Navigate(link))
		browserShows(t, tab, "Schůzka „Jednání pracovní skupiny“ už začala nebo byla zrušena")
		noForm(t, tab)
		if status := site.foreignPost(t, token, "", nil); status != http.StatusForbidden {
			t.Errorf("cross-site POST: %d", status)
		}
		if rs, err := site.Store.RSVP(ctx, m.ID, petr.ID); err != nil || rs.Answer != store.AnswerYes {
			t.Errorf("answer %+v, %v; want yes unchanged", rs, err)
		}
	})
}

// noForm fails when the page has a form other than the logout button's.
func noForm(t *testing.T, tab *browser.Tab) {
	t.Helper()
	n, err := browser.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('main form').length`))
	if err != nil || n != 0 {
		t.Errorf("%d forms on the page, %v; want none", n, err)
	}
}

// TestBrowserCrossSiteFormsRefused: a signed-in member's browser that
// posts the answer form from another site (a foreign Origin) gets a 403
// and nothing is recorded; the same form from the page itself works.
func TestBrowserCrossSiteFormsRefused(t *testing.T) {
	site := newBrowserSite(t)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	m := site.addMeeting(site.Group, "Jednání pracovní skupiny", siteStart.Add(7*24*time.Hour))
	tab := site.tab(t, jana)
	site.open(t, tab, "/meetings/"+id(m.ID), http.StatusOK)
	cookie := site.browserCookie(t, tab)
	for _, path := range []string{"/meetings/" + id(m.ID) + "/answer", "/meetings/" + id(m.ID) + "/propose"} {
		if status := site.foreignPost(t, path, "answer=no&title=Cizí+bod", &http.Cookie{Name: cookie.Name, Value: cookie.Value}); status != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403", path, status)
		}
	}
	if rs, err := site.Store.RSVP(context.Background(), m.ID, jana.ID); err == nil {
		t.Errorf("answer %+v recorded", rs)
	}
	if items, err := site.Store.Agenda(context.Background(), m.ID); err != nil || len(items) != 0 {
		t.Errorf("agenda %+v, %v; want empty", items, err)
	}
	browserLoad(t, tab, http.StatusOK, chromedp.Click(chromedp.CSS(`button[name="answer"][value="no"]`)))
	if rs, err := site.Store.RSVP(context.Background(), m.ID, jana.ID); err != nil || rs.Answer != store.AnswerNo {
		t.Errorf("answer from the page %+v, %v; want no", rs, err)
	}
	tab.AssertQuiet(t)
}

// TestBrowserCoordinator: a coordinator accepts a member's proposal,
// confirms who came to a meeting that took place, and reads the year's
// report.
func TestBrowserCoordinator(t *testing.T) {
	site := newBrowserSite(t)
	eva := site.addMember("Eva Svobodová", "eva@kraj.cz", site.Group, store.RoleCoordinator)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	petr := site.addMember("Petr Dvořák", "petr@mesto.cz", site.Group, store.RoleMember)
	next := site.addMeeting(site.Group, "Jednání pracovní skupiny", siteStart.Add(7*24*time.Hour))
	held := site.addMeeting(site.Group, "Únorové jednání", siteStart.Add(-2*24*time.Hour))
	site.addMessage(&store.ArchiveMessage{Subject: "Zápis z únorového jednání", MeetingID: held.ID,
		BodyText: "Program jednání:\n1. Léčba ve věznicích\n2. Financování služeb\n"})
	ctx := context.Background()
	if _, err := site.Core.Propose(ctx, meeting.Actor{Via: store.ViaWeb, MemberID: jana.ID}, next.ID, 0,
		"Výroční zpráva kraje", "Krátce představím."); err != nil {
		t.Fatal(err)
	}
	tab := site.tab(t, eva)

	t.Run("accept", func(t *testing.T) {
		site.open(t, tab, "/meetings/"+id(next.ID), http.StatusOK)
		browserShows(t, tab, "Výroční zpráva kraje", "navrženo")
		browserLoad(t, tab, http.StatusOK, chromedp.Click(chromedp.CSS(`button[name="action"][value="accept"]`)))
		browserShows(t, tab, "Výroční zpráva kraje", "přijato")
		items, err := site.Store.Agenda(ctx, next.ID)
		if err != nil || len(items) != 1 || items[0].Status != store.AgendaAccepted {
			t.Fatalf("agenda %+v, %v; want the item accepted", items, err)
		}
		tab.AssertQuiet(t)
	})

	t.Run("attendance", func(t *testing.T) {
		site.open(t, tab, "/meetings/"+id(held.ID), http.StatusOK)
		browserLoad(t, tab, http.StatusOK, chromedp.Click(chromedp.ID("came-"+id(jana.ID))),
			chromedp.Click(chromedp.ID("came-"+id(petr.ID))),
			browser.Type("#sub-"+id(petr.ID), "Karel Novák"),
			chromedp.Click(chromedp.CSS(`form[action$="/attendance"] button[type="submit"]`)))
		browserShows(t, tab, "Účast je zapsaná")
		as, err := site.Store.AttendanceOf(ctx, held.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]*store.Attendance{}
		for _, a := range as {
			got[a.MemberID] = a
		}
		if a := got[jana.ID]; a == nil || !a.Attended || a.Substitute != "" {
			t.Errorf("Jana's attendance %+v, want came", a)
		}
		if a := got[petr.ID]; a == nil || !a.Attended || a.Substitute != "Karel Novák" {
			t.Errorf("Petr's attendance %+v, want his deputy Karel Novák", a)
		}
		if a := got[eva.ID]; a != nil && a.Attended {
			t.Errorf("Eva's attendance %+v, want not came", a)
		}
		tab.AssertQuiet(t)
	})

	t.Run("report", func(t *testing.T) {
		site.open(t, tab, "/groups/"+site.Group.Slug+"/report/2027", http.StatusOK)
		browserShows(t, tab, "Únorové jednání", "Léčba ve věznicích")
		tab.AssertQuiet(t)
		site.screenshot(t, tab, "report")
	})
}

// TestBrowserHostileMessage: minutes whose subject, text and attachment
// name carry scripts, and an HTML-only mail full of onerror handlers and
// script tags, are shown as text wherever they appear (meeting page,
// search hits, the coordinator's unfiled list, the message itself): no
// dialog opens, no script element, embedded object, event handler or
// javascript: link reaches the page, and nothing is logged (a script
// blocked by the Content-Security-Policy would be). The attachment, an
// HTML page with a script, is downloaded, not opened.
func TestBrowserHostileMessage(t *testing.T) {
	site := newBrowserSite(t)
	eva := site.addMember("Eva Svobodová", "eva@kraj.cz", site.Group, store.RoleCoordinator)
	held := site.addMeeting(site.Group, "Únorové jednání", siteStart.Add(-2*24*time.Hour))
	const subject = `Zápis <script>alert("subject")</script><img src=x onerror=alert("subj-img")>`
	filed := site.addMessage(&store.ArchiveMessage{Subject: subject, MeetingID: held.ID,
		BodyText: "Zápis z jednání o financování.\n<script>alert('body')</script>\n<img src=x onerror=\"alert('body-img')\">\n" +
			`<a href="javascript:alert('href')">klikni</a>`},
		testFile(`<img src=x onerror=alert("file")>.pdf`, "text/html", `<script>alert("content")</script>`))
	htmlOnly := `<html><body onload="alert('onload')"><p>Zápis o financování</p><img src="cid:x" onerror="alert('html')">` +
		`<script>alert('html-script')</script><svg onload="alert('svg')"></svg></body></html>`
	unfiled := site.addMessage(&store.ArchiveMessage{Subject: `<svg onload=alert("unfiled")> financování`, GroupID: site.Group.ID,
		BodyText: htmlOnly,
		Raw: []byte("From: Útočník <x@evil.example>\r\nTo: zapisy@kraj.cz\r\nSubject: =?UTF-8?Q?=3Csvg_onload=3Dalert=28=22unfiled=22=29=3E?=\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nMessage-ID: <hostile@evil.example>\r\n\r\n" + htmlOnly)})
	tab := site.tab(t, eva)

	for _, p := range []struct{ name, path, shows string }{
		{"meeting page", "/meetings/" + id(held.ID), `<script>alert("subject")</script>`},
		{"archive list", "/archive", `<svg onload=alert("unfiled")>`},
		{"search hits", "/archive?q=financovani", `<img src=x onerror=alert("subj-img")>`},
		{"filed message", "/archive/" + id(filed.ID), `<img src=x onerror=alert("file")>.pdf`},
		{"HTML-only message", "/archive/" + id(unfiled.ID), `<script>alert('html-script')</script>`},
	} {
		t.Run(p.name, func(t *testing.T) {
			site.open(t, tab, p.path, http.StatusOK)
			browserShows(t, tab, p.shows)
			active, err := browser.Run(tab, chromedp.Evaluate[int](`document.scripts.length +
				document.querySelectorAll("main img, main svg, main iframe, main object, main embed").length +
				[...document.querySelectorAll("*")].filter(e => [...e.attributes].some(a => a.name.startsWith("on"))).length +
				document.querySelectorAll('a[href^="javascript:"]').length`))
			if err != nil || active != 0 {
				t.Errorf("%d scripts, embedded objects, handlers or javascript: links on the page, %v", active, err)
			}
			tab.AssertQuiet(t)
		})
	}

	// The attachment, an HTML page with a script, is saved, not shown.
	t.Run("attachment", func(t *testing.T) {
		site.open(t, tab, "/archive/"+id(filed.ID), http.StatusOK)
		d, err := tab.Download(t.TempDir(), chromedp.Click(chromedp.CSS(`ul.files a`)))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(d.Path); err != nil || string(got) != `<script>alert("content")</script>` {
			t.Errorf("downloaded %q, %v", got, err)
		}
		if u := browserURL(t, tab); u != site.URL+"/archive/"+id(filed.ID) {
			t.Errorf("the browser left the message for %s", u)
		}
		tab.AssertQuiet(t)
	})
}
