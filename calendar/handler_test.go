package calendar

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"coordbot/store"
)

// clock is a handler clock the test moves between requests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// feedServer serves the fixture's feed through Handler on a real listener.
type feedServer struct {
	t     *testing.T
	f     *fixture
	clock *clock
	srv   *httptest.Server
}

const feedToken = "s3cret-token-0123456789abcdef"

func newFeedServer(t *testing.T) *feedServer {
	t.Helper()
	f := newFixture(t)
	c := &clock{now: f.now}
	mux := http.NewServeMux()
	mux.Handle("/calendar/", Handler(f.store, map[string]string{"kraj": feedToken}, nil, c.Now))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &feedServer{t: t, f: f, clock: c, srv: srv}
}

// do sends a request for the feed with the header fields given as name,
// value pairs. Setting Accept-Encoding (always, "identity" unless given)
// stops the client from decoding gzip itself, so the test sees the bytes
// on the wire.
func (fs *feedServer) do(method string, header ...string) (*http.Response, []byte) {
	fs.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, fs.srv.URL+"/calendar/kraj.ics?token="+feedToken, nil)
	if err != nil {
		fs.t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := fs.srv.Client().Do(req)
	if err != nil {
		fs.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		fs.t.Fatal(err)
	}
	return resp, body
}

func (fs *feedServer) get(header ...string) (*http.Response, []byte) {
	fs.t.Helper()
	resp, body := fs.do(http.MethodGet, header...)
	if resp.StatusCode != http.StatusOK {
		fs.t.Fatalf("status %d, want 200: %s", resp.StatusCode, body)
	}
	return resp, body
}

func wantStatus(t *testing.T, resp *http.Response, body []byte, code int) {
	t.Helper()
	if resp.StatusCode != code {
		t.Fatalf("status %d, want %d", resp.StatusCode, code)
	}
	if code == http.StatusNotModified && len(body) != 0 {
		t.Errorf("304 with %d body bytes", len(body))
	}
}

func TestHandlerUnchangedCalendarIsNotModified(t *testing.T) {
	fs := newFeedServer(t)
	first, body := fs.get()
	etag := first.Header.Get("ETag")
	lastMod := first.Header.Get("Last-Modified")

	t.Run("validators_and_cache_headers", func(t *testing.T) {
		if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
			t.Errorf("ETag %q is not a strong entity tag", etag)
		}
		// The newest change in the fixture: the agendas and the cancelled
		// meeting, written on the store's clock at agendaAt.
		if want := fs.f.agendaAt.Format(http.TimeFormat); lastMod != want {
			t.Errorf("Last-Modified %q, want %q", lastMod, want)
		}
		if cc := first.Header.Get("Cache-Control"); cc != "private, max-age=300" {
			t.Errorf("Cache-Control %q", cc)
		}
		if v := first.Header.Get("Vary"); v != "Accept-Encoding" {
			t.Errorf("Vary %q", v)
		}
		if ce := first.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("Content-Encoding %q for a client that takes identity only", ce)
		}
	})

	t.Run("second_get_byte_identical", func(t *testing.T) {
		// Hours later by the handler's clock: nothing depends on it.
		fs.clock.Set(fs.f.now.Add(5 * time.Hour))
		resp, again := fs.get()
		if !bytes.Equal(body, again) {
			t.Errorf("bodies differ:\n%s\n---\n%s", body, again)
		}
		if got := resp.Header.Get("ETag"); got != etag {
			t.Errorf("ETag %q, then %q", etag, got)
		}
		if got := resp.Header.Get("Last-Modified"); got != lastMod {
			t.Errorf("Last-Modified %q, then %q", lastMod, got)
		}
	})

	for _, tt := range []struct {
		name   string
		method string
		header []string
		want   int
	}{
		{"if_none_match_same_etag", http.MethodGet, []string{"If-None-Match", etag}, http.StatusNotModified},
		{"if_none_match_in_a_list", http.MethodGet, []string{"If-None-Match", `"old", ` + etag}, http.StatusNotModified},
		{"if_none_match_weak_form", http.MethodGet, []string{"If-None-Match", "W/" + etag}, http.StatusNotModified},
		{"if_none_match_star", http.MethodGet, []string{"If-None-Match", "*"}, http.StatusNotModified},
		{"if_none_match_head", http.MethodHead, []string{"If-None-Match", etag}, http.StatusNotModified},
		{"if_none_match_other_etag", http.MethodGet, []string{"If-None-Match", `"something-else"`}, http.StatusOK},
		{"if_modified_since_last_modified", http.MethodGet, []string{"If-Modified-Since", lastMod}, http.StatusNotModified},
		{"if_modified_since_before", http.MethodGet,
			[]string{"If-Modified-Since", fs.f.agendaAt.Add(-time.Second).Format(http.TimeFormat)}, http.StatusOK},
		// RFC 9110 13.2.2: If-Modified-Since is ignored when
		// If-None-Match is present.
		{"if_none_match_wins_over_if_modified_since", http.MethodGet,
			[]string{"If-None-Match", `"something-else"`, "If-Modified-Since", lastMod}, http.StatusOK},
		// The gzip variant is another representation with its own tag.
		{"identity_etag_does_not_match_gzip_variant", http.MethodGet,
			[]string{"Accept-Encoding", "gzip", "If-None-Match", etag}, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := fs.do(tt.method, tt.header...)
			wantStatus(t, resp, b, tt.want)
			if tt.want != http.StatusNotModified {
				return
			}
			if got := resp.Header.Get("ETag"); got != etag {
				t.Errorf("304 ETag %q, want %q", got, etag)
			}
			if got := resp.Header.Get("Cache-Control"); got != "private, max-age=300" {
				t.Errorf("304 Cache-Control %q", got)
			}
			if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("304 Vary %q", got)
			}
		})
	}

	t.Run("head_same_headers_no_body", func(t *testing.T) {
		resp, b := fs.do(http.MethodHead)
		wantStatus(t, resp, b, http.StatusOK)
		if len(b) != 0 {
			t.Errorf("HEAD returned %d body bytes", len(b))
		}
		if resp.ContentLength != int64(len(body)) {
			t.Errorf("HEAD Content-Length %d, GET body %d bytes", resp.ContentLength, len(body))
		}
		if got := resp.Header.Get("ETag"); got != etag {
			t.Errorf("HEAD ETag %q, GET %q", got, etag)
		}
	})
}

func TestHandlerEditedMeetingChangesETag(t *testing.T) {
	fs := newFeedServer(t)
	first, before := fs.get()
	etag, lastMod := first.Header.Get("ETag"), first.Header.Get("Last-Modified")

	edited := time.Date(2027, 2, 20, 16, 45, 0, 0, time.UTC)
	fs.f.store.Now = func() time.Time { return edited }
	m := fs.f.meetings[1]
	m.Place = "Zasedací místnost 2"
	if err := fs.f.store.UpdateMeeting(context.Background(), m); err != nil {
		t.Fatal(err)
	}

	resp, after := fs.get("If-None-Match", etag)
	if got := resp.Header.Get("ETag"); got == etag || got == "" {
		t.Errorf("ETag %q after the edit, %q before", got, etag)
	}
	if bytes.Equal(before, after) {
		t.Error("the body did not change")
	}
	if got, want := resp.Header.Get("Last-Modified"), edited.Format(http.TimeFormat); got != want || got == lastMod {
		t.Errorf("Last-Modified %q, want %q", got, want)
	}
	for _, want := range []string{"DTSTAMP:20270220T164500Z", "LAST-MODIFIED:20270220T164500Z", "Zasedací místnost 2"} {
		if !bytes.Contains(after, []byte(want)) {
			t.Errorf("the feed lacks %q after the edit", want)
		}
	}
	resp, b := fs.do(http.MethodGet, "If-Modified-Since", lastMod)
	wantStatus(t, resp, b, http.StatusOK)
}

func TestHandlerMeetingLeavingTheWindowIsAModification(t *testing.T) {
	fs := newFeedServer(t)
	_, before := fs.get()
	// A year and a day after the first meeting of the feed (23. 3. 2027
	// 09:00 UTC) it has slid out of the year-back window.
	fs.clock.Set(time.Date(2028, 3, 24, 8, 0, 0, 0, time.UTC))
	resp, after := fs.get("If-Modified-Since", fs.f.agendaAt.Format(http.TimeFormat))
	if bytes.Equal(before, after) || bytes.Contains(after, []byte(UID(fs.f.meetings[0].ID))) {
		t.Error("the feed still has the meeting that left the window")
	}
	if got, want := resp.Header.Get("Last-Modified"), "Thu, 23 Mar 2028 09:00:00 GMT"; got != want {
		t.Errorf("Last-Modified %q, want %q (when the meeting left)", got, want)
	}
}

func TestHandlerGzip(t *testing.T) {
	fs := newFeedServer(t)
	plain, body := fs.get()
	resp, wire := fs.get("Accept-Encoding", "gzip, deflate, br")
	gzTag := resp.Header.Get("ETag")

	t.Run("round_trip", func(t *testing.T) {
		if ce := resp.Header.Get("Content-Encoding"); ce != "gzip" {
			t.Fatalf("Content-Encoding %q", ce)
		}
		if v := resp.Header.Get("Vary"); v != "Accept-Encoding" {
			t.Errorf("Vary %q", v)
		}
		if resp.ContentLength != int64(len(wire)) || len(wire) >= len(body) {
			t.Errorf("Content-Length %d, %d bytes on the wire, %d decoded", resp.ContentLength, len(wire), len(body))
		}
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(decoded, body) {
			t.Errorf("gzip decodes to\n%s\nwant\n%s", decoded, body)
		}
	})

	t.Run("own_strong_etag", func(t *testing.T) {
		if gzTag == plain.Header.Get("ETag") || !strings.HasSuffix(gzTag, `-gz"`) || strings.HasPrefix(gzTag, "W/") {
			t.Errorf("gzip ETag %q, identity ETag %q", gzTag, plain.Header.Get("ETag"))
		}
		again, wire2 := fs.get("Accept-Encoding", "gzip")
		if !bytes.Equal(wire, wire2) || again.Header.Get("ETag") != gzTag {
			t.Error("the gzip variant is not byte-identical between requests")
		}
	})

	t.Run("not_modified", func(t *testing.T) {
		resp, b := fs.do(http.MethodGet, "Accept-Encoding", "gzip", "If-None-Match", gzTag)
		wantStatus(t, resp, b, http.StatusNotModified)
		if got := resp.Header.Get("ETag"); got != gzTag {
			t.Errorf("304 ETag %q, want %q", got, gzTag)
		}
		// A client that no longer takes gzip gets the identity body.
		resp, b = fs.do(http.MethodGet, "If-None-Match", gzTag)
		wantStatus(t, resp, b, http.StatusOK)
	})

	t.Run("head", func(t *testing.T) {
		resp, b := fs.do(http.MethodHead, "Accept-Encoding", "gzip")
		wantStatus(t, resp, b, http.StatusOK)
		if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") != gzTag {
			t.Errorf("HEAD: Content-Encoding %q, ETag %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("ETag"))
		}
		if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(wire)) {
			t.Errorf("HEAD Content-Length %q, want %d", got, len(wire))
		}
	})

	t.Run("go_client_decodes_transparently", func(t *testing.T) {
		// http.Get asks for gzip itself and hands back the decoded body.
		resp, err := http.Get(fs.srv.URL + "/calendar/kraj.ics?token=" + feedToken)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		if !resp.Uncompressed || !bytes.Equal(got, body) {
			t.Errorf("uncompressed %v, body equal %v", resp.Uncompressed, bytes.Equal(got, body))
		}
	})
}

func TestAcceptsGzip(t *testing.T) {
	for _, tt := range []struct {
		name  string
		lines []string
		want  bool
	}{
		{"absent", nil, false},
		{"empty", []string{""}, false},
		{"identity", []string{"identity"}, false},
		{"gzip", []string{"gzip"}, true},
		{"upper_case_with_others", []string{"br, GZIP, deflate"}, true},
		{"x_gzip_alias", []string{"x-gzip"}, true},
		{"q_zero_refuses", []string{"gzip;q=0"}, false},
		{"q_zero_with_spaces", []string{"gzip ; q=0.000"}, false},
		{"q_positive", []string{"gzip;q=0.5, identity"}, true},
		{"star", []string{"*"}, true},
		{"star_but_gzip_refused", []string{"*, gzip;q=0"}, false},
		{"star_refused", []string{"*;q=0"}, false},
		{"several_lines", []string{"br", "gzip"}, true},
		{"garbled_q", []string{"gzip;q=x"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := acceptsGzip(tt.lines); got != tt.want {
				t.Errorf("acceptsGzip(%q) = %v, want %v", tt.lines, got, tt.want)
			}
		})
	}
}

func TestFeedWindow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	prague := mustLoad(t, "Europe/Prague")
	for _, tt := range []struct {
		name string
		win  Window
		want []string
	}{
		{"recent", Recent(f.now), []string{"Schůze před změnou času", "Porada – letní čas", "Zrušená schůze", "Listopadová schůze"}},
		{"open", Window{}, []string{"Stará schůze", "Schůze před změnou času", "Porada – letní čas", "Zrušená schůze", "Listopadová schůze"}},
		{"from_only", Window{From: time.Date(2027, 4, 1, 0, 0, 0, 0, prague)}, []string{"Zrušená schůze", "Listopadová schůze"}},
		{"to_is_exclusive", Window{To: f.meetings[1].Start}, []string{"Stará schůze", "Schůze před změnou času"}},
		{"both", Window{From: time.Date(2027, 3, 24, 0, 0, 0, 0, prague), To: time.Date(2027, 5, 1, 0, 0, 0, 0, prague)},
			[]string{"Porada – letní čas", "Zrušená schůze"}},
		{"nothing", Window{From: time.Date(2030, 1, 1, 0, 0, 0, 0, prague)}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Feed(ctx, &buf, f.store, f.group.Slug, tt.win); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range decode(t, buf.Bytes()).Events() {
				got = append(got, text(t, ev.Component, "SUMMARY"))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("events %q, want %q", got, tt.want)
			}
		})
	}
}

// TestWriteDoesNotDependOnTheClock renders the same store at different
// times: while no meeting enters or leaves the window, the bytes are the
// same.
func TestWriteDoesNotDependOnTheClock(t *testing.T) {
	f := newFixture(t)
	a := f.feed(t, f.now)
	b := f.feed(t, f.now.Add(20*24*time.Hour))
	if !bytes.Equal(a, b) {
		t.Errorf("renders differ:\n%s\n---\n%s", a, b)
	}
	g := &store.Group{Slug: "kraj", Name: "Kraj", TimeZone: "Europe/Prague", UpdatedAt: f.group.UpdatedAt}
	var e1, e2 bytes.Buffer
	if err := Write(&e1, g, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := Write(&e2, g, nil, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e1.Bytes(), e2.Bytes()) {
		t.Error("an empty calendar differs between renders")
	}
}
