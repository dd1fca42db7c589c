// Package web is coordbot's door on the web: server-rendered pages where
// members sign in with a link sent by e-mail, see their groups' meetings,
// answer and propose agenda items, search the minutes archive and download
// attachments; coordinators also accept and order agenda items, confirm
// attendance, file unfiled minutes and read the year's report. One-click
// answer links from the e-mails (/a/<token>) work without signing in.
//
// The pages are html/template (everything from mail or members is escaped,
// a message's own HTML is never shown), Czech first (English when the
// group's locale is English; pages outside a group follow the browser's
// Accept-Language), with one embedded stylesheet and no JavaScript at all.
// Like every door, the web only parses and renders: answers, proposals,
// agenda decisions, attendance and filing go through the core
// (meeting.Service) with meeting.Actor{Via: store.ViaWeb, MemberID: id};
// the pages read the store directly.
//
// Every form is protected by net/http.CrossOriginProtection; every
// response carries a strict Content-Security-Policy, X-Frame-Options,
// Referrer-Policy and X-Content-Type-Options; a panic in a handler is
// logged and answered with a 500 page.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"coordbot/links"
	"coordbot/meeting"
	"coordbot/store"
)

// Config is what the pages need.
type Config struct {
	// Core runs the use cases; its store is read for the pages.
	Core *meeting.Service
	// Links signs and checks sign-in and one-click answer tokens.
	Links *links.Signer
	// PublicURL is the address people reach the pages at (http.public_url,
	// no trailing slash): the session cookie is Secure when it is https,
	// and its origin is trusted by the cross-origin protection.
	PublicURL string
	// Now is the clock of sessions and of what is upcoming; default
	// time.Now.
	Now func() time.Time
	// Logger gets a line for every panic and failed request; default
	// slog.Default().
	Logger *slog.Logger
	// LoginsPerHour caps the sign-in requests one client address may make
	// in an hour (the core caps them per e-mail address too); default 10.
	LoginsPerHour int
	// ClientIP names the client of a request for that cap; default the
	// TCP peer's address. Behind a reverse proxy every request comes from
	// the proxy: set it to read the header the proxy writes (and only
	// then, since a client can write any header itself).
	ClientIP func(*http.Request) string
}

//go:embed templates/*.html static/style.css
var files embed.FS

// sessionCookie is the name of the cookie that holds the session id.
const sessionCookie = "coordbot_session"

// server holds the parsed templates and the state of the pages.
type server struct {
	cfg    Config
	core   *meeting.Service
	store  *store.Store
	links  *links.Signer
	log    *slog.Logger
	now    func() time.Time
	secure bool
	pages  map[string]*template.Template
	css    []byte
	logins *limiter
}

// Handler returns the pages: everything except /calendar/, which the
// program mounts beside it. Templates are parsed here, once.
func Handler(cfg Config) (http.Handler, error) {
	if cfg.Core == nil || cfg.Links == nil {
		return nil, errors.New("web: Config needs Core and Links")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LoginsPerHour <= 0 {
		cfg.LoginsPerHour = 10
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = clientIP
	}
	pub, err := url.Parse(cfg.PublicURL)
	if cfg.PublicURL == "" || err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" {
		return nil, fmt.Errorf("web: public URL %q is not an http(s) address", cfg.PublicURL)
	}
	s := &server{cfg: cfg, core: cfg.Core, store: cfg.Core.Store(), links: cfg.Links, log: cfg.Logger, now: cfg.Now,
		secure: pub.Scheme == "https", logins: newLimiter(cfg.LoginsPerHour, time.Hour, cfg.Now)}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if s.css, err = files.ReadFile("static/style.css"); err != nil {
		return nil, fmt.Errorf("web: stylesheet: %w", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/style.css", s.style)
	// Browsers ask every site for an icon; the pages have none, and a 404
	// would show as an error in every browser console.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.loginRequest)
	mux.HandleFunc("GET /login/{token}", s.signInForm)
	mux.HandleFunc("POST /login/{token}", s.signIn)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /a/{token}", s.oneClickForm)
	mux.HandleFunc("POST /a/{token}", s.oneClick)
	mux.HandleFunc("GET /{$}", s.member(s.home))
	mux.HandleFunc("GET /meetings/{id}", s.member(s.meetingPage))
	mux.HandleFunc("POST /meetings/{id}/answer", s.member(s.answer))
	mux.HandleFunc("POST /meetings/{id}/propose", s.member(s.propose))
	mux.HandleFunc("POST /meetings/{id}/agenda", s.member(s.agenda))
	mux.HandleFunc("POST /meetings/{id}/order", s.member(s.order))
	mux.HandleFunc("POST /meetings/{id}/attendance", s.member(s.attendance))
	mux.HandleFunc("GET /archive", s.member(s.archive))
	mux.HandleFunc("GET /archive/{id}", s.member(s.message))
	mux.HandleFunc("POST /archive/{id}/file", s.member(s.file))
	mux.HandleFunc("GET /archive/{id}/attachments/{aid}", s.member(s.attachment))
	mux.HandleFunc("GET /groups/{slug}/report/{file}", s.member(s.report))
	mux.HandleFunc("/", s.notFoundHandler)

	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(pub.Scheme + "://" + pub.Host); err != nil {
		return nil, fmt.Errorf("web: trusted origin: %w", err)
	}
	cop.SetDenyHandler(http.HandlerFunc(s.crossOrigin))
	return s.recover(securityHeaders(cop.Handler(mux))), nil
}

// securityHeaders sets the headers every response carries. The policy
// allows only this site's own stylesheet: no inline style or script, no
// frames, forms posting only here.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// recover turns a panic in a handler into a logged error and a 500 page,
// so that no stack trace reaches the visitor. http.ErrAbortHandler is the
// server's own way of cutting a response short and is passed on.
func (s *server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("web: panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
			s.errorPage(w, r, http.StatusInternalServerError, "")
		}()
		next.ServeHTTP(w, r)
	})
}

// style serves the one stylesheet.
func (s *server) style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(s.css)
}

// crossOrigin answers a form sent from another site.
func (s *server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusForbidden, tr(langOf(r), "errCrossOrigin"))
}

func (s *server) notFoundHandler(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, "")
}

// fail logs an unexpected error and answers with a 500 page; a request
// the client gave up on is only noted.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		s.log.Info("web: request cancelled", "path", r.URL.Path)
	} else {
		s.log.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	s.errorPage(w, r, http.StatusInternalServerError, "")
}

// seeOther redirects after a form (POST/redirect/GET), so that reloading
// the page does not send the form again.
func seeOther(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// clientIP is the address the request came from: the TCP peer (a proxy
// in front shows up as itself).
func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
