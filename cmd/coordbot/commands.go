package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"coordbot/i18n"
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
	// One write at the end, not one per line: all hits of a common word
	// are thousands of lines.
	out := bufio.NewWriterSize(e.stdout, 64<<10)
	if err := printHits(out, hits, *asJSON, loc); err != nil {
		return err
	}
	return out.Flush()
}

// printHits writes search hits as JSON lines or as text.
func printHits(out io.Writer, hits []*store.SearchHit, asJSON bool, loc *time.Location) error {
	if asJSON {
		enc := json.NewEncoder(out)
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
		_, err := fmt.Fprintln(out, "no messages found")
		return err
	}
	for _, h := range hits {
		date := "(no date)"
		if !h.Sent.IsZero() {
			date = i18n.FormatDate(h.Sent, loc, i18n.Czech)
		}
		fmt.Fprintf(out, "#%d  %s  %s  %s\n", h.ID, date, h.FromAddr, h.Subject)
		if len(h.Attachments) > 0 {
			fmt.Fprintf(out, "     attachments: %s\n", strings.Join(h.Attachments, ", "))
		}
		fmt.Fprintf(out, "     %s\n", strings.Join(strings.Fields(h.Snippet), " "))
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

// describeNotification names a pending message for meeting list.
func describeNotification(n *store.Notification) string {
	var p struct {
		Offset string `json:"offset"`
	}
	_ = json.Unmarshal([]byte(n.Payload), &p) // the offset is only decoration
	if p.Offset != "" {
		return string(n.Kind) + " " + p.Offset
	}
	return string(n.Kind)
}
