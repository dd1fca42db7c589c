package web

// The harness of the browser tests (browser_test.go): the whole program in
// one process, driven by a real chromium. On top of the handler harness
// (env_test.go: store file, core, web handler on an httptest server, clock)
// it runs the e-mail channel as serve does: the scheduler delivers the
// outbox through the real mailer, with one-click links, to the test SMTP
// server (internal/smtptest), and the core wakes the scheduler after every
// use case. Pages are screenshotted at 375 and 1280 px into the folder
// COORDBOT_SCREENSHOTS names (docs/screenshots holds a committed set), or
// into the test's temporary directory.

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	gomail "github.com/emersion/go-message/mail"

	"coordbot/config"
	"coordbot/internal/browser"
	"coordbot/internal/smtptest"
	"coordbot/mailer"
	"coordbot/meeting"
	"coordbot/scheduler"
	"coordbot/store"
)

// browserScreenshotsEnv names the folder the browser tests write their
// screenshots to; unset, they go to a temporary directory. Regenerate the
// committed set with
//
//	COORDBOT_SCREENSHOTS=$PWD/docs/screenshots go test -run TestBrowser ./web/
const browserScreenshotsEnv = "COORDBOT_SCREENSHOTS"

// browserSite is a test site with the e-mail channel running and a
// browser to visit it with.
type browserSite struct {
	*testSite
	SMTP    *smtptest.Server
	Browser *browser.Browser
	// Shots is the folder screenshots go to.
	Shots string
}

// newBrowserSite starts the site, the mailer and scheduler, and chromium
// (skipping the test when chromium is missing, see internal/browser).
func newBrowserSite(t *testing.T) *browserSite {
	t.Helper()
	b := browser.Start(t)
	site := newTestSite(t)
	// Mail for the group, as [smtp] with email_enabled gives it.
	site.Group.EmailEnabled = true
	if err := site.Store.UpsertGroup(context.Background(), site.Group); err != nil {
		t.Fatal(err)
	}
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	logger := slog.New(slog.NewTextHandler(site.Logs, nil))
	snd := mailer.New(site.Store, config.SMTP{Addr: srv.Addr, TLS: "starttls", Username: srv.User,
		Password: config.Secret(srv.Password), FromAddress: "schuzky@kraj.example.cz"},
		"zapisy@kraj.example.cz", site.Core, site.Clock.Now, logger.With("component", "mailer"))
	snd.TLSConfig = srv.ClientTLS
	snd.Timeout = 10 * time.Second
	snd.Links = site.Links
	t.Cleanup(func() { snd.Close() })

	sched := scheduler.New(site.Store, map[string]scheduler.Sender{store.ChannelEmail: snd, store.ChannelDiscord: nil},
		site.Clock, logger.With("component", "scheduler"))
	site.Core.Changed = sched.Wake
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := sched.Run(ctx); err != nil {
			t.Errorf("scheduler: %v", err)
		}
	}()
	// Cleanups run last first: the scheduler stops before the mailer
	// closes and the store closes.
	t.Cleanup(func() { cancel(); <-done })

	shots := os.Getenv(browserScreenshotsEnv)
	if shots == "" {
		shots = t.TempDir()
	}
	return &browserSite{testSite: site, SMTP: srv, Browser: b, Shots: shots}
}

// tab opens a private window; signedIn, when not nil, is given a session
// cookie as if they had signed in (the sign-in itself is tested through
// the mail in TestBrowserSignIn).
func (s *browserSite) tab(t *testing.T, signedIn *store.Member) *browser.Tab {
	t.Helper()
	tab := s.Browser.NewTab(t)
	if signedIn == nil {
		return tab
	}
	var cookie string
	err := s.Store.Write(context.Background(), func(tx *store.Tx) error {
		var err error
		now := s.Clock.Now()
		cookie, err = tx.CreateSession(signedIn.ID, now, now.Add(meeting.SessionTTL))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = tab.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: cookie,
			URL: s.URL + "/", HTTPOnly: new(true), SameSite: network.CookieSameSiteLax})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// open loads path in tab and fails unless the page answers want.
func (s *browserSite) open(t *testing.T, tab *browser.Tab, path string, want int64) {
	t.Helper()
	browserLoad(t, tab, want, chromedp.Navigate(s.URL+path))
}

// browserLoad runs steps that lead to a page and fails unless it answers
// want.
func browserLoad(t *testing.T, tab *browser.Tab, want int64, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	status, err := tab.Load(steps...)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if status != want {
		t.Fatalf("page %s answered %d, want %d:\n%s", browserURL(t, tab), status, want, browserText(t, tab))
	}
}

// browserText is the text the page shows (innerText of the body).
func browserText(t *testing.T, tab *browser.Tab) string {
	t.Helper()
	text, err := browser.Run(tab, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// browserURL is the address the tab shows.
func browserURL(t *testing.T, tab *browser.Tab) string {
	t.Helper()
	u, err := browser.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// browserShows fails unless the page's text holds every one of want.
func browserShows(t *testing.T, tab *browser.Tab, want ...string) {
	t.Helper()
	text := browserText(t, tab)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("page %s does not show %q:\n%s", browserURL(t, tab), w, text)
		}
	}
}

// screenshot writes the page at both widths into the screenshot folder.
func (s *browserSite) screenshot(t *testing.T, tab *browser.Tab, name string) {
	t.Helper()
	if _, err := tab.Screenshots(s.Shots, name); err != nil {
		t.Fatal(err)
	}
}

// mailWith waits until the test SMTP server has received a message for
// address whose text part holds want, and returns the first such, parsed.
func (s *browserSite) mailWith(t *testing.T, address, want string) *browserMail {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for total := 1; ; total++ {
		msgs, err := s.SMTP.WaitFor(ctx, total)
		if err != nil {
			t.Fatalf("waiting for mail to %s with %q: %v\nlogs:\n%s", address, want, err, s.Logs.String())
		}
		for _, m := range msgs {
			if !slices.ContainsFunc(m.To, func(to string) bool { return strings.EqualFold(to, address) }) {
				continue
			}
			if p := parseBrowserMail(t, m.Data); strings.Contains(p.Text, want) {
				return p
			}
		}
		total = max(total, len(msgs))
	}
}

// browserMail is a received mail as a reader sees it.
type browserMail struct {
	Subject string
	// Text is the decoded text/plain part.
	Text string
}

// parseBrowserMail reads a message with go-message and keeps its subject
// and its text part.
func parseBrowserMail(t *testing.T, raw []byte) *browserMail {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	m := &browserMail{}
	if m.Subject, err = r.Header.Subject(); err != nil {
		t.Fatal(err)
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		h, ok := p.Header.(*gomail.InlineHeader)
		if !ok {
			continue
		}
		if mt, _, _ := h.ContentType(); mt == "text/plain" {
			b, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatal(err)
			}
			m.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
		}
	}
	if m.Text == "" {
		t.Fatalf("no text part in:\n%s", raw)
	}
	return m
}

// link returns the first address in the mail's text that starts with
// prefix.
func (m *browserMail) link(t *testing.T, prefix string) string {
	t.Helper()
	u := regexp.MustCompile(regexp.QuoteMeta(prefix) + `[A-Za-z0-9_=-]+`).FindString(m.Text)
	if u == "" {
		t.Fatalf("no link %s… in the mail %q:\n%s", prefix, m.Subject, m.Text)
	}
	return u
}

// labelledLink returns the address on the text part's line "label: URL".
func (m *browserMail) labelledLink(t *testing.T, label string) string {
	t.Helper()
	sub := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + `: (\S+)$`).FindStringSubmatch(m.Text)
	if sub == nil {
		t.Fatalf("no line %q: URL in the mail %q:\n%s", label, m.Subject, m.Text)
	}
	return sub[1]
}

// browserCookie returns the session cookie the tab holds for the site.
func (s *browserSite) browserCookie(t *testing.T, tab *browser.Tab) *network.Cookie {
	t.Helper()
	res, err := browser.Run(tab, func(ctx context.Context, tg *chromedp.Target) (*network.GetCookiesResult, error) {
		r, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.URL + "/"}})
		return &r, err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no session cookie in %+v", res.Cookies)
	return nil
}

// foreignPost sends a form to path as another site's page would make a
// browser send it (Origin and Sec-Fetch-Site of that site), with cookie
// (may be nil), and returns the status.
func (s *browserSite) foreignPost(t *testing.T, path string, form string, cookie *http.Cookie) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if cookie != nil {
		req.AddCookie(cookie)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
