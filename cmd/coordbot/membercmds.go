package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/store"
)

func (e *env) cmdMember(ctx context.Context, g *globals, args []string) error {
	return e.runSubcommand(ctx, g, "member", []subcommand{{"add", e.cmdMemberAdd}, {"list", e.cmdMemberList},
		{"remove", e.cmdMemberRemove}, {"import", e.cmdMemberImport}}, args)
}

func (e *env) cmdMemberAdd(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("member add", "-group SLUG -email ADDR [-name NAME] [-organisation ORG] [-coordinator] [-discord-id ID] [-notify auto|discord|email|both]")
	slug := fs.String("group", "", "the group's `slug`")
	email := fs.String("email", "", "e-mail `address` (several separated by commas)")
	name := fs.String("name", "", "full `name`, as the annual report shows it")
	org := fs.String("organisation", "", "the `organisation` they represent (a municipality, a service)")
	coordinator := fs.Bool("coordinator", false, "a coordinator of the group")
	discordID := fs.String("discord-id", "", "their Discord user `id`")
	notifyFlag := fs.String("notify", "", "how they are told: `auto` (Discord when their Discord id is known, else e-mail; the default), discord, email or both")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("member add: unexpected argument %q", rest[0])
	}
	if *email == "" && *discordID == "" {
		return usagef("member add: give -email (or -discord-id)")
	}
	var notify string
	if *notifyFlag != "" {
		if notify, err = parseNotify(*notifyFlag); err != nil {
			return usagef("member add: -%v", err)
		}
	}
	core, done, err := e.openCore(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	grp, _, err := groupFor(ctx, core.Store(), *slug)
	if err != nil {
		return err
	}
	in := meeting.MemberInput{Name: *name, Organisation: *org, DiscordID: *discordID, Notify: notify}
	if *email != "" {
		in.Emails = []string{*email}
	}
	if *coordinator {
		in.Role = store.RoleCoordinator
	}
	res, err := core.AddMember(ctx, meeting.Operator(), grp.ID, in)
	if err != nil {
		return refused("member add", err)
	}
	verb := "updated"
	if res.Created {
		verb = "added"
	}
	fmt.Fprintf(e.stdout, "member %d %s: %s <%s>, %s, %s of %s; notify %s\n", res.Member.ID, verb, res.Member.DisplayName,
		strings.Join(res.Member.Emails, ", "), orNone(res.Member.Organisation), res.Role, grp.Slug, notifyShown(res.Member))
	return nil
}

// reachNames names the channels the member is reached on (Member.Reach).
func reachNames(m *store.Member) []string {
	out := []string{}
	discord, email := m.Reach()
	if discord {
		out = append(out, "discord")
	}
	if email {
		out = append(out, "email")
	}
	return out
}

// notifyShown is the member's preference and what it gives, e.g.
// "auto → email" or "email → nowhere (no address mail can go to)".
func notifyShown(m *store.Member) string {
	reach := reachNames(m)
	if len(reach) == 0 {
		return m.Notify + " → nowhere (no Discord id or e-mail address that works)"
	}
	return m.Notify + " → " + strings.Join(reach, " + ")
}

// emailsShown lists the member's addresses, marking those that bounce.
func emailsShown(m *store.Member) string {
	shown := make([]string, len(m.Emails))
	for i, a := range m.Emails {
		shown[i] = a
		if slices.Contains(m.Bounced, a) {
			shown[i] += " (vrací se / bouncing)"
		}
	}
	return strings.Join(shown, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "(no organisation)"
	}
	return s
}

// memberJSON is one element of `member list -json`.
type memberJSON struct {
	ID           int64    `json:"id"`
	Email        string   `json:"email"`
	Emails       []string `json:"emails"`
	Name         string   `json:"name"`
	Organisation string   `json:"organisation"`
	Role         string   `json:"role"`
	DiscordID    string   `json:"discord_id"`
	// Bounced are the addresses of Emails that bounce: no mail goes there.
	Bounced []string `json:"bounced"`
	// Notify is the preference (auto, discord, email, both); Reach the
	// channels it gives with what is known ("discord", "email").
	Notify string   `json:"notify"`
	Reach  []string `json:"reach"`
}

func (e *env) cmdMemberList(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("member list", "-group SLUG [-json]")
	slug := fs.String("group", "", "the group's `slug`")
	asJSON := fs.Bool("json", false, "print a JSON array")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("member list: unexpected argument %q", rest[0])
	}
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	grp, _, err := groupFor(ctx, s, *slug)
	if err != nil {
		return err
	}
	members, err := s.GroupMembers(ctx, grp.ID)
	if err != nil {
		return err
	}
	out := make([]memberJSON, 0, len(members))
	for _, gm := range members {
		emails := gm.Emails
		if emails == nil {
			emails = []string{}
		}
		bounced := gm.Bounced
		if bounced == nil {
			bounced = []string{}
		}
		out = append(out, memberJSON{ID: gm.ID, Email: firstEmail(&gm.Member), Emails: emails, Name: gm.DisplayName,
			Organisation: gm.Organisation, Role: gm.Role, DiscordID: gm.DiscordUserID, Bounced: bounced,
			Notify: gm.Notify, Reach: reachNames(&gm.Member)})
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(out) == 0 {
		fmt.Fprintf(e.stdout, "%s has no members yet (coordbot member add or member import)\n", grp.Slug)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tORGANISATION\tE-MAIL\tROLE\tDISCORD\tNOTIFY")
	for _, gm := range members {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", gm.ID, gm.DisplayName, gm.Organisation, emailsShown(&gm.Member), gm.Role,
			gm.DiscordUserID, notifyShown(&gm.Member))
	}
	fmt.Fprintf(tw, "%s\n", i18n.Count(i18n.English, len(out), "member", "members", "members"))
	return tw.Flush()
}

func (e *env) cmdMemberRemove(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("member remove", "-group SLUG EMAIL|DISCORD_ID|ID")
	slug := fs.String("group", "", "the group's `slug`")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("member remove: give one member (an e-mail, a Discord id or a member ID from member list)")
	}
	core, done, err := e.openCore(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	s := core.Store()
	grp, _, err := groupFor(ctx, s, *slug)
	if err != nil {
		return err
	}
	mem, err := findMember(ctx, s, "member remove", rest[0])
	var ue *usageError
	if errors.As(err, &ue) {
		// A member ID from member list.
		if id, perr := parseID("member remove", "member", rest[0]); perr == nil {
			if m, merr := s.Member(ctx, id); merr == nil {
				mem, err = m, nil
			}
		}
	}
	if err != nil {
		return err
	}
	if err := core.RemoveMember(ctx, meeting.Operator(), grp.ID, mem.ID); err != nil {
		return refused("member remove", err)
	}
	fmt.Fprintf(e.stdout, "member %d removed from %s: %s (past answers and attendance stay)\n", mem.ID, grp.Slug, mem.DisplayName)
	return nil
}

func (e *env) cmdMemberImport(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("member import", "-group SLUG [-notify auto|discord|email|both] FILE.csv (header name,organisation,email[,discord_id,role,notify]; , or ; separated)")
	slug := fs.String("group", "", "the group's `slug`")
	notifyFlag := fs.String("notify", "", "the channel preference of rows without a notify value: `auto`, discord, email or both (default: keep a known member's, auto for a new one)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("member import: give one CSV file")
	}
	var notify string
	if *notifyFlag != "" {
		if notify, err = parseNotify(*notifyFlag); err != nil {
			return usagef("member import: -%v", err)
		}
	}
	rows, err := readMemberCSV(rest[0])
	var ce *memberCSVError
	if errors.As(err, &ce) {
		// A mistake in the file is the user's to fix, like a bad flag.
		return usagef("member import: %v\n(nothing imported)", err)
	}
	if err != nil {
		return err
	}
	core, done, err := e.openCore(ctx, g)
	if err != nil {
		return err
	}
	defer done()
	grp, _, err := groupFor(ctx, core.Store(), *slug)
	if err != nil {
		return err
	}
	list := make([]meeting.MemberInput, 0, len(rows))
	for _, r := range rows {
		in := meeting.MemberInput{Name: r.Name, Organisation: r.Organisation, Emails: []string{r.Email},
			DiscordID: r.DiscordID, Role: r.Role, Notify: r.Notify}
		if in.Notify == "" {
			in.Notify = notify
		}
		list = append(list, in)
	}
	added, updated, err := core.ImportMembers(ctx, meeting.Operator(), grp.ID, list)
	if err != nil {
		// The core names the row; say which line of the file it is.
		var re *meeting.RowError
		if errors.As(err, &re) && re.Row >= 1 && re.Row <= len(rows) {
			msg := re.Err.Error()
			if r, ok := meeting.IsRefusal(err); ok {
				msg = r.Message(i18n.English)
			}
			return usagef("member import: %s:%d: %s (nothing imported)", rest[0], rows[re.Row-1].Line, msg)
		}
		return refused("member import", err)
	}
	fmt.Fprintf(e.stdout, "%s: %d added, %d updated in %s\n", rest[0], added, updated, grp.Slug)
	return nil
}
