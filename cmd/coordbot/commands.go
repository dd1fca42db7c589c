package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"coordbot/i18n"
	"coordbot/scheduler"
	"coordbot/search"
	"coordbot/store"
)

// newFlagSet returns a flag set for a subcommand. Its errors are returned
// (and printed once by run); -h prints its help to stdout.
func (e *env) newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fs.SetOutput(e.stdout)
		fmt.Fprintf(e.stdout, "Usage: coordbot %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%s: %v (see coordbot %s -h)", fs.Name(), err, fs.Name())
	}
	return nil
}

// searchResult is one line of `search -json`.
type searchResult struct {
	ID          int64    `json:"id"`
	MessageID   string   `json:"message_id"`
	Subject     string   `json:"subject"`
	From        string   `json:"from"`
	Date        *string  `json:"date"`
	MeetingID   *int64   `json:"meeting_id"`
	Attachments []string `json:"attachments"`
	Snippet     string   `json:"snippet"`
}

func (e *env) cmdSearch(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("search", "[-json] [-limit N] QUERY")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	limit := fs.Int("limit", 20, "at most `N` results")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(text) == "" {
		return usagef("search: give the words to look for, e.g. coordbot search primarni prevence")
	}
	if *limit < 1 {
		return usagef("search: -limit must be at least 1")
	}
	loc := defaultLocation(g)
	q, err := search.Parse(text, loc)
	if err != nil {
		return usagef("%v", err)
	}
	q.Limit = *limit
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	if q.GroupSlug != "" {
		if _, err := s.GroupBySlug(ctx, q.GroupSlug); errors.Is(err, store.ErrNotFound) {
			return usagef("search: unknown group %q", q.GroupSlug)
		}
	}
	hits, err := s.SearchArchive(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, h := range hits {
			r := searchResult{ID: h.ID, MessageID: h.MessageID, Subject: h.Subject, From: h.FromAddr,
				Attachments: h.Attachments, Snippet: h.Snippet}
			if !h.Sent.IsZero() {
				d := h.Sent.In(loc).Format(time.RFC3339)
				r.Date = &d
			}
			if h.MeetingID != 0 {
				id := h.MeetingID
				r.MeetingID = &id
			}
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	if len(hits) == 0 {
		fmt.Fprintln(e.stdout, "no messages found")
		return nil
	}
	for _, h := range hits {
		date := "(no date)"
		if !h.Sent.IsZero() {
			date = i18n.FormatDate(h.Sent, loc, i18n.Czech)
		}
		fmt.Fprintf(e.stdout, "#%d  %s  %s  %s\n", h.ID, date, h.FromAddr, h.Subject)
		if len(h.Attachments) > 0 {
			fmt.Fprintf(e.stdout, "     attachments: %s\n", strings.Join(h.Attachments, ", "))
		}
		fmt.Fprintf(e.stdout, "     %s\n", strings.Join(strings.Fields(h.Snippet), " "))
	}
	return nil
}

// defaultLocation is the zone for dates typed on the command line: the
// first group's, else i18n.DefaultTimeZone.
func defaultLocation(g *globals) *time.Location {
	if len(g.cfg.Groups) > 0 && g.cfg.Groups[0].Location != nil {
		return g.cfg.Groups[0].Location
	}
	loc, err := time.LoadLocation(i18n.DefaultTimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func (e *env) cmdMeeting(ctx context.Context, g *globals, args []string) error {
	if len(args) == 0 {
		return usagef("meeting: want add, list, cancel or attended")
	}
	switch args[0] {
	case "add":
		return e.cmdMeetingAdd(ctx, g, args[1:])
	case "list":
		return e.cmdMeetingList(ctx, g, args[1:])
	case "cancel":
		return e.cmdMeetingCancel(ctx, g, args[1:])
	case "attended":
		return e.cmdMeetingAttended(ctx, g, args[1:])
	default:
		return usagef("meeting: unknown subcommand %q: want add, list, cancel or attended", args[0])
	}
}

// groupFor looks a configured group up in the store and loads its zone.
func groupFor(ctx context.Context, s *store.Store, slug string) (*store.Group, *time.Location, error) {
	if slug == "" {
		return nil, nil, usagef("-group is required")
	}
	grp, err := s.GroupBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, usagef("unknown group %q (groups come from [[groups]] in the configuration)", slug)
	}
	if err != nil {
		return nil, nil, err
	}
	loc, err := grp.Location()
	if err != nil {
		return nil, nil, err
	}
	return grp, loc, nil
}

func (e *env) cmdMeetingAdd(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("meeting add", "-group SLUG -title TITLE -start \"23. 3. 2027 10:00\" [-duration 2h] [-place PLACE] [-url URL]")
	slug := fs.String("group", "", "the group's `slug`")
	title := fs.String("title", "", "the meeting's `title`")
	start := fs.String("start", "", "date and time in the group's zone, e.g. \"23. 3. 2027 10:00\" or 2027-03-23T10:00")
	duration := fs.Duration("duration", 2*time.Hour, "how long it lasts")
	place := fs.String("place", "", "where it takes place")
	link := fs.String("url", "", "online meeting link")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("meeting add: unexpected argument %q", fs.Arg(0))
	}
	if strings.TrimSpace(*title) == "" {
		return usagef("meeting add: -title is required")
	}
	if *start == "" {
		return usagef("meeting add: -start is required, e.g. -start \"23. 3. 2027 10:00\"")
	}
	if *duration < time.Minute {
		return usagef("meeting add: -duration must be at least 1m")
	}
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	grp, loc, err := groupFor(ctx, s, *slug)
	if err != nil {
		return err
	}
	lang := i18n.Lang(grp.Locale)
	when, err := i18n.ParseDateTime(*start, loc)
	if err != nil {
		var pe *i18n.ParseError
		if errors.As(err, &pe) {
			return usagef("meeting add: %s", pe.Message(i18n.English))
		}
		return usagef("meeting add: %v", err)
	}
	if !when.After(e.now()) {
		return usagef("meeting add: %s is in the past", i18n.FormatDateTime(when, loc, i18n.English))
	}
	m := &store.Meeting{GroupID: grp.ID, Title: strings.TrimSpace(*title), Start: when, TimeZone: loc.String(),
		Duration: *duration, Place: *place, OnlineURL: *link}
	if err := s.CreateMeeting(ctx, m); err != nil {
		return err
	}
	// Plan its messages; a running serve picks them up within a minute.
	if err := scheduler.Plan(ctx, s, m.ID, e.now()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "meeting %d created: %s, %s (%s)\n", m.ID, m.Title, i18n.FormatDateTime(m.Start, loc, lang), grp.Slug)
	return nil
}

func (e *env) cmdMeetingList(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("meeting list", "[-group SLUG] [-all]")
	slug := fs.String("group", "", "only this group's meetings")
	all := fs.Bool("all", false, "past and cancelled meetings too")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	f := store.MeetingFilter{}
	if *slug != "" {
		grp, _, err := groupFor(ctx, s, *slug)
		if err != nil {
			return err
		}
		f.GroupID = grp.ID
	}
	if !*all {
		// Upcoming: still running or ahead. A day covers any meeting's length.
		f.From = e.now().Add(-24 * time.Hour)
		f.Status = []string{store.MeetingScheduled}
	}
	meetings, err := s.Meetings(ctx, f)
	if err != nil {
		return err
	}
	if len(meetings) == 0 {
		fmt.Fprintln(e.stdout, "no meetings")
		return nil
	}
	groups := map[int64]*store.Group{}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tGROUP\tSTART\tSTATUS\tTITLE\tPLACE")
	for _, m := range meetings {
		if !*all && m.End().Before(e.now()) {
			continue
		}
		grp := groups[m.GroupID]
		if grp == nil {
			if grp, err = s.Group(ctx, m.GroupID); err != nil {
				return err
			}
			groups[m.GroupID] = grp
		}
		loc, err := time.LoadLocation(m.TimeZone)
		if err != nil {
			return err
		}
		where := m.Place
		if m.OnlineURL != "" {
			where = strings.TrimSpace(where + " " + m.OnlineURL)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, grp.Slug,
			i18n.FormatDateTime(m.Start, loc, i18n.Lang(grp.Locale)), m.Status, m.Title, where)
		pending, err := s.Notifications(ctx, store.NotificationFilter{MeetingID: m.ID,
			States: []string{store.NotificationPending, store.NotificationClaimed}})
		if err != nil {
			return err
		}
		for _, n := range pending {
			fmt.Fprintf(tw, "\t\t  %s\t%s\t%s\t\n", i18n.FormatDateTime(n.Due, loc, i18n.Lang(grp.Locale)), n.State, describeNotification(n))
		}
	}
	return tw.Flush()
}

func (e *env) cmdMeetingCancel(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("meeting cancel", "ID")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("meeting cancel: give one meeting ID (see coordbot meeting list)")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return usagef("meeting cancel: %q is not a meeting ID", fs.Arg(0))
	}
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := s.CancelMeeting(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("meeting cancel: no meeting %d", id)
	}
	if errors.Is(err, store.ErrInvalid) {
		return fmt.Errorf("meeting cancel: meeting %d was already held", id)
	}
	if err != nil {
		return err
	}
	if err := scheduler.PlanCancellation(ctx, s, m.ID, e.now()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "meeting %d cancelled: %s\n", m.ID, m.Title)
	return nil
}

// describeNotification names a pending message for meeting list.
func describeNotification(n *store.Notification) string {
	var p struct {
		Offset string `json:"offset"`
	}
	_ = json.Unmarshal([]byte(n.Payload), &p) // the offset is only decoration
	if p.Offset != "" {
		return n.Kind + " " + p.Offset
	}
	return n.Kind
}
