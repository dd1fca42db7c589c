package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/store"
)

func (e *env) cmdMinutes(ctx context.Context, g *globals, args []string) error {
	if len(args) == 0 {
		return usagef("minutes: want list or assign")
	}
	switch args[0] {
	case "list":
		return e.cmdMinutesList(ctx, g, args[1:])
	case "assign":
		return e.cmdMinutesAssign(ctx, g, args[1:])
	default:
		return usagef("minutes: unknown subcommand %q: want list or assign", args[0])
	}
}

func (e *env) cmdMinutesList(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("minutes list", "[-unfiled | -quarantined | -meeting ID] [-kind minutes|reply|bounce|any] [-limit N]")
	unfiled := fs.Bool("unfiled", false, "archived minutes not matched to a meeting")
	quarantined := fs.Bool("quarantined", false, "messages set aside, with the reason (every kind, unless -kind)")
	meeting := fs.Int64("meeting", 0, "minutes filed under meeting `ID`")
	kind := fs.String("kind", "", "what is listed: `minutes` (the default), reply (answers and agenda items sent by mail), bounce (delivery reports) or any")
	limit := fs.Int("limit", 50, "at most `N` messages")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f := store.ArchiveFilter{Unfiled: *unfiled, MeetingID: *meeting, Limit: *limit, State: store.ArchiveArchived}
	if *quarantined {
		// A message set aside may be anything: show them all unless asked.
		f.State, f.Kind = store.ArchiveQuarantined, store.ArchiveAnyKind
	}
	switch *kind {
	case "":
	case store.ArchiveMinutes, store.ArchiveReply, store.ArchiveBounce, store.ArchiveAnyKind:
		f.Kind = *kind
	case "all":
		f.Kind = store.ArchiveAnyKind
	default:
		return usagef("minutes list: -kind %q: want minutes, reply, bounce or any", *kind)
	}
	// The KIND column appears whenever more than minutes may be listed.
	showKind := f.Kind != "" && f.Kind != store.ArchiveMinutes
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	msgs, err := s.ArchiveMessages(ctx, f)
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		fmt.Fprintln(e.stdout, "no messages")
		return nil
	}
	loc := defaultLocation(g)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	kindHead := ""
	if showKind {
		kindHead = "KIND\t"
	}
	fmt.Fprintln(tw, "ID\t"+kindHead+"DATE\tFROM\tSUBJECT\tMEETING\tATTACHMENTS\tREASON")
	for _, m := range msgs {
		date := "-"
		if !m.Sent.IsZero() {
			date = i18n.FormatDateTime(m.Sent, loc, i18n.Czech)
		}
		meeting := "-"
		if m.MeetingID != 0 {
			meeting = strconv.FormatInt(m.MeetingID, 10)
		}
		var names []string
		for _, a := range m.Attachments {
			if a.TextError != "" {
				// Why a search misses words that are in the file.
				names = append(names, a.Filename+" (text not read)")
				continue
			}
			names = append(names, a.Filename)
		}
		kindCell := ""
		if showKind {
			kindCell = m.Kind + "\t"
		}
		fmt.Fprintf(tw, "%d\t%s%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, kindCell, date, m.FromAddr, oneLine(m.Subject), meeting,
			strings.Join(names, ", "), m.Reason)
	}
	return tw.Flush()
}

// oneLine keeps a table row on one line whatever a subject holds.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (e *env) cmdMinutesAssign(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("minutes assign", "MESSAGE_ID MEETING_ID   (MEETING_ID 0 makes the minutes unfiled again)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("minutes assign: give the archive message ID and the meeting ID (see minutes list -unfiled, meeting list -all)")
	}
	msgID, err1 := strconv.ParseInt(fs.Arg(0), 10, 64)
	meetingID, err2 := strconv.ParseInt(fs.Arg(1), 10, 64)
	if err1 != nil || err2 != nil || msgID <= 0 || meetingID < 0 {
		return usagef("minutes assign: %q and %q must be IDs", fs.Arg(0), fs.Arg(1))
	}
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	if meetingID != 0 {
		if _, err := s.Meeting(ctx, meetingID); errors.Is(err, store.ErrNotFound) {
			return usagef("minutes assign: no meeting %d", meetingID)
		}
	}
	m, err := s.ArchiveMessageByID(ctx, msgID)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("minutes assign: no archived message %d", msgID)
	}
	if err != nil {
		return err
	}
	if m.State != store.ArchiveArchived {
		return usagef("minutes assign: message %d is quarantined (%s); import it again from an allowed sender instead", msgID, m.Reason)
	}
	if meetingID == 0 {
		if err := s.AssignMinutes(ctx, msgID, 0); err != nil {
			return err
		}
	} else if _, err := e.core(s).AssignMinutes(ctx, meeting.Operator(), msgID, meetingID, 0); err != nil {
		// The core also tells the group's channel, through the outbox.
		return refused("minutes assign", err)
	}
	if meetingID == 0 {
		fmt.Fprintf(e.stdout, "message %d is unfiled\n", msgID)
	} else {
		fmt.Fprintf(e.stdout, "message %d filed under meeting %d\n", msgID, meetingID)
	}
	return nil
}
