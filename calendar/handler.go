package calendar

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
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
// group's feed (see Feed). tokens maps a group slug to its secret token
// (groups.calendar_token in the configuration); it is copied.
//
// An unknown group, a group without a token and a wrong or missing token
// all get the same 404, so neither slugs nor tokens can be probed; other
// methods get 405. Errors are logged to logger without the URL, which holds
// the token. now is the clock for DTSTAMP and the one-year history window;
// nil means time.Now.
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
	var buf bytes.Buffer
	if err := Feed(r.Context(), &buf, h.store, slug, h.now()); err != nil {
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
	hdr := w.Header()
	hdr.Set("Content-Type", "text/calendar; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	hdr.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": slug + ".ics"}))
	// The URL carries a secret: shared caches must not keep the response.
	hdr.Set("Cache-Control", "private, max-age=300")
	hdr.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		h.logger.Debug("calendar: write response", "group_slug", slug, "err", err)
	}
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
