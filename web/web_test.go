package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"coordbot/i18n"
	"coordbot/internal/testutil"
	"coordbot/store"
)

const day = 24 * time.Hour

// wantStatus fails the test when a response has another status.
func wantStatus(t *testing.T, what string, r *response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d; body:\n%s", what, r.Status, status, r.Body)
	}
}

// wantBody fails the test when the body lacks one of the strings.
func wantBody(t *testing.T, what string, r *response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.Body, s) {
			t.Errorf("%s: body lacks %q; body:\n%s", what, s, r.Body)
		}
	}
}

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	site := newTestSite(t)
	c := site.newClient()
	for _, path := range []string{"/login", "/static/style.css", "/no-such-page", "/", "/a/garbage"} {
		r := c.get(path)
		for name, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "same-origin",
			"X-Content-Type-Options":  "nosniff",
		} {
			if got := r.Header.Get(name); got != want {
				t.Errorf("GET %s: %s = %q, want %q", path, name, got, want)
			}
		}
	}
	if r := c.get("/static/style.css"); r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if r := c.get("/no-such-page"); r.Status != 404 || !strings.Contains(r.Body, "Stránka nenalezena") {
		t.Errorf("unknown page: %d\n%s", r.Status, r.Body)
	}
}

func TestStrangerIsSentToTheLoginPage(t *testing.T) {
	site := newTestSite(t)
	m := site.addMeeting(site.Group, "Jednání", siteStart.Add(7*day))
	c := site.newClient()
	for _, path := range []string{"/", "/meetings/" + id(m.ID), "/archive?q=zapis", "/groups/prace/report/2027"} {
		r := c.get(path)
		if r.Status != http.StatusSeeOther || r.Location != "/login" {
			t.Errorf("GET %s: %d to %q, want 303 to /login", path, r.Status, r.Location)
		}
	}
	r := c.post("/meetings/"+id(m.ID)+"/answer", url.Values{"answer": {"yes"}})
	if r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Errorf("POST answer: %d to %q, want 303 to /login", r.Status, r.Location)
	}
	// A cookie the store does not know is no session either.
	u, _ := url.Parse(site.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: "forged", Path: "/"}})
	if r := c.get("/"); r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Errorf("forged cookie: %d to %q", r.Status, r.Location)
	}
}

// TestSignInEndToEnd asks for a link, opens it (which uses nothing),
// signs in with its button, sees the home page, cannot use the link
// again, and signs out.
func TestSignInEndToEnd(t *testing.T) {
	site := newTestSite(t)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	site.addMeeting(site.Group, "Jednání pracovní skupiny", time.Date(2027, 3, 23, 9, 0, 0, 0, time.UTC))
	c := site.newClient()
	form := c.get("/login")
	wantStatus(t, "login form", form, 200)
	wantBody(t, "login form", form, `<input type="email" id="email" name="email"`, `<label for="email">`)

	known := c.post("/login", url.Values{"email": {"Jana@Obec.cz"}})
	wantStatus(t, "known address", known, 200)
	unknown := c.post("/login", url.Values{"email": {"nikdo@nikde.cz"}})
	wantStatus(t, "unknown address", unknown, 200)
	notice := regexp.MustCompile(`<p class="notice" role="status">[^<]*</p>`)
	if a, b := notice.FindString(known.Body), notice.FindString(unknown.Body); a == "" || a != b {
		t.Errorf("the pages differ for a member's and an unknown address: %q vs %q", a, b)
	}
	linkID := site.lastLoginLink(jana)
	if linkID == 0 {
		t.Fatal("no sign-in link was made for the member's address")
	}
	token := site.Links.SignInToken(linkID)

	page := c.get("/login/" + token)
	wantStatus(t, "link page", page, 200)
	wantBody(t, "link page", page, `<form method="post" action="/login/`+token+`">`, `<button type="submit">Přihlásit se</button>`)
	if l, err := site.Store.LoginLink(context.Background(), linkID); err != nil || !l.Used.IsZero() {
		t.Fatalf("opening the link used it up: %+v, %v", l, err)
	}

	signed := c.post("/login/"+token, url.Values{})
	if signed.Status != http.StatusSeeOther || signed.Location != "/" {
		t.Fatalf("sign in: %d to %q\n%s", signed.Status, signed.Location, signed.Body)
	}
	cookie := signed.Header.Get("Set-Cookie")
	for _, attr := range []string{sessionCookie + "=", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age="} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("cookie %q is Secure on an http site", cookie)
	}
	home := c.follow(signed)
	wantStatus(t, "home", home, 200)
	wantBody(t, "home", home, "Jana Nováková", "Pracovní skupina protidrogové politiky", "Jednání pracovní skupiny",
		"út 23. 3. 2027 10:00", "zatím jste neodpověděli")

	again := site.newClient().post("/login/"+token, url.Values{})
	wantStatus(t, "second use", again, http.StatusGone)
	wantBody(t, "second use", again, "už byl použit")
	if r := site.newClient().get("/login/" + token); r.Status != http.StatusGone {
		t.Errorf("opening a used link: %d, want 410", r.Status)
	}

	out := c.post("/logout", url.Values{})
	if out.Status != http.StatusSeeOther || out.Location != "/login" {
		t.Fatalf("logout: %d to %q", out.Status, out.Location)
	}
	if r := c.get("/"); r.Status != http.StatusSeeOther {
		t.Errorf("after logout: %d, want a redirect to the login page", r.Status)
	}
	var sessions int
	if err := site.DB.QueryRow(`SELECT count(*) FROM web_sessions WHERE member_id = ?`, jana.ID).Scan(&sessions); err != nil {
		t.Fatal(err)
	}
	if sessions != 0 {
		t.Errorf("%d sessions left after logout", sessions)
	}
}

func TestSignInLinkExpiredAlteredAndSecureCookie(t *testing.T) {
	site := newTestSite(t)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	c := site.newClient()
	c.post("/login", url.Values{"email": {"jana@obec.cz"}})
	token := site.Links.SignInToken(site.lastLoginLink(jana))
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := c.do(method, "/login/"+altered(token), url.Values{})
		wantStatus(t, method+" altered link", r, http.StatusBadRequest)
		wantBody(t, method+" altered link", r, "poškozený")
	}
	site.Clock.Set(siteStart.Add(16 * time.Minute))
	r := c.get("/login/" + token)
	wantStatus(t, "expired link page", r, http.StatusGone)
	wantBody(t, "expired link page", r, "vypršela")
	wantStatus(t, "expired link sign-in", c.post("/login/"+token, url.Values{}), http.StatusGone)

	// An https public URL makes the cookie Secure.
	secure := newTestSiteWith(t, func(cfg *Config) { cfg.PublicURL = "https://schuzky.example.cz" })
	petr := secure.addMember("Petr Svoboda", "petr@obec.cz", secure.Group, store.RoleMember)
	sc := secure.newClient()
	sc.post("/login", url.Values{"email": {"petr@obec.cz"}})
	signed := sc.post("/login/"+secure.Links.SignInToken(secure.lastLoginLink(petr)), url.Values{})
	if signed.Status != http.StatusSeeOther || !strings.Contains(signed.Header.Get("Set-Cookie"), "Secure") {
		t.Errorf("https site: %d, cookie %q; want a Secure cookie", signed.Status, signed.Header.Get("Set-Cookie"))
	}
}

func TestLoginRequestsAreLimitedPerClient(t *testing.T) {
	site := newTestSiteWith(t, func(cfg *Config) { cfg.LoginsPerHour = 3 })
	c := site.newClient()
	for i := range 3 {
		wantStatus(t, "request "+id(int64(i+1)), c.post("/login", url.Values{"email": {"nikdo@nikde.cz"}}), 200)
	}
	r := c.post("/login", url.Values{"email": {"nikdo@nikde.cz"}})
	wantStatus(t, "fourth request", r, http.StatusTooManyRequests)
	wantBody(t, "fourth request", r, "Příliš mnoho pokusů", "Zkuste to prosím později")
	site.Clock.Set(siteStart.Add(time.Hour))
	wantStatus(t, "an hour later", c.post("/login", url.Values{"email": {"nikdo@nikde.cz"}}), 200)

	// Behind a proxy, ClientIP tells the clients apart.
	proxied := newTestSiteWith(t, func(cfg *Config) {
		cfg.LoginsPerHour = 1
		cfg.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Real-IP") }
	})
	a, b := proxied.newClient(), proxied.newClient()
	a.Header.Set("X-Real-IP", "192.0.2.1")
	b.Header.Set("X-Real-IP", "192.0.2.2")
	wantStatus(t, "first client", a.post("/login", url.Values{"email": {"nikdo@nikde.cz"}}), 200)
	wantStatus(t, "second client", b.post("/login", url.Values{"email": {"nikdo@nikde.cz"}}), 200)
	wantStatus(t, "first client again", a.post("/login", url.Values{"email": {"nikdo@nikde.cz"}}), http.StatusTooManyRequests)
}

func TestLimiterSlidesAndForgets(t *testing.T) {
	now := siteStart
	l := newLimiter(2, time.Hour, func() time.Time { return now })
	for i, want := range []bool{true, true, false} {
		if got := l.allow("a"); got != want {
			t.Fatalf("event %d within the hour: allowed %v, want %v", i+1, got, want)
		}
	}
	if !l.allow("b") {
		t.Error("another key was refused")
	}
	now = now.Add(time.Hour)
	if !l.allow("a") {
		t.Error("an hour later the key is still refused")
	}
}

func TestLanguageOfPagesOutsideAGroup(t *testing.T) {
	for _, tt := range []struct {
		accept string
		want   i18n.Lang
	}{
		{"", i18n.Czech},
		{"en-US,en;q=0.9", i18n.English},
		{"cs-CZ,cs;q=0.9,en;q=0.8", i18n.Czech},
		{"de-DE,en;q=0.5", i18n.English},
		{"en;q=0.3,cs;q=0.7", i18n.Czech},
		{"fr", i18n.Czech},
	} {
		r := httptest.NewRequest("GET", "/login", nil)
		r.Header.Set("Accept-Language", tt.accept)
		if got := langOf(r); got != tt.want {
			t.Errorf("Accept-Language %q: %s, want %s", tt.accept, got, tt.want)
		}
	}
	site := newTestSite(t)
	c := site.newClient()
	c.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	wantBody(t, "English login", c.get("/login"), `<html lang="en">`, "Send the link")
	wantBody(t, "Czech login", site.newClient().get("/login"), `<html lang="cs">`, "Poslat odkaz")
}

func TestPanicBecomesA500Page(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.SyncBuffer{}
	s := &server{log: slog.New(slog.NewTextHandler(logs, nil)), pages: pages}
	h := s.recover(securityHeaders(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom in handler") })))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/meetings/1", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "Něco se pokazilo") || strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("panic: %d\n%s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "boom in handler") {
		t.Errorf("the panic was not logged: %q", logs.String())
	}
}

// altered changes a token's last character.
func altered(token string) string {
	if strings.HasSuffix(token, "A") {
		return token[:len(token)-1] + "B"
	}
	return token[:len(token)-1] + "A"
}

// TestSignInLeadsToThePageAsked: a stranger who opened a meeting's page
// lands there after signing in with the mailed link; a remembered page
// off the site is ignored.
func TestSignInLeadsToThePageAsked(t *testing.T) {
	site := newTestSite(t)
	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
	m := site.addMeeting(site.Group, "Jednání", siteStart.Add(7*day))
	c := site.newClient()
	if r := c.get("/meetings/" + id(m.ID) + "?x=1"); r.Location != "/login" {
		t.Fatalf("stranger: %d to %q", r.Status, r.Location)
	}
	c.post("/login", url.Values{"email": {"jana@obec.cz"}})
	r := c.post("/login/"+site.Links.SignInToken(site.lastLoginLink(jana)), url.Values{})
	if r.Status != http.StatusSeeOther || r.Location != "/meetings/"+id(m.ID)+"?x=1" {
		t.Fatalf("sign in: %d to %q, want the meeting's page", r.Status, r.Location)
	}
	for _, next := range []string{"//zlo.example.com/", "https://zlo.example.com/", "/\\zlo.example.com"} {
		req := httptest.NewRequest("POST", "/login/x", nil)
		req.AddCookie(&http.Cookie{Name: nextCookie, Value: url.QueryEscape(next)})
		if got := nextPage(req); got != "/" {
			t.Errorf("remembered %q: goes to %q, want /", next, got)
		}
	}
}
