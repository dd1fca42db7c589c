package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/store"
)

// core is the core over an open store, both on the command's clock.
func (e *env) core(s *store.Store) *meeting.Service {
	s.Now = e.now
	core := meeting.New(s)
	core.Now = e.now
	return core
}

// openCore opens the store and the core over it, on the command's clock.
func (e *env) openCore(ctx context.Context, g *globals) (*meeting.Service, func(), error) {
	s, err := openStore(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	return e.core(s), func() { s.Close() }, nil
}

// refused turns a use case's refusal into a usage error (exit 2) with its
// English sentence; other errors pass through.
func refused(cmd string, err error) error {
	if r, ok := meeting.IsRefusal(err); ok {
		return usagef("%s: %s", cmd, r.Message(i18n.English))
	}
	return err
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

// subcommand is one verb of a command with several (meeting add, ...).
type subcommand struct {
	name string
	run  func(ctx context.Context, g *globals, args []string) error
}

// runSubcommand runs the subcommand named by args[0]; -h lists them.
func (e *env) runSubcommand(ctx context.Context, g *globals, cmd string, subs []subcommand, args []string) error {
	names := make([]string, len(subs))
	for i, sc := range subs {
		names[i] = sc.name
	}
	list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	if ok, err := e.subcommandHelp(cmd, list, args); ok {
		return err
	}
	if len(args) == 0 {
		return usagef("%s: want %s", cmd, list)
	}
	for _, sc := range subs {
		if sc.name == args[0] {
			return sc.run(ctx, g, args[1:])
		}
	}
	return usagef("%s: unknown subcommand %q: want %s", cmd, args[0], list)
}

// subcommandHelp answers -h of a command with subcommands: the list, on
// stdout, and exit 0.
func (e *env) subcommandHelp(cmd, list string, args []string) (bool, error) {
	if len(args) == 0 {
		return false, nil
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(e.stdout, "Usage: coordbot %s %s ...\n(coordbot %s SUBCOMMAND -h for each)\n",
			cmd, strings.ReplaceAll(strings.ReplaceAll(list, ", ", "|"), " or ", "|"), cmd)
		return true, flag.ErrHelp
	}
	return false, nil
}

// oneID parses a command that takes exactly one ID (what: "meeting",
// "agenda item"), with its flags before or after it; hint ends the usage
// error, e.g. " (see coordbot meeting list)".
func oneID(fs *flag.FlagSet, args []string, what, hint string) (int64, error) {
	rest, err := parseArgs(fs, args)
	if err != nil {
		return 0, err
	}
	if len(rest) != 1 {
		return 0, usagef("%s: give one %s ID%s", fs.Name(), what, hint)
	}
	return parseID(fs.Name(), what, rest[0])
}

// parseID reads a positive id argument.
func parseID(cmd, what, arg string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("%s: %q is not a %s ID", cmd, arg, what)
	}
	return id, nil
}

// findMember finds a member by e-mail address or Discord id.
func findMember(ctx context.Context, s *store.Store, cmd, who string) (*store.Member, error) {
	who = strings.TrimSpace(who)
	m, err := s.MemberByEmail(ctx, who)
	if errors.Is(err, store.ErrNotFound) {
		m, err = s.MemberByDiscordID(ctx, who)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, usagef("%s: no member %q (give an e-mail or a Discord id; see coordbot member list)", cmd, who)
	}
	return m, err
}

// parseWhen reads a date typed in the group's zone. note is "" or, when
// the hour happens twice (the clocks go back), a sentence saying which was
// taken, printed after the result.
func parseWhen(cmd, text string, loc *time.Location) (t time.Time, note string, err error) {
	t, amb, err := i18n.ParseDateTimeNote(text, loc)
	if err != nil {
		var pe *i18n.ParseError
		if errors.As(err, &pe) {
			return time.Time{}, "", usagef("%s: %s", cmd, pe.Message(i18n.English))
		}
		return time.Time{}, "", usagef("%s: %v", cmd, err)
	}
	if amb != nil {
		note = amb.Note(i18n.English)
	}
	return t, note, nil
}

// printNote prints a note line after a command's result, when there is one.
func (e *env) printNote(note string) {
	if note != "" {
		fmt.Fprintln(e.stdout, "note: "+note)
	}
}

func (e *env) cmdMeeting(ctx context.Context, g *globals, args []string) error {
	return e.runSubcommand(ctx, g, "meeting", []subcommand{{"add", e.cmdMeetingAdd}, {"list", e.cmdMeetingList},
		{"show", e.cmdMeetingShow}, {"edit", e.cmdMeetingEdit}, {"cancel", e.cmdMeetingCancel},
		{"attended", e.cmdMeetingAttended}}, args)
}

func (e *env) cmdMeetingAdd(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("meeting add", "-group SLUG -title TITLE -start \"23. 3. 2027 10:00\" [-duration 2h] [-place PLACE] [-url URL] [-past]")
	slug := fs.String("group", "", "the group's `slug`")
	title := fs.String("title", "", "the meeting's `title`")
	start := fs.String("start", "", "date and time in the group's zone, e.g. \"23. 3. 2027 10:00\" or 2027-03-23T10:00")
	duration := fs.Duration("duration", meeting.DefaultDuration, "how long it lasts")
	place := fs.String("place", "", "where it takes place")
	link := fs.String("url", "", "online meeting link")
	past := fs.Bool("past", false, "record a meeting that already took place (no announcement, no reminders)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("meeting add: unexpected argument %q", rest[0])
	}
	if strings.TrimSpace(*title) == "" {
		return usagef("meeting add: -title is required")
	}
	if *start == "" {
		return usagef("meeting add: -start is required, e.g. -start \"23. 3. 2027 10:00\"")
	}
	core, done, err := e.openCore(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	grp, loc, err := groupFor(ctx, core.Store(), *slug)
	if err != nil {
		return err
	}
	when, note, err := parseWhen("meeting add", *start, loc)
	if err != nil {
		return err
	}
	res, err := core.Create(ctx, meeting.Operator(), grp.ID, meeting.Draft{Title: *title, Start: when, Duration: *duration,
		Place: *place, OnlineURL: *link, Past: *past})
	if err != nil {
		return refused("meeting add", err)
	}
	m := res.Meeting
	verb := "created"
	if *past {
		verb = "recorded as held"
	}
	fmt.Fprintf(e.stdout, "meeting %d %s: %s, %s (%s)\n", m.ID, verb, m.Title, i18n.FormatDateTime(m.Start, loc, meeting.Lang(grp)), grp.Slug)
	e.printNote(note)
	return nil
}

func (e *env) cmdMeetingEdit(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("meeting edit", "ID [-title T] [-start WHEN] [-duration D] [-place P] [-url U]")
	title := fs.String("title", "", "new `title`")
	start := fs.String("start", "", "new date and time in the group's zone")
	duration := fs.Duration("duration", 0, "new length")
	place := fs.String("place", "", "new place (\"\" clears it with -place=)")
	link := fs.String("url", "", "new online meeting link")
	id, err := oneID(fs, args, "meeting", " (see coordbot meeting list)")
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if len(set) == 0 {
		return usagef("meeting edit: nothing to change: give -title, -start, -duration, -place or -url")
	}
	core, done, err := e.openCore(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	m, err := core.Store().Meeting(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("meeting edit: no meeting %d", id)
	}
	if err != nil {
		return err
	}
	loc := meetingZone(m)
	var c meeting.Changes
	var note string
	if set["title"] {
		c.Title = title
	}
	if set["start"] {
		t, n, err := parseWhen("meeting edit", *start, loc)
		if err != nil {
			return err
		}
		c.Start, note = &t, n
	}
	if set["duration"] {
		c.Duration = duration
	}
	if set["place"] {
		c.Place = place
	}
	if set["url"] {
		c.OnlineURL = link
	}
	res, err := core.Edit(ctx, meeting.Operator(), id, 0, c)
	if err != nil {
		return refused("meeting edit", err)
	}
	m = res.Meeting
	fmt.Fprintf(e.stdout, "meeting %d changed: %s, %s\n", m.ID, m.Title, i18n.FormatDateTime(m.Start, loc, meeting.Lang(res.Group)))
	e.printNote(note)
	return nil
}

// meetingZone is the zone a meeting was planned in.
func meetingZone(m *store.Meeting) *time.Location {
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func (e *env) cmdMeetingCancel(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("meeting cancel", "ID")
	id, err := oneID(fs, args, "meeting", " (see coordbot meeting list)")
	if err != nil {
		return err
	}
	core, done, err := e.openCore(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	if _, err := core.Store().Meeting(ctx, id); errors.Is(err, store.ErrNotFound) {
		return usagef("meeting cancel: no meeting %d", id)
	}
	res, err := core.Cancel(ctx, meeting.Operator(), id, 0)
	if err != nil {
		return refused("meeting cancel", err)
	}
	fmt.Fprintf(e.stdout, "meeting %d cancelled: %s\n", res.Meeting.ID, res.Meeting.Title)
	return nil
}

func (e *env) cmdMeetingList(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("meeting list", "[-group SLUG] [-all]")
	slug := fs.String("group", "", "only this group's meetings")
	all := fs.Bool("all", false, "past and cancelled meetings too")
	if _, err := parseArgs(fs, args); err != nil {
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
		loc := meetingZone(m)
		where := m.Place
		if m.OnlineURL != "" {
			where = strings.TrimSpace(where + " " + m.OnlineURL)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, grp.Slug,
			i18n.FormatDateTime(m.Start, loc, meeting.Lang(grp)), m.Status, m.Title, where)
		pending, err := s.Notifications(ctx, store.NotificationFilter{MeetingID: m.ID,
			States: []string{store.NotificationPending, store.NotificationClaimed}})
		if err != nil {
			return err
		}
		for _, n := range pending {
			fmt.Fprintf(tw, "\t\t  %s\t%s\t%s\t\n", i18n.FormatDateTime(n.Due, loc, meeting.Lang(grp)), n.State, describeNotification(n))
		}
	}
	return tw.Flush()
}

// meetingJSON is `meeting show -json`.
type meetingJSON struct {
	ID       int64         `json:"id"`
	Group    string        `json:"group"`
	Title    string        `json:"title"`
	Start    string        `json:"start"`
	End      string        `json:"end"`
	TimeZone string        `json:"time_zone"`
	Place    string        `json:"place"`
	URL      string        `json:"url"`
	Status   string        `json:"status"`
	RSVPs    []rsvpJSON    `json:"rsvps"`
	Agenda   []agendaJSON  `json:"agenda"`
	Minutes  []minutesJSON `json:"minutes"`
	Guests   []guestJSON   `json:"guests"`
}

type guestJSON struct {
	Name         string `json:"name"`
	Organisation string `json:"organisation"`
}

type rsvpJSON struct {
	Email        string `json:"email"`
	DiscordID    string `json:"discord_id"`
	Name         string `json:"name"`
	Organisation string `json:"organisation"`
	Answer       string `json:"answer"`
	Note         string `json:"note"`
	Substitute   string `json:"substitute"`
	Via          string `json:"via"`
	At           string `json:"at"`
}

type agendaJSON struct {
	ID       int64  `json:"id"`
	Position int    `json:"position"`
	Title    string `json:"title"`
	Details  string `json:"details"`
	State    string `json:"state"`
	By       string `json:"by"`
}

type minutesJSON struct {
	ID      int64  `json:"id"`
	Subject string `json:"subject"`
	From    string `json:"from"`
}

func firstEmail(m *store.Member) string {
	if len(m.Emails) > 0 {
		return m.Emails[0]
	}
	return ""
}

func (e *env) cmdMeetingShow(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("meeting show", "ID [-json]")
	asJSON := fs.Bool("json", false, "print one JSON object")
	id, err := oneID(fs, args, "meeting", " (see coordbot meeting list)")
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
		return usagef("meeting show: no meeting %d", id)
	}
	if err != nil {
		return err
	}
	m, loc := v.Meeting, meetingZone(v.Meeting)
	out := meetingJSON{ID: m.ID, Group: v.Group.Slug, Title: m.Title, Start: m.Start.In(loc).Format(time.RFC3339),
		End: m.End().In(loc).Format(time.RFC3339), TimeZone: m.TimeZone, Place: m.Place, URL: m.OnlineURL, Status: m.Status,
		RSVPs: []rsvpJSON{}, Agenda: []agendaJSON{}, Minutes: []minutesJSON{}, Guests: []guestJSON{}}
	for _, gu := range v.Guests {
		out.Guests = append(out.Guests, guestJSON{Name: gu.Name, Organisation: gu.Organisation})
	}
	for _, a := range v.Answers {
		out.RSVPs = append(out.RSVPs, rsvpJSON{Email: firstEmail(a.Member), DiscordID: a.Member.DiscordUserID,
			Name: a.Member.DisplayName, Organisation: a.Member.Organisation, Answer: a.RSVP.Answer, Note: a.RSVP.Note,
			Substitute: a.RSVP.Substitute, Via: a.RSVP.Via, At: a.RSVP.UpdatedAt.In(loc).Format(time.RFC3339)})
	}
	for _, it := range v.Agenda {
		out.Agenda = append(out.Agenda, agendaJSON{ID: it.ID, Position: it.Position, Title: it.Title, Details: it.Details,
			State: it.Status, By: it.By})
	}
	for _, mm := range v.Minutes {
		out.Minutes = append(out.Minutes, minutesJSON{ID: mm.ID, Subject: mm.Subject, From: mm.FromAddr})
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	lang := meeting.Lang(v.Group)
	fmt.Fprintf(e.stdout, "#%d %s (%s)\n%s–%s, %s\n", m.ID, m.Title, v.Group.Slug, i18n.FormatWeekdayDateTime(m.Start, loc, lang),
		m.End().In(loc).Format("15:04"), m.Status)
	if where := strings.TrimSpace(m.Place + " " + m.OnlineURL); where != "" {
		fmt.Fprintf(e.stdout, "place: %s\n", where)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nANSWERS (%d)\n", len(out.RSVPs))
	for _, r := range out.RSVPs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.Name, r.Organisation, r.Answer, r.Via,
			strings.TrimSpace(strings.Join([]string{r.Note, substituteText(r.Substitute)}, " ")))
	}
	fmt.Fprintf(tw, "\nAGENDA (%d)\n", len(out.Agenda))
	for _, it := range out.Agenda {
		fmt.Fprintf(tw, "  #%d\t%s\t%s\t%s\n", it.ID, it.Title, it.State, it.By)
	}
	fmt.Fprintf(tw, "\nMINUTES (%d)\n", len(out.Minutes))
	for _, mm := range out.Minutes {
		fmt.Fprintf(tw, "  #%d\t%s\t%s\n", mm.ID, mm.Subject, mm.From)
	}
	return tw.Flush()
}

func substituteText(s string) string {
	if s == "" {
		return ""
	}
	return "(instead: " + s + ")"
}

// cmdMeetingAttended records who actually came:
// meeting attended ID PERSON[=SUBSTITUTE]... [-absent PERSON,...]
func (e *env) cmdMeetingAttended(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("meeting attended", "ID PERSON... (a member's e-mail or Discord id; PERSON=NAME when a deputy came instead) [-absent PERSON,...] [-guest \"NAME=ORGANISATION\"]...")
	absent := fs.String("absent", "", "comma-separated members who did not come")
	var guests guestList
	fs.Var(&guests, "guest", "a guest who is not a member, as `NAME=ORGANISATION` (repeat for each)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) < 1 {
		return usagef("meeting attended: give the meeting ID and who came")
	}
	id, err := parseID("meeting attended", "meeting", rest[0])
	if err != nil {
		return err
	}
	core, done, err := e.openCore(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	s := core.Store()
	if _, err := s.Meeting(ctx, id); errors.Is(err, store.ErrNotFound) {
		return usagef("meeting attended: no meeting %d", id)
	}
	var list []meeting.Presence
	for _, arg := range rest[1:] {
		who, subst, _ := strings.Cut(arg, "=")
		mem, err := findMember(ctx, s, "meeting attended", who)
		if err != nil {
			return err
		}
		list = append(list, meeting.Presence{MemberID: mem.ID, Attended: true, Substitute: subst})
	}
	for _, who := range strings.FieldsFunc(*absent, func(r rune) bool { return r == ',' }) {
		mem, err := findMember(ctx, s, "meeting attended", who)
		if err != nil {
			return err
		}
		list = append(list, meeting.Presence{MemberID: mem.ID})
	}
	res, err := core.RecordAttendance(ctx, meeting.Operator(), id, 0, list, false, guests...)
	if err != nil {
		return refused("meeting attended", err)
	}
	fmt.Fprintf(e.stdout, "meeting %d: attendance recorded, %d of %d came", id, res.Came, res.Of)
	if len(guests) > 0 {
		fmt.Fprintf(e.stdout, ", %d guests", len(guests))
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// guestList collects -guest "Name=Organisation" flags.
type guestList []store.Guest

// String implements flag.Value.
func (l *guestList) String() string {
	var parts []string
	for _, g := range *l {
		parts = append(parts, g.Name+"="+g.Organisation)
	}
	return strings.Join(parts, ", ")
}

// Set implements flag.Value: NAME=ORGANISATION, or NAME alone.
func (l *guestList) Set(v string) error {
	name, org, _ := strings.Cut(v, "=")
	name, org = strings.TrimSpace(name), strings.TrimSpace(org)
	if name == "" {
		return fmt.Errorf("a guest needs a name: -guest \"Name=Organisation\"")
	}
	if len([]rune(name)) > 200 || len([]rune(org)) > 200 {
		return fmt.Errorf("guest %q: name and organisation are at most 200 characters", name)
	}
	*l = append(*l, store.Guest{Name: name, Organisation: org})
	return nil
}
