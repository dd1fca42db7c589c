package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"coordbot/calendar"
	"coordbot/report"
	"coordbot/store"
)

func (e *env) cmdReport(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("report", "-group SLUG -year YYYY [-format md|csv]")
	slug := fs.String("group", "", "the group's `slug`")
	year := fs.Int("year", 0, "the `year`")
	format := fs.String("format", "md", "md (a draft for the annual report) or csv (a spreadsheet)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *slug == "" || *year < 1000 || *year > 9999 {
		return usagef("report: give -group SLUG and -year YYYY")
	}
	if *format != "md" && *format != "csv" {
		return usagef("report: -format must be md or csv, not %q", *format)
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
	if *format == "csv" {
		return r.CSV(e.stdout)
	}
	return r.Markdown(e.stdout)
}

func (e *env) cmdICS(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("ics", "-group SLUG")
	slug := fs.String("group", "", "the group's `slug`")
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
	err = calendar.Feed(ctx, e.stdout, s, *slug, e.now())
	if errors.Is(err, store.ErrNotFound) {
		return usagef("ics: unknown group %q", *slug)
	}
	return err
}

// startHTTP serves the calendar feeds until Close.
func (m *Main) startHTTP(s *store.Store) error {
	tokens := map[string]string{}
	for _, g := range m.Config.Groups {
		if t := g.CalendarToken.Reveal(); t != "" {
			tokens[g.Slug] = t
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/calendar/", calendar.Handler(s, tokens, m.Logger.With("component", "http"), m.Now))
	ln, err := net.Listen("tcp", m.Config.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http: listen on %s: %w", m.Config.HTTP.Addr, err)
	}
	m.HTTPAddr = ln.Addr().String()
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("http server stopped", "err", err)
		}
	}()
	m.Logger.Info("calendar feeds served", "addr", m.HTTPAddr, "groups_with_token", len(tokens))
	m.parts = append(m.parts, part{name: "http", stop: srv.Shutdown})
	return nil
}
