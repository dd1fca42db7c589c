package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/netutil"

	"coordbot/calendar"
	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/report"
	"coordbot/store"
	"coordbot/web"
)

func (e *env) cmdReport(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("report", "-group SLUG -year YYYY [-format md|csv|html|xlsx] [-excel]")
	slug := fs.String("group", "", "the group's `slug`")
	year := fs.Int("year", 0, "the `year`")
	format := fs.String("format", "md", "md (a draft for the annual report), csv (a spreadsheet), html (a page to print or paste into Word) or xlsx (an Excel workbook)")
	excel := fs.Bool("excel", false, "csv for Czech Excel: a UTF-8 byte-order mark and ; between fields")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *slug == "" || *year == 0 {
		return usagef("report: give -group SLUG and -year YYYY")
	}
	if !i18n.ValidYear(*year) {
		return usagef("report: -year %d is outside the supported years 1900 to 2999", *year)
	}
	// write renders the built report in the chosen format.
	var write func(r *report.Report) error
	switch *format {
	case "md":
		write = func(r *report.Report) error { return r.Markdown(e.stdout) }
	case "csv":
		write = func(r *report.Report) error { return r.WriteCSV(e.stdout, report.CSVOptions{Excel: *excel}) }
	case "html":
		write = func(r *report.Report) error { return r.HTML(e.stdout) }
	case "xlsx":
		write = func(r *report.Report) error { return r.XLSX(e.stdout) }
	default:
		return usagef("report: -format must be md, csv, html or xlsx, not %q", *format)
	}
	if *excel && *format != "csv" {
		return usagef("report: -excel goes with -format csv")
	}
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := report.BuildAt(ctx, s, *slug, *year, e.now())
	if errors.Is(err, store.ErrNotFound) {
		return usagef("report: unknown group %q (groups come from [[groups]] in the configuration)", *slug)
	}
	if err != nil {
		return err
	}
	return write(r)
}

func (e *env) cmdICS(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("ics", "-group SLUG [-from DATE] [-to DATE]")
	slug := fs.String("group", "", "the group's `slug`")
	fromText := fs.String("from", "", "first `date` in the group's zone, e.g. \"1. 1. 2026\" or 2026-01-01, a time may follow (default: a year ago)")
	toText := fs.String("to", "", "last `date`, included, as for -from (default: everything ahead)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *slug == "" {
		return usagef("ics: give -group SLUG")
	}
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	grp, err := s.GroupBySlug(ctx, *slug)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("ics: unknown group %q", *slug)
	}
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(grp.TimeZone)
	if err != nil {
		return fmt.Errorf("ics: group %s: %w", grp.Slug, err)
	}
	// A date alone is the whole day, -to's included; a date with a time
	// is that minute, included too.
	bound := func(name, text string, end bool) (time.Time, error) {
		day, err := i18n.ParseDate(text, loc)
		if err == nil {
			if end {
				day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
			}
			return day, nil
		}
		// Not a date alone: a date with a time, whose complaint is the
		// more useful one when it got as far as the time.
		var pe *i18n.ParseError
		if errors.As(err, &pe) && pe.Kind == i18n.ErrSyntax {
			at, errAt := i18n.ParseDateTime(text, loc)
			if errAt == nil {
				if end {
					at = at.Add(time.Minute)
				}
				return at, nil
			}
			var pa *i18n.ParseError
			if errors.As(errAt, &pa) && pa.Kind != i18n.ErrSyntax {
				pe = pa
			}
		}
		if pe == nil {
			return time.Time{}, usagef("ics: -%s: %v", name, err)
		}
		return time.Time{}, usagef("ics: -%s: %s", name, pe.Message(i18n.English))
	}
	win := calendar.Recent(e.now())
	if *fromText != "" {
		if win.From, err = bound("from", *fromText, false); err != nil {
			return err
		}
	}
	if *toText != "" {
		if win.To, err = bound("to", *toText, true); err != nil {
			return err
		}
		if !win.From.Before(win.To) && *fromText == "" {
			return usagef("ics: -to %s is more than a year ago; give -from too", *toText)
		}
		if !win.From.Before(win.To) {
			return usagef("ics: -to %s is before -from %s", *toText, *fromText)
		}
	}
	c, err := calendar.Load(ctx, s, *slug, win)
	if err != nil {
		return err
	}
	return c.Write(e.stdout)
}

// httpLimits bound what clients can hold of the HTTP server: without an
// idle timeout every keep-alive connection stays open, and enough of them
// (3,000 in a test) use up the process's file descriptors until Accept
// fails for everyone.
type httpLimits struct {
	// ReadHeaderTimeout and ReadTimeout bound reading a request's headers
	// and the whole request; WriteTimeout bounds a request from the end of
	// its headers to the end of the answer.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends no next request.
	IdleTimeout time.Duration
	// MaxConns is how many connections are served at once; more wait in
	// the kernel's backlog until one closes.
	MaxConns int
}

// defaultHTTPLimits are the limits serve runs with. A calendar feed is one
// small GET answered from memory, so the timeouts are generous and the
// connection limit stays well under a typical 1,024 descriptors.
var defaultHTTPLimits = httpLimits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
	WriteTimeout: 60 * time.Second, IdleTimeout: 60 * time.Second, MaxConns: 256}

// newHTTPServer returns the server for h and the listener, wrapped to
// accept at most lim.MaxConns connections at once, to serve it on.
func newHTTPServer(h http.Handler, ln net.Listener, lim httpLimits) (*http.Server, net.Listener) {
	if lim.MaxConns > 0 {
		ln = netutil.LimitListener(ln, lim.MaxConns)
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: lim.ReadHeaderTimeout, ReadTimeout: lim.ReadTimeout,
		WriteTimeout: lim.WriteTimeout, IdleTimeout: lim.IdleTimeout}, ln
}

// startHTTP serves the calendar feeds, and the web pages when
// http.public_url is set, until Close.
func (m *Main) startHTTP(core *meeting.Service) error {
	s := core.Store()
	tokens := map[string]string{}
	for _, g := range m.Config.Groups {
		if t := g.CalendarToken.Reveal(); t != "" {
			tokens[g.Slug] = t
		}
	}
	logger := m.Logger.With("component", "http")
	mux := http.NewServeMux()
	mux.Handle("/calendar/", calendar.Handler(s, tokens, logger, m.Now))
	if m.links != nil {
		pages, err := web.Handler(web.Config{Core: core, Links: m.links, PublicURL: m.Config.HTTP.PublicURL,
			Now: m.Now, Logger: logger, ClientIP: clientIPFrom(m.Config.HTTP.ClientIPHeader)})
		if err != nil {
			return err
		}
		mux.Handle("/", pages)
		if m.Config.SMTP == nil {
			logger.Warn("web pages without [smtp]: sign-in links cannot be mailed, so nobody can sign in; one-click answer links work")
		}
	}
	ln, err := net.Listen("tcp", m.Config.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http: listen on %s: %w", m.Config.HTTP.Addr, err)
	}
	m.HTTPAddr = ln.Addr().String()
	srv, ln := newHTTPServer(mux, ln, defaultHTTPLimits)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("http server stopped", "err", err)
		}
	}()
	m.Logger.Info("http served", "addr", m.HTTPAddr, "groups_with_calendar_token", len(tokens),
		"web_pages", m.links != nil, "public_url", m.Config.HTTP.PublicURL)
	m.parts = append(m.parts, part{name: "http", stop: srv.Shutdown})
	return nil
}

// clientIPFrom returns how the web pages name a request's client: by the
// header a reverse proxy writes (the last address of a list, the one the
// proxy itself added), or by the peer's address when header is "" or the
// request lacks it (nil: the pages' default).
func clientIPFrom(header string) func(*http.Request) string {
	if header == "" {
		return nil
	}
	return func(r *http.Request) string {
		vs := r.Header.Values(header)
		if len(vs) > 0 {
			list := strings.Split(vs[len(vs)-1], ",")
			if ip := strings.TrimSpace(list[len(list)-1]); ip != "" {
				return ip
			}
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return r.RemoteAddr
		}
		return host
	}
}
