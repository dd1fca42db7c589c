package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"coordbot/i18n"
	"coordbot/store"
)

// archiveSite is a site with a member (Jana), a coordinator (Eva), a
// meeting of the group that took place, filed minutes with an attachment,
// an unfiled message, a quarantined one, and another group's minutes; all
// of them mention "věznicích".
type archiveSite struct {
	*testSite
	jana, eva                            *store.Member
	held                                 *store.Meeting
	filed, unfiled, quarantined, foreign *store.ArchiveMessage
}

func newArchiveSite(t *testing.T) *archiveSite {
	site := &archiveSite{testSite: newTestSite(t)}
	site.jana = site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	site.eva = site.addMember("Eva Horáková", "eva@kraj.cz", site.Group, store.RoleCoordinator)
	site.held = site.addMeeting(site.Group, "Jednání v únoru", siteStart.Add(-7*day))
	other := site.addGroup("jina", "Jiná skupina", i18n.Czech)
	otherMeeting := site.addMeeting(other, "Cizí jednání", siteStart.Add(-7*day))
	site.filed = site.addMessage(&store.ArchiveMessage{Subject: "Zápis z jednání 22. 2.", MeetingID: site.held.ID,
		BodyText: "Projednána situace ve věznicích a terénní programy."},
		testFile("Zápis č. 1.pdf", "application/pdf", "%PDF-1.4 zápis o věznicích"))
	site.unfiled = site.addMessage(&store.ArchiveMessage{Subject: "Nezařazený zápis", GroupID: site.Group.ID,
		BodyText: "Také o věznicích, ale nezařazeno."})
	site.quarantined = site.addMessage(&store.ArchiveMessage{Subject: "Neznámý odesílatel", FromAddr: "cizi@example.com",
		BodyText: "O věznicích od neznámého.", State: store.ArchiveQuarantined, Reason: "unknown sender"})
	site.foreign = site.addMessage(&store.ArchiveMessage{Subject: "Cizí zápis", MeetingID: otherMeeting.ID,
		BodyText: "Jiná skupina o věznicích."})
	return site
}

func TestArchiveSearchFindsFiledMinutesWithoutDiacritics(t *testing.T) {
	site := newArchiveSite(t)
	member := site.signIn(site.jana)
	r := member.get("/archive?q=veznicich")
	wantStatus(t, "search", r, 200)
	wantBody(t, "search", r, `<a href="/archive/`+id(site.filed.ID)+`">Zápis z jednání 22. 2.</a>`, "<mark>věznicích</mark>",
		"Zápis č. 1.pdf", `<input type="search" id="q" name="q" value="veznicich">`)
	for _, m := range []*store.ArchiveMessage{site.unfiled, site.quarantined, site.foreign} {
		if strings.Contains(r.Body, `href="/archive/`+id(m.ID)+`"`) {
			t.Errorf("a member finds %q", m.Subject)
		}
	}
	// A member cannot open what they cannot find.
	for _, m := range []*store.ArchiveMessage{site.unfiled, site.quarantined, site.foreign} {
		wantStatus(t, "member opening "+m.Subject, member.get("/archive/"+id(m.ID)), 404)
	}

	coord := site.signIn(site.eva)
	r = coord.get("/archive?q=VĚZNICÍCH")
	wantBody(t, "coordinator's search", r, `href="/archive/`+id(site.filed.ID)+`"`, `href="/archive/`+id(site.unfiled.ID)+`"`, "nezařazeno")
	if strings.Contains(r.Body, `href="/archive/`+id(site.foreign.ID)+`"`) {
		t.Error("a coordinator finds another group's minutes")
	}
	r = coord.get("/archive")
	wantBody(t, "coordinator's archive", r, "Nezařazená pošta", "Pošta v karanténě", "Neznámý odesílatel", "unknown sender")
	wantStatus(t, "coordinator opening quarantined", coord.get("/archive/"+id(site.quarantined.ID)), 200)
	wantStatus(t, "coordinator opening another group's", coord.get("/archive/"+id(site.foreign.ID)), 404)

	// Filters as coordbot search reads them, and their mistakes.
	wantBody(t, "filter", member.get("/archive?q="+url.QueryEscape("věznicích má:příloha")), `href="/archive/`+id(site.filed.ID)+`"`)
	wantBody(t, "bad filter", member.get("/archive?q="+url.QueryEscape("po:32.13.2027")), "Hledání nerozumím")
	wantBody(t, "no words", member.get("/archive?q=%21%21"), "Zadejte slova")
	wantBody(t, "nothing found", member.get("/archive?q=krokodyl"), "Nic nenalezeno.")
}

func TestArchivePages(t *testing.T) {
	site := newTestSite(t)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	m := site.addMeeting(site.Group, "Jednání", siteStart.Add(-day))
	var ms []*store.ArchiveMessage
	for i := range 45 {
		ms = append(ms, &store.ArchiveMessage{Subject: fmt.Sprintf("Zápis číslo %02d", i), MeetingID: m.ID,
			BodyText: "Financování terénních programů.", Sent: siteStart.Add(-time.Duration(i) * time.Hour)})
	}
	site.addMessages(ms)
	c := site.signIn(jana)
	hit := regexp.MustCompile(`<a href="/archive/\d+">Zápis číslo (\d\d)</a>`)
	seen := map[string]bool{}
	for pageNo, want := range []int{20, 20, 5} {
		path := "/archive?q=financovani"
		if pageNo > 0 {
			path += "&page=" + id(int64(pageNo+1))
		}
		r := c.get(path)
		hits := hit.FindAllStringSubmatch(r.Body, -1)
		if len(hits) != want {
			t.Fatalf("page %d: %d hits, want %d", pageNo+1, len(hits), want)
		}
		for _, h := range hits {
			if seen[h[1]] {
				t.Errorf("page %d repeats %s", pageNo+1, h[1])
			}
			seen[h[1]] = true
		}
		hasNext, hasPrev := strings.Contains(r.Body, `rel="next"`), strings.Contains(r.Body, `rel="prev"`)
		if hasNext != (pageNo < 2) || hasPrev != (pageNo > 0) {
			t.Errorf("page %d: next %v, prev %v", pageNo+1, hasNext, hasPrev)
		}
	}
	// Without words: the newest first.
	r := c.get("/archive")
	if first := hit.FindStringSubmatch(r.Body); first == nil || first[1] != "00" {
		t.Errorf("the archive without a query does not start with the newest: %v", first)
	}
}

func TestMessagePageAndAttachmentDownload(t *testing.T) {
	site := newArchiveSite(t)
	c := site.signIn(site.jana)
	r := c.get("/archive/" + id(site.filed.ID))
	wantStatus(t, "message", r, 200)
	wantBody(t, "message", r, "<h1>Zápis z jednání 22. 2.</h1>", "Jana Nováková &lt;jana@obec.cz&gt;", "zapisy@kraj.cz",
		"Projednána situace ve věznicích", `href="/meetings/`+id(site.held.ID)+`"`, "Zápis č. 1.pdf")
	att := site.filed.Attachments[0]
	file := c.get("/archive/" + id(site.filed.ID) + "/attachments/" + id(att.ID))
	wantStatus(t, "attachment", file, 200)
	if file.Body != "%PDF-1.4 zápis o věznicích" {
		t.Errorf("attachment body %q", file.Body)
	}
	for name, want := range map[string]string{
		"Content-Type":           "application/pdf",
		"Content-Disposition":    `attachment; filename="Z_pis _. 1.pdf"; filename*=UTF-8''Z%C3%A1pis%20%C4%8D.%201.pdf`,
		"X-Content-Type-Options": "nosniff",
	} {
		if got := file.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// The attachment must belong to the message in the path.
	wantStatus(t, "attachment under another message", c.get("/archive/"+id(site.unfiled.ID)+"/attachments/"+id(att.ID)), 404)
	coord := site.signIn(site.eva)
	wantStatus(t, "attachment of another message", coord.get("/archive/"+id(site.unfiled.ID)+"/attachments/"+id(att.ID)), 404)
	wantStatus(t, "foreign attachment", c.get("/archive/"+id(site.foreign.ID)+"/attachments/1"), 404)
}

func TestCoordinatorFilesUnfiledMinutes(t *testing.T) {
	site := newArchiveSite(t)
	coord := site.signIn(site.eva)
	path := "/archive/" + id(site.unfiled.ID)
	page := coord.get(path)
	wantBody(t, "unfiled message", page, "Zařadit ke schůzce", `<option value="`+id(site.held.ID)+`">`)
	member := site.signIn(site.jana)
	wantStatus(t, "member filing", member.post(path+"/file", url.Values{"meeting": {id(site.held.ID)}}), 404)
	r := coord.post(path+"/file", url.Values{"meeting": {id(site.held.ID)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("file: %d\n%s", r.Status, r.Body)
	}
	wantBody(t, "after filing", coord.follow(r), "Zápis je zařazen ke schůzce.", `href="/meetings/`+id(site.held.ID)+`"`)
	// Now it is minutes the member reads, on the meeting page too.
	wantStatus(t, "member reading filed", member.get(path), 200)
	wantBody(t, "meeting page", member.get("/meetings/"+id(site.held.ID)), "Nezařazený zápis", "Zápis z jednání 22. 2.")
}

// TestHostileMailIsShownAsText stores a message with script in its
// subject, body and attachment name and an HTML part with onerror: every
// page shows them as text.
func TestHostileMailIsShownAsText(t *testing.T) {
	site := newTestSite(t)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleCoordinator)
	m := site.addMeeting(site.Group, "Jednání", siteStart.Add(-day))
	evil := `<script>alert("x")</script>`
	msg := site.addMessage(&store.ArchiveMessage{Subject: "Zápis " + evil, MeetingID: m.ID, FromName: `Zlý <img src=x onerror=alert(1)>`,
		FromAddr: "zly@example.com", BodyText: "věznice " + evil + ` <img src=x onerror="alert(2)">`,
		Raw: []byte("From: =?utf-8?q?<script>alert(3)</script>?= <zly@example.com>\r\nSubject: Zápis " + evil +
			"\r\nContent-Type: text/html\r\n\r\n<img src=x onerror=alert(4)>")},
		testFile(evil+".html", "text/html", "<script>alert(5)</script>"))
	c := site.signIn(jana)
	for _, path := range []string{"/archive?q=veznice", "/archive/" + id(msg.ID), "/meetings/" + id(m.ID), "/archive"} {
		r := c.get(path)
		wantStatus(t, path, r, 200)
		if strings.Contains(r.Body, "<script") || strings.Contains(r.Body, "<img") {
			t.Errorf("%s shows markup from the mail:\n%s", path, r.Body)
		}
		wantBody(t, path, r, "&lt;script&gt;")
	}
	file := c.get("/archive/" + id(msg.ID) + "/attachments/" + id(msg.Attachments[0].ID))
	if cd := file.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || strings.ContainsAny(cd, "<>") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if csp := file.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
		t.Errorf("an HTML attachment is served without a sandbox: %q", csp)
	}
}

func TestContentDisposition(t *testing.T) {
	for name, want := range map[string]string{
		"zapis.pdf":         `attachment; filename="zapis.pdf"; filename*=UTF-8''zapis.pdf`,
		"Zápis.docx":        `attachment; filename="Z_pis.docx"; filename*=UTF-8''Z%C3%A1pis.docx`,
		`a"b;c\d.txt`:       `attachment; filename="a_b_c_d.txt"; filename*=UTF-8''a%22b%3Bc%5Cd.txt`,
		"":                  `attachment; filename="priloha"; filename*=UTF-8''priloha`,
		"line\r\nbreak.txt": `attachment; filename="line__break.txt"; filename*=UTF-8''line%0D%0Abreak.txt`,
	} {
		if got := contentDisposition(name); got != want {
			t.Errorf("%q: %s, want %s", name, got, want)
		}
	}
}

func TestReportPageAndDownloads(t *testing.T) {
	site := newArchiveSite(t)
	coord := site.signIn(site.eva)
	page := coord.get("/groups/prace/report/2027")
	wantStatus(t, "report", page, 200)
	wantBody(t, "report", page, "Pracovní skupina protidrogové politiky – roční zpráva 2027", "Jednání v únoru",
		`href="/groups/prace/report/2027.md"`, `href="/groups/prace/report/2027.csv"`, "V roce 2027")
	md := coord.get("/groups/prace/report/2027.md")
	wantStatus(t, "markdown", md, 200)
	if !strings.HasPrefix(md.Header.Get("Content-Type"), "text/markdown") || !strings.Contains(md.Header.Get("Content-Disposition"), "report-prace-2027.md") ||
		!strings.HasPrefix(md.Body, "# Pracovní skupina protidrogové politiky – 2027") {
		t.Errorf("markdown: %s, %s\n%s", md.Header.Get("Content-Type"), md.Header.Get("Content-Disposition"), md.Body)
	}
	csv := coord.get("/groups/prace/report/2027.csv")
	if !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") || !strings.Contains(csv.Body, "Jednání v únoru") {
		t.Errorf("csv: %s\n%s", csv.Header.Get("Content-Type"), csv.Body)
	}
	member := site.signIn(site.jana)
	r := member.get("/groups/prace/report/2027")
	wantStatus(t, "member's report", r, http.StatusForbidden)
	wantBody(t, "member's report", r, "jen koordinátor")
	wantStatus(t, "bad year", coord.get("/groups/prace/report/20x7"), 404)
	wantStatus(t, "bad format", coord.get("/groups/prace/report/2027.exe"), 404)
}
