package web

// The test harness of package web: a running site over a real store file
// and a real core, members with sessions, meetings and archive messages.
// The handler tests here, the browser tests (browser_test.go) and the
// benchmark (bench_test.go) build on it.
//
//	site := newTestSite(t)                       // group site.Group ("prace", Czech), clock at siteStart
//	jana := site.addMember("Jana Nováková", "jana@obec.cz", site.Group, store.RoleMember)
//	c := site.signIn(jana)                       // a client with a session cookie
//	m := site.addMeeting(site.Group, "Jednání", siteStart.Add(7*24*time.Hour))
//	res := c.get("/meetings/" + id(m.ID))        // res.Status, res.Body, res.Header
//	res = c.post("/meetings/"+id(m.ID)+"/answer", url.Values{"answer": {"yes"}})
//	msg := site.addMessage(&store.ArchiveMessage{Subject: "Zápis", BodyText: "…", MeetingID: m.ID},
//		testFile("zápis.pdf", "application/pdf", "%PDF-1.4"))
//
// Clients do not follow redirects: a form's 303 is res.Status, its target
// res.Location; c.follow(res) gets it.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"coordbot/i18n"
	"coordbot/internal/testutil"
	"coordbot/links"
	"coordbot/meeting"
	"coordbot/store"
)

// siteStart is the harness clock's first instant: Monday 1 March 2027,
// 9:00 in Prague.
var siteStart = time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)

// testSite is a running site: the store (a file in t.TempDir()), the core
// and the signer it uses, the clock all three read, and the server.
type testSite struct {
	T     testing.TB
	Store *store.Store
	Core  *meeting.Service
	Links *links.Signer
	Clock *testutil.Clock
	// URL is the server's address (also the site's public URL).
	URL    string
	Server *httptest.Server
	// Group is a Czech group in Europe/Prague, slug "prace".
	Group *store.Group
	// Logs collects what the site logged (text handler).
	Logs *testutil.SyncBuffer
	// DB is a read-only connection to the store's file, for looking at
	// rows the store has no reader for (the sign-in links).
	DB *sql.DB

	seq atomic.Int64
}

// newTestSite starts a site with the default configuration.
func newTestSite(t testing.TB) *testSite { return newTestSiteWith(t, nil) }

// newTestSiteWith starts a site; configure, when not nil, may change the
// Config before the handler is built.
func newTestSiteWith(t testing.TB, configure func(*Config)) *testSite {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coordbot.db")
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &testSite{T: t, Store: st, Clock: testutil.NewClock(siteStart), Logs: &testutil.SyncBuffer{}}
	st.Now = s.Clock.Now
	s.Core = meeting.New(st)
	s.Core.Now = s.Clock.Now
	if s.DB, err = sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)&_pragma=busy_timeout(5000)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.DB.Close() })

	var handler atomic.Value // the handler needs the server's URL first
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(s.Server.Close)
	s.URL = s.Server.URL
	key, err := st.WebKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Links = links.New(key, s.URL)
	cfg := Config{Core: s.Core, Links: s.Links, PublicURL: s.URL, Now: s.Clock.Now,
		Logger: slog.New(slog.NewTextHandler(s.Logs, nil))}
	if configure != nil {
		configure(&cfg)
	}
	h, err := Handler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	handler.Store(h)
	s.Group = s.addGroup("prace", "Pracovní skupina protidrogové politiky", i18n.Czech)
	return s
}

// addGroup adds a group in Europe/Prague with the locale lang.
func (s *testSite) addGroup(slug, name string, lang i18n.Lang) *store.Group {
	s.T.Helper()
	g := &store.Group{Slug: slug, Name: name, TimeZone: "Europe/Prague", Locale: lang,
		Reminders: []time.Duration{24 * time.Hour}, AgendaCall: 14 * 24 * time.Hour, AgendaDeadline: 3 * 24 * time.Hour}
	if err := s.Store.UpsertGroup(context.Background(), g); err != nil {
		s.T.Fatal(err)
	}
	return g
}

// addMember adds a member with an e-mail address (none when email is "")
// to group g with role (store.RoleMember or RoleCoordinator); g nil adds
// them to no group. The organisation is "Obec <name's last word>".
func (s *testSite) addMember(name, email string, g *store.Group, role string) *store.Member {
	s.T.Helper()
	ctx := context.Background()
	words := strings.Fields(name)
	m := &store.Member{DisplayName: name, Organisation: "Obec " + words[len(words)-1]}
	if email != "" {
		m.Emails = []string{email}
	}
	if err := s.Store.CreateMember(ctx, m); err != nil {
		s.T.Fatal(err)
	}
	if g != nil {
		if err := s.Store.SetMembership(ctx, g.ID, m.ID, role); err != nil {
			s.T.Fatal(err)
		}
	}
	return m
}

// addMeeting plans a meeting of g through the core (as the operator),
// two hours from start, at "Krajský úřad, zasedací místnost 2". A start
// before the clock records one that took place (held).
func (s *testSite) addMeeting(g *store.Group, title string, start time.Time) *store.Meeting {
	s.T.Helper()
	d := meeting.Draft{Title: title, Start: start, Place: "Krajský úřad, zasedací místnost 2"}
	d.Past = start.Before(s.Clock.Now())
	res, err := s.Core.Create(context.Background(), meeting.Operator(), g.ID, d)
	if err != nil {
		s.T.Fatal(err)
	}
	return res.Meeting
}

// testFile is an attachment for addMessage.
func testFile(name, mediaType, content string) *store.Attachment {
	return &store.Attachment{Filename: name, MediaType: mediaType, Content: []byte(content), Text: content}
}

// addMessage stores m in the archive with files as its attachments (see
// addMessages for the defaults it fills in) and returns it with its id.
func (s *testSite) addMessage(m *store.ArchiveMessage, files ...*store.Attachment) *store.ArchiveMessage {
	s.T.Helper()
	m.Attachments = append(m.Attachments, files...)
	s.addMessages([]*store.ArchiveMessage{m})
	return m
}

// addMessages stores messages in one transaction (fast enough for a
// benchmark's 10,000). Missing fields are filled in: Message-ID, content
// hash, sender jana@obec.cz, Sent an hour after the clock, Raw (a header
// with From, To, Subject, Date and Message-ID, then the body), state
// archived (quarantined needs State and Reason set), source "test". A
// message with MeetingID gets that meeting's group, as filing does.
func (s *testSite) addMessages(ms []*store.ArchiveMessage) {
	s.T.Helper()
	ctx := context.Background()
	groupOf := map[int64]int64{}
	for _, m := range ms {
		n := s.seq.Add(1)
		if m.MessageID == "" {
			m.MessageID = fmt.Sprintf("test-%d@obec.cz", n)
		}
		if m.FromAddr == "" {
			m.FromAddr, m.FromName = "jana@obec.cz", "Jana Nováková"
		}
		if m.Sent.IsZero() {
			m.Sent = s.Clock.Now().Add(time.Hour)
		}
		if m.MeetingID != 0 && m.GroupID == 0 {
			if _, ok := groupOf[m.MeetingID]; !ok {
				mt, err := s.Store.Meeting(ctx, m.MeetingID)
				if err != nil {
					s.T.Fatal(err)
				}
				groupOf[m.MeetingID] = mt.GroupID
			}
			m.GroupID = groupOf[m.MeetingID]
		}
		if m.Raw == nil {
			m.Raw = []byte("From: " + m.FromName + " <" + m.FromAddr + ">\r\nTo: zapisy@kraj.cz\r\nSubject: " +
				m.Subject + "\r\nDate: " + m.Sent.Format(time.RFC1123Z) + "\r\nMessage-ID: <" + m.MessageID +
				">\r\n\r\n" + m.BodyText)
		}
		if m.ContentHash == "" {
			sum := sha256.Sum256(append([]byte(strconv.FormatInt(n, 10)), m.Raw...))
			m.ContentHash = hex.EncodeToString(sum[:])
		}
		if m.Source == "" {
			m.Source = "test"
		}
	}
	if _, err := s.Store.AddArchiveMessages(ctx, ms); err != nil {
		s.T.Fatal(err)
	}
}

// lastLoginLink is the id of the newest sign-in link of a member, 0 when
// none was made.
func (s *testSite) lastLoginLink(m *store.Member) int64 {
	s.T.Helper()
	var id sql.NullInt64
	if err := s.DB.QueryRow(`SELECT max(id) FROM login_links WHERE member_id = ?`, m.ID).Scan(&id); err != nil {
		s.T.Fatal(err)
	}
	return id.Int64
}

// client is a visitor's browser without JavaScript: a cookie jar, no
// redirects followed.
type client struct {
	site *testSite
	http *http.Client
	// Header is sent with every request (e.g. Accept-Language).
	Header http.Header
}

// response is what a request got.
type response struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

// newClient is a client without a session.
func (s *testSite) newClient() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.T.Fatal(err)
	}
	return &client{site: s, Header: http.Header{}, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn opens a session for m straight in the store (no mail) and
// returns a client that holds its cookie.
func (s *testSite) signIn(m *store.Member) *client {
	s.T.Helper()
	var cookie string
	err := s.Store.Write(context.Background(), func(tx *store.Tx) error {
		var err error
		now := s.Clock.Now()
		cookie, err = tx.CreateSession(m.ID, now, now.Add(meeting.SessionTTL))
		return err
	})
	if err != nil {
		s.T.Fatal(err)
	}
	c := s.newClient()
	u, _ := url.Parse(s.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: cookie, Path: "/"}})
	return c
}

// get requests path (with its query) from the site.
func (c *client) get(path string) *response {
	c.site.T.Helper()
	return c.do(http.MethodGet, path, nil)
}

// post sends a form to path as a browser on the same site would.
func (c *client) post(path string, form url.Values) *response {
	c.site.T.Helper()
	return c.do(http.MethodPost, path, form)
}

// do sends a request; a form is url-encoded.
func (c *client) do(method, path string, form url.Values) *response {
	c.site.T.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.site.URL+path, body)
	if err != nil {
		c.site.T.Fatal(err)
	}
	for k, vs := range c.Header {
		req.Header[k] = vs
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.site.T.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.site.T.Fatal(err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: string(b), Location: res.Header.Get("Location")}
}

// follow gets the page a redirect points to.
func (c *client) follow(r *response) *response {
	c.site.T.Helper()
	if r.Location == "" {
		c.site.T.Fatalf("no redirect to follow (status %d)", r.Status)
	}
	return c.get(r.Location)
}

// id writes an id for a path.
func id(n int64) string { return strconv.FormatInt(n, 10) }
