package calendar

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"coordbot/store"
)

// pathPrefix is where Handler expects to be mounted.
const pathPrefix = "/calendar/"

// Handler serves GET and HEAD /calendar/<slug>.ics?token=<secret> with the
// group's feed: the meetings of Recent(now()) as Write renders them.
// tokens maps a group slug to its secret token (groups.calendar_token in
// the configuration); it is copied.
//
// Calendar clients poll, so the feed is built to be cached: the body is
// byte-identical while nothing in it changes, its strong ETag is a hash of
// the bytes sent, Last-Modified is the newest change, and conditional
// requests (If-None-Match, If-Modified-Since) get 304 Not Modified. The
// body is gzipped for clients that accept it, under its own ETag.
//
// An unknown group, a group without a token and a wrong or missing token
// all get the same 404, so neither slugs nor tokens can be probed; other
// methods get 405. Errors are logged to logger without the URL, which holds
// the token. now is the clock for the one-year history window; nil means
// time.Now.
func Handler(s *store.Store, tokens map[string]string, logger *slog.Logger, now func() time.Time) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	h := &handler{store: s, tokens: make(map[string][sha256.Size]byte, len(tokens)), logger: logger, now: now}
	for slug, tok := range tokens {
		if tok != "" {
			h.tokens[slug] = sha256.Sum256([]byte(tok))
		}
	}
	return h
}

type handler struct {
	store *store.Store
	// tokens holds SHA-256 digests, so the comparison below takes the
	// same time whatever the length of the guess.
	tokens map[string][sha256.Size]byte
	logger *slog.Logger
	now    func() time.Time
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	slug, ok := h.authorize(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	now := h.now()
	c, err := Load(r.Context(), h.store, slug, Recent(now))
	var buf bytes.Buffer
	if err == nil {
		err = c.Write(&buf)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// The configuration has a token for a group the store does
			// not know (yet): the same 404 as any other miss.
			h.logger.Warn("calendar: group with a token is not in the store", "group_slug", slug)
			http.NotFound(w, r)
			return
		}
		h.logger.Error("calendar: feed failed", "group_slug", slug, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	body := buf.Bytes()
	hdr := w.Header()
	hdr.Set("Content-Type", "text/calendar; charset=utf-8")
	hdr.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": slug + ".ics"}))
	// The URL carries a secret: shared caches must not keep the response.
	// Five minutes spares a client's repeated fetches; after that it
	// revalidates, which costs a 304.
	hdr.Set("Cache-Control", "private, max-age=300")
	hdr.Set("X-Content-Type-Options", "nosniff")
	// Every response of this URL depends on Accept-Encoding, the 304s and
	// the identity ones included (RFC 9110 12.5.5).
	hdr.Set("Vary", "Accept-Encoding")
	suffix := ""
	if acceptsGzip(r.Header.Values("Accept-Encoding")) {
		gz, err := gzipped(body)
		if err != nil {
			h.logger.Error("calendar: gzip", "group_slug", slug, "err", err)
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		body, suffix = gz, "-gz"
		hdr.Set("Content-Encoding", "gzip")
		// ServeContent leaves Content-Length to the caller once a
		// Content-Encoding is set.
		hdr.Set("Content-Length", strconv.Itoa(len(body)))
	}
	// A content coding makes another representation, whose strong ETag
	// must differ (RFC 9110 8.8.3.3): the hash is of the bytes sent, and
	// the suffix shows which variant a client holds. Comparing against the
	// selected variant's own tag avoids Apache's mod_deflate bug, which
	// added "-gzip" and then never matched it.
	sum := sha256.Sum256(body)
	hdr.Set("ETag", `"`+base64.RawURLEncoding.EncodeToString(sum[:18])+suffix+`"`)
	// ServeContent answers HEAD, If-None-Match (weak comparison, as RFC
	// 9110 13.1.2 wants), If-Modified-Since only without If-None-Match,
	// If-Match, If-Range and Range, and writes Last-Modified.
	http.ServeContent(w, r, slug+".ics", lastModified(c, now), bytes.NewReader(body))
}

// lastModified is when the feed last changed: the calendar's newest change,
// or the moment the latest meeting before the window slid out of it, when
// that is later. Without the second, a client revalidating with
// If-Modified-Since alone would keep a meeting the feed no longer shows.
func lastModified(c *Calendar, now time.Time) time.Time {
	last := c.LastModified()
	if !c.Earlier.IsZero() {
		// Recent's inverse; never later than now, which a month's end
		// could make it by a day.
		left := c.Earlier.AddDate(1, 0, 0)
		if left.After(now) {
			left = now
		}
		last = later(last, left)
	}
	return last.Truncate(time.Second)
}

// acceptsGzip reports whether the Accept-Encoding field lines accept gzip:
// listed (or as x-gzip, its old alias) with a non-zero q, or covered by
// "*" with a non-zero q when not listed.
func acceptsGzip(lines []string) bool {
	gz, star := -1.0, -1.0
	for _, line := range lines {
		for _, item := range strings.Split(line, ",") {
			name, params, _ := strings.Cut(item, ";")
			q := qvalue(params)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "gzip", "x-gzip":
				gz = max(gz, q)
			case "*":
				star = max(star, q)
			}
		}
	}
	if gz >= 0 {
		return gz > 0
	}
	return star > 0
}

// qvalue reads the weight from a coding's parameters ("q=0.5"): 1 when
// absent, 0 when it does not parse, so a garbled weight never turns a
// coding on.
func qvalue(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return 0
		}
		return q
	}
	return 1
}

// gzipped compresses b. The gzip header carries no name or time, so the
// same calendar always compresses to the same bytes and keeps its ETag.
func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// authorize returns the group slug of a request whose path is
// /calendar/<slug>.ics and whose token matches the group's.
func (h *handler) authorize(r *http.Request) (string, bool) {
	name, ok := strings.CutPrefix(r.URL.Path, pathPrefix)
	if !ok {
		return "", false
	}
	slug, ok := strings.CutSuffix(name, ".ics")
	if !ok || slug == "" || strings.Contains(slug, "/") {
		return "", false
	}
	want, known := h.tokens[slug]
	got := sha256.Sum256([]byte(r.URL.Query().Get("token")))
	// Compare even for an unknown slug, so the time taken does not tell
	// configured groups apart.
	match := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	return slug, known && match
}
