package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/store"
)

// cmdRSVP records an answer received by phone or in person.
func (e *env) cmdRSVP(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("rsvp", "MEETING PERSON yes|no|maybe [-note TEXT] [-substitute NAME] (PERSON: e-mail or Discord id)")
	note := fs.String("note", "", "a note for the coordinator")
	substitute := fs.String("substitute", "", "who comes instead")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 3 {
		return usagef("rsvp: give MEETING PERSON yes|no|maybe, e.g. coordbot rsvp 12 jana@obec.cz yes")
	}
	id, err := parseID("rsvp", "meeting", rest[0])
	if err != nil {
		return err
	}
	answer := strings.ToLower(rest[2])
	switch answer {
	case "ano", "přijdu", "prijdu":
		answer = store.AnswerYes
	case "ne", "nepřijdu", "neprijdu":
		answer = store.AnswerNo
	case "možná", "mozna":
		answer = store.AnswerMaybe
	}
	if answer != store.AnswerYes && answer != store.AnswerNo && answer != store.AnswerMaybe {
		return usagef("rsvp: answer %q: want yes, no or maybe", rest[2])
	}
	core, done, err := e.openCore(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	s := core.Store()
	if _, err := s.Meeting(ctx, id); errors.Is(err, store.ErrNotFound) {
		return usagef("rsvp: no meeting %d", id)
	}
	who, err := findMember(ctx, s, "rsvp", rest[1])
	if err != nil {
		return err
	}
	a := meeting.Operator()
	a.MemberID = who.ID
	res, err := core.Answer(ctx, a, id, 0, answer, *note, *substitute)
	if err != nil {
		return refused("rsvp", err)
	}
	fmt.Fprintf(e.stdout, "meeting %d: %s answered %s\n", res.Meeting.ID, who.DisplayName, res.RSVP.Answer)
	return nil
}

func (e *env) cmdAgenda(ctx context.Context, g *globals, args []string) error {
	return e.runSubcommand(ctx, g, "agenda", []subcommand{{"add", e.cmdAgendaAdd}, {"list", e.cmdAgendaList},
		{"accept", e.cmdAgendaAccept}}, args)
}

func (e *env) cmdAgendaAdd(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("agenda add", "MEETING -title TITLE [-details TEXT] [-by PERSON]")
	title := fs.String("title", "", "the item's `title`")
	details := fs.String("details", "", "what it is about")
	by := fs.String("by", "", "who proposed it (e-mail or Discord id of a member)")
	id, err := oneID(fs, args, "meeting", "")
	if err != nil {
		return err
	}
	if strings.TrimSpace(*title) == "" {
		return usagef("agenda add: -title is required")
	}
	core, done, err := e.openCore(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	s := core.Store()
	if _, err := s.Meeting(ctx, id); errors.Is(err, store.ErrNotFound) {
		return usagef("agenda add: no meeting %d", id)
	}
	a := meeting.Operator()
	if *by != "" {
		who, err := findMember(ctx, s, "agenda add", *by)
		if err != nil {
			return err
		}
		a.MemberID = who.ID
	}
	res, err := core.Propose(ctx, a, id, 0, *title, *details)
	if err != nil {
		return refused("agenda add", err)
	}
	late := ""
	if res.Late {
		late = " (after the agenda deadline: marked late)"
	}
	fmt.Fprintf(e.stdout, "agenda item %d added to meeting %d: %s%s\n", res.Item.ID, res.Meeting.ID, res.Item.Title, late)
	return nil
}

func (e *env) cmdAgendaList(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("agenda list", "MEETING")
	id, err := oneID(fs, args, "meeting", "")
	if err != nil {
		return err
	}
	core, done, err := e.openCore(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	v, err := core.View(ctx, id)
	if _, ok := meeting.IsRefusal(err); ok {
		return usagef("agenda list: no meeting %d", id)
	}
	if err != nil {
		return err
	}
	if len(v.Agenda) == 0 {
		fmt.Fprintf(e.stdout, "meeting %d has no agenda items\n", id)
		return nil
	}
	deadline := meeting.AgendaDeadline(v.Group, v.Meeting)
	n := 0
	for _, it := range v.Agenda {
		mark := it.Status
		if it.CreatedAt.After(deadline) {
			mark += ", late"
		}
		pos := "-"
		if it.Status != store.AgendaWithdrawn {
			n++
			pos = fmt.Sprint(n)
		}
		by := ""
		if it.By != "" {
			by = " — " + it.By
		}
		fmt.Fprintf(e.stdout, "%s. #%d %s (%s)%s\n", pos, it.ID, it.Title, mark, by)
	}
	return nil
}

func (e *env) cmdAgendaAccept(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("agenda accept", "ITEM")
	id, err := oneID(fs, args, "agenda item", " (see coordbot agenda list MEETING)")
	if err != nil {
		return err
	}
	core, done, err := e.openCore(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	res, err := core.SetAgendaStatus(ctx, meeting.Operator(), id, 0, store.AgendaAccepted)
	if r, ok := meeting.IsRefusal(err); ok {
		return usagef("agenda accept: %s", r.Message(i18n.English))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "agenda item %d accepted: %s\n", res.Item.ID, res.Item.Title)
	return nil
}
