package discordtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request is one REST request the fake received.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path as sent, e.g. "/api/v9/channels/123/messages".
	Path string
	// Query is the raw query string ("" for none).
	Query string
	// Body is the request body as sent (JSON, or multipart with files).
	Body []byte
	// At is when the fake received it.
	At time.Time
	// Status is the HTTP status the fake answered (429 and 5xx for
	// injected faults included), or, for a request held after its effect
	// (see Hold), the status it answers when released; 0 while a request is
	// being handled or held before its effect, and for one dropped before
	// its effect.
	Status int
	// Dropped reports a request held by Hold whose client gave up (or
	// whose server closed) before the fake answered: it got no response,
	// and if it was held before its effect, it had none.
	Dropped bool
}

// Fault makes REST requests fail: the next Times requests whose method is
// Method ("" for any) and whose path starts with PathPrefix (given either
// with or without the "/api/v9" prefix, e.g. "/channels/") are answered with
// Status without being carried out.
//
// Status 429 answers like Discord's rate limiter: body {"message": "You are
// being rate limited.", "retry_after": RetryAfter, "global": false} and the
// headers Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining: 0,
// X-RateLimit-Reset, X-RateLimit-Reset-After, X-RateLimit-Bucket and
// X-RateLimit-Scope: user. Any other status answers Discord's generic body,
// e.g. {"message": "500: Internal Server Error", "code": 0}.
type Fault struct {
	// Method is the HTTP method to match; "" matches any.
	Method string
	// PathPrefix is the start of the paths to match, with or without
	// "/api/v9"; "" matches any.
	PathPrefix string
	// Status is the HTTP status to answer.
	Status int
	// RetryAfter is the retry_after of a 429, in seconds (0.05 = 50 ms).
	RetryAfter float64
	// Times is how many matching requests fail; 0 means 1.
	Times int
}

// Inject makes the next f.Times REST requests that match f fail with
// f.Status. Faults are tried in the order they were injected.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Requests returns every REST request received so far, in order, with the
// status the fake answered (0 while a request is still being handled).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// bufWriter collects a response so that its status is recorded before the
// client can see it.
type bufWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufWriter) Header() http.Header { return b.header }
func (b *bufWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// apiReq is a parsed REST request.
type apiReq struct {
	method string
	path   string
	seg    []string // path segments after /api/v9/
	query  map[string][]string
	body   []byte
	ctype  string
	auth   string
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	s.mu.Lock()
	idx := len(s.requests)
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, At: time.Now()})
	var h *hold
	if !s.closed() {
		// Close waits for held requests; it closes s.done before it takes
		// s.mu, so this Add comes before its Wait.
		if h = s.takeHoldLocked(r.Method, r.URL.Path); h != nil {
			s.wg.Add(1)
			defer s.wg.Done()
		}
	}
	s.broadcastLocked()
	s.mu.Unlock()

	if h != nil && !h.afterEffect {
		close(h.arrived)
		s.holdOn(r, h, idx)
	}
	bw := &bufWriter{header: http.Header{}}
	s.handleREST(bw, &apiReq{
		method: r.Method,
		path:   r.URL.Path,
		query:  r.URL.Query(),
		body:   body,
		ctype:  r.Header.Get("Content-Type"),
		auth:   r.Header.Get("Authorization"),
	})
	if bw.status == 0 {
		bw.status = http.StatusOK
	}

	s.mu.Lock()
	s.requests[idx].Status = bw.status
	s.broadcastLocked()
	s.mu.Unlock()

	if h != nil && h.afterEffect {
		close(h.arrived)
		s.holdOn(r, h, idx)
	}
	for k, v := range bw.header {
		w.Header()[k] = v
	}
	w.WriteHeader(bw.status)
	_, _ = w.Write(bw.body.Bytes())
}

func (s *Server) takeFault(method, path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !routeMatches(f.Method, f.PathPrefix, method, path) {
			continue
		}
		f.Times--
		out := *f
		if f.Times <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return &out
	}
	return nil
}

// routeMatches reports whether a request with method and path matches a
// Fault's or Hold's method ("" for any) and path prefix (with or without
// "/api/v9"; "" for any).
func routeMatches(wantMethod, prefix, method, path string) bool {
	if wantMethod != "" && !strings.EqualFold(wantMethod, method) {
		return false
	}
	rest := strings.TrimPrefix(path, "/api/v9")
	return prefix == "" || strings.HasPrefix(path, prefix) || strings.HasPrefix(rest, prefix)
}

func writeFault(w http.ResponseWriter, f *Fault) {
	if f.Status == http.StatusTooManyRequests {
		h := w.Header()
		reset := float64(time.Now().UnixMilli())/1000 + f.RetryAfter
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter))))
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", strconv.FormatFloat(reset, 'f', 3, 64))
		h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(f.RetryAfter, 'f', 3, 64))
		h.Set("X-RateLimit-Bucket", "d7c6ad1e4fb2a1c3ba7c0b5d5c4d7f10")
		h.Set("X-RateLimit-Scope", "user")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{
			"message":     "You are being rate limited.",
			"retry_after": f.RetryAfter,
			"global":      false,
		})
		return
	}
	apiError(w, f.Status, 0, fmt.Sprintf("%d: %s", f.Status, http.StatusText(f.Status)))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		apiError(w, http.StatusInternalServerError, 0, "500: Internal Server Error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeRawJSON answers b, JSON the fake encoded itself (compact and
// HTML-safe, as writeJSON would make it).
func writeRawJSON(w http.ResponseWriter, status int, b json.RawMessage) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// apiError answers Discord's error body {"message": msg, "code": code}.
func apiError(w http.ResponseWriter, status, code int, msg string) {
	b, _ := json.Marshal(map[string]any{"message": msg, "code": code})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func notFound(w http.ResponseWriter) { apiError(w, http.StatusNotFound, 0, "404: Not Found") }

func methodNotAllowed(w http.ResponseWriter) {
	apiError(w, http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
}

// formErrors collects Discord's 50035 "Invalid Form Body" errors tree.
type formErrors struct {
	tree map[string]any
}

// add records an error at a dotted path ("embeds.0.title"; "" for the root).
func (e *formErrors) add(path, code, msg string) {
	if e.tree == nil {
		e.tree = map[string]any{}
	}
	node := e.tree
	if path != "" {
		for _, p := range strings.Split(path, ".") {
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
	}
	list, _ := node["_errors"].([]any)
	node["_errors"] = append(list, map[string]any{"code": code, "message": msg})
}

func (e *formErrors) empty() bool { return e == nil || len(e.tree) == 0 }

func (e *formErrors) write(w http.ResponseWriter) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035, "errors": e.tree})
}

// upload is a file sent in a multipart request.
type upload struct {
	filename    string
	contentType string
	size        int
}

// payload decodes a JSON or multipart (payload_json + files[n]) body into a
// JSON object. It answers the error itself and reports false on failure.
func (s *Server) payload(w http.ResponseWriter, q *apiReq) (map[string]json.RawMessage, []upload, bool) {
	obj := map[string]json.RawMessage{}
	var files []upload
	raw := q.body
	var mt string
	var params map[string]string
	if mayBeMultipart(q.ctype) {
		mt, params, _ = mime.ParseMediaType(q.ctype)
	}
	if strings.HasPrefix(mt, "multipart/") {
		raw = nil
		mr := multipart.NewReader(bytes.NewReader(q.body), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				apiError(w, http.StatusBadRequest, 50035, "Invalid Form Body")
				return nil, nil, false
			}
			data, _ := io.ReadAll(part)
			if part.FileName() != "" {
				files = append(files, upload{filename: part.FileName(), contentType: part.Header.Get("Content-Type"), size: len(data)})
			} else if part.FormName() == "payload_json" {
				raw = data
			}
		}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return obj, files, true
	}
	// The values point into the body, which the request log shares with
	// callers of Requests: split a copy.
	var err error
	if !json.Valid(raw) {
		err = errors.New("discordtest: invalid JSON")
	} else {
		obj, err = splitObject(bytes.Clone(raw))
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return nil, nil, false
	}
	return obj, files, true
}

// mayBeMultipart reports whether mime.ParseMediaType may find a multipart/*
// media type in a Content-Type: it reads the type from the same text
// (trimmed, any case), so a JSON body's type needs no parsing.
func mayBeMultipart(ctype string) bool {
	mt, _, _ := strings.Cut(ctype, ";")
	mt = strings.TrimSpace(mt)
	return len(mt) >= len("multipart/") && strings.EqualFold(mt[:len("multipart/")], "multipart/")
}

func (s *Server) handleREST(w http.ResponseWriter, q *apiReq) {
	if f := s.takeFault(q.method, q.path); f != nil {
		writeFault(w, f)
		return
	}
	var rest string
	switch {
	case strings.HasPrefix(q.path, "/api/v9/"):
		rest = strings.TrimPrefix(q.path, "/api/v9/")
	case strings.HasPrefix(q.path, "/api/v10/"):
		rest = strings.TrimPrefix(q.path, "/api/v10/")
	default:
		notFound(w)
		return
	}
	q.seg = strings.Split(strings.Trim(rest, "/"), "/")
	seg := q.seg

	// Authentication: the gateway address is public, interaction callbacks
	// and interaction webhooks are authorised by their token; everything
	// else needs the bot token.
	public := seg[0] == "gateway" && len(seg) == 1
	tokenAuth := seg[0] == "interactions" || seg[0] == "webhooks"
	switch {
	case public:
	case tokenAuth:
		if q.auth != "" && q.auth != "Bot "+s.Token {
			apiError(w, http.StatusUnauthorized, 0, "401: Unauthorized")
			return
		}
	default:
		if q.auth != "Bot "+s.Token {
			apiError(w, http.StatusUnauthorized, 0, "401: Unauthorized")
			return
		}
	}

	switch seg[0] {
	case "gateway":
		s.restGateway(w, q)
	case "users":
		s.restUsers(w, q)
	case "applications":
		s.restApplications(w, q)
	case "interactions":
		s.restInteractionCallback(w, q)
	case "webhooks":
		s.restWebhooks(w, q)
	case "channels":
		s.restChannels(w, q)
	case "guilds":
		s.restGuilds(w, q)
	default:
		notFound(w)
	}
}

func (s *Server) restGateway(w http.ResponseWriter, q *apiReq) {
	if q.method != http.MethodGet {
		methodNotAllowed(w)
		return
	}
	switch {
	case len(q.seg) == 1:
		writeJSON(w, http.StatusOK, map[string]any{"url": s.GatewayURL})
	case len(q.seg) == 2 && q.seg[1] == "bot":
		writeJSON(w, http.StatusOK, map[string]any{
			"url":    s.GatewayURL,
			"shards": 1,
			"session_start_limit": map[string]any{
				"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1,
			},
		})
	default:
		notFound(w)
	}
}
