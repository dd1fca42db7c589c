package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
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

// cmdMeetingAttended records who actually came:
// meeting attended ID DISCORD_ID_OR_EMAIL[=SUBSTITUTE]... [-absent ...]
func (e *env) cmdMeetingAttended(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("meeting attended", "ID PERSON... (a member's e-mail or Discord id; PERSON=NAME when a deputy came instead) [-absent PERSON,...]")
	absent := fs.String("absent", "", "comma-separated members who did not come")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return usagef("meeting attended: give the meeting ID and who came")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return usagef("meeting attended: %q is not a meeting ID", fs.Arg(0))
	}
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := s.Meeting(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("meeting attended: no meeting %d", id)
	}
	if err != nil {
		return err
	}
	if m.Status == store.MeetingCancelled {
		return usagef("meeting attended: meeting %d was cancelled", id)
	}
	find := func(who string) (*store.Member, error) {
		mem, err := s.MemberByEmail(ctx, who)
		if errors.Is(err, store.ErrNotFound) {
			mem, err = s.MemberByDiscordID(ctx, who)
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, usagef("meeting attended: no member %q (give an e-mail or a Discord id)", who)
		}
		return mem, err
	}
	type entry struct {
		member   *store.Member
		attended bool
		subst    string
	}
	var entries []entry
	for _, arg := range fs.Args()[1:] {
		who, subst, _ := strings.Cut(arg, "=")
		mem, err := find(who)
		if err != nil {
			return err
		}
		entries = append(entries, entry{mem, true, subst})
	}
	for _, who := range strings.FieldsFunc(*absent, func(r rune) bool { return r == ',' }) {
		mem, err := find(strings.TrimSpace(who))
		if err != nil {
			return err
		}
		entries = append(entries, entry{member: mem})
	}
	list := make([]*store.Attendance, 0, len(entries))
	for _, en := range entries {
		list = append(list, &store.Attendance{MeetingID: id, MemberID: en.member.ID, Attended: en.attended, Substitute: en.subst})
	}
	if err := s.SetAttendances(ctx, list); err != nil {
		return err
	}
	if m.Status == store.MeetingScheduled && !m.Start.After(e.now()) {
		if err := s.MarkHeld(ctx, id); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "meeting %d: attendance of %d members recorded\n", id, len(entries))
	return nil
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
