package bot

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/store"
)

// roleIn is the strongest of group g's roles among a member's Discord
// roles: store.RoleCoordinator, store.RoleMember, or "".
func roleIn(g *store.Group, roles []string) string {
	switch {
	case g.CoordinatorRoleID != "" && slices.Contains(roles, g.CoordinatorRoleID):
		return store.RoleCoordinator
	case g.MemberRoleID != "" && slices.Contains(roles, g.MemberRoleID):
		return store.RoleMember
	}
	return ""
}

// roleGroups are the groups whose membership Discord roles decide.
func (b *Bot) roleGroups() []*store.Group {
	var out []*store.Group
	for _, gi := range b.groups {
		if gi.group.MemberRoleID != "" || gi.group.CoordinatorRoleID != "" {
			out = append(out, gi.group)
		}
	}
	return out
}

func memberName(m *discordgo.Member) string {
	if m.Nick != "" {
		return m.Nick
	}
	if m.User != nil {
		return displayName(m.User)
	}
	return ""
}

// syncRoleHolders reads the guild's whole member list (pages of 1000) and
// records the holders of each group's roles as its members. A failure is
// logged: the bot works without it, learning members as they click.
func (b *Bot) syncRoleHolders(ctx context.Context) {
	groups := b.roleGroups()
	if b.cfg.GuildID == "" || len(groups) == 0 {
		return
	}
	var all []*discordgo.Member
	after := ""
	for {
		page, err := b.session.GuildMembers(b.cfg.GuildID, after, 1000, discordgo.WithContext(ctx))
		if err != nil {
			b.logger.Warn("reading the server's members (is the Server Members Intent on?)", "guild_id", b.cfg.GuildID, "err", err)
			return
		}
		all = append(all, page...)
		if len(page) < 1000 || page[len(page)-1].User == nil {
			break
		}
		after = page[len(page)-1].User.ID
	}
	for _, g := range groups {
		var holders []meeting.RoleHolder
		for _, m := range all {
			if m.User == nil || m.User.Bot {
				continue
			}
			if role := roleIn(g, m.Roles); role != "" {
				holders = append(holders, meeting.RoleHolder{DiscordID: m.User.ID, Name: memberName(m), Role: role})
			}
		}
		n, err := b.core.SyncRoleHolders(ctx, g.ID, holders, true)
		if err != nil {
			b.logger.Error("recording the holders of a group's roles", "group", g.Slug, "err", err)
			continue
		}
		b.logger.Info("group members from discord roles", "group", g.Slug, "holders", len(holders), "changed", n)
	}
}

// memberChanged records one member's roles in every group roles decide.
func (b *Bot) memberChanged(user *discordgo.User, name string, roles []string) {
	if user == nil || user.Bot || !b.begin() {
		return
	}
	defer b.inflight.Done()
	ctx, cancel := context.WithTimeout(b.ctx, answerBudget)
	defer cancel()
	if name == "" {
		name = displayName(user)
	}
	for _, g := range b.roleGroups() {
		h := meeting.RoleHolder{DiscordID: user.ID, Name: name, Role: roleIn(g, roles)}
		if _, err := b.core.SyncRoleHolders(ctx, g.ID, []meeting.RoleHolder{h}, false); err != nil {
			b.logger.Error("recording a member's roles", "group", g.Slug, "user_id", user.ID, "err", err)
		}
	}
}

// onMemberEvent handles GUILD_MEMBER_ADD, _UPDATE and _REMOVE: each
// carries the member (REMOVE only the user) and the guild.
func (b *Bot) onMemberEvent(t string, d json.RawMessage) {
	var ev discordgo.Member
	if err := json.Unmarshal(d, &ev); err != nil {
		b.logger.Error("bot: undecodable member event", "event", t, "err", err)
		return
	}
	if ev.GuildID != b.cfg.GuildID || ev.User == nil {
		return
	}
	if t == "GUILD_MEMBER_REMOVE" {
		b.memberChanged(ev.User, "", nil) // left the server: holds no role
		return
	}
	b.memberChanged(ev.User, memberName(&ev), ev.Roles)
}

// Sentences of /member set.
var (
	// msgMemberNotify follows msgMemberSaved.
	msgMemberNotify = i18n.Text{CS: " Oznámení: %s – %s.", EN: " Notifications: %s – %s."}
	msgBouncing     = i18n.Text{CS: "vrací se", EN: "bouncing"}
	msgNone         = i18n.Text{CS: "žádné", EN: "none"}

	msgReachDiscord = i18n.Text{CS: "chodí na Discord", EN: "sent on Discord"}
	msgReachEmail   = i18n.Text{CS: "chodí e-mailem", EN: "sent by e-mail"}
	msgReachBoth    = i18n.Text{CS: "chodí na Discord i e-mailem", EN: "sent on Discord and by e-mail"}
	msgReachNowhere = i18n.Text{CS: "nikam nechodí: chybí Discord účet nebo e-mail, který funguje",
		EN: "sent nowhere: no Discord account or working e-mail"}
)

// notifyNames names the channel preferences as the /member set choices do.
var notifyNames = map[string]i18n.Text{
	store.NotifyAuto:    {CS: "automaticky", EN: "automatic"},
	store.NotifyDiscord: {CS: "Discord", EN: "Discord"},
	store.NotifyEmail:   {CS: "e-mail", EN: "e-mail"},
	store.NotifyBoth:    {CS: "oboje", EN: "both"},
}

// memberSetCommand records a member's organisation, e-mail addresses and
// channel preference; a coordinator may set them for someone else (and so
// adds them to the group). The core checks the addresses and whether the
// preference can reach the member.
func (b *Bot) memberSetCommand(r *request, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	var target *meeting.Actor
	if opt, ok := o["user"]; ok {
		u := opt.UserValue(nil)
		name := u.ID
		if res := r.ic.ApplicationCommandData().Resolved; res != nil {
			if ru, ok := res.Users[u.ID]; ok {
				name = displayName(ru)
			}
			if rm, ok := res.Members[u.ID]; ok && rm.Nick != "" {
				name = rm.Nick
			}
		}
		target = &meeting.Actor{Via: store.ViaDiscord, DiscordUserID: u.ID, DiscordName: name}
	}
	var d meeting.Details
	if _, ok := o["organisation"]; ok {
		org := o.str("organisation")
		d.Organisation = &org
	}
	if _, ok := o["email"]; ok {
		emails := []string{o.str("email")}
		d.Emails = &emails
	}
	if _, ok := o["notify"]; ok {
		notify := o.str("notify")
		d.Notify = &notify
	}
	m, err := b.core.SetDetails(r.ctx, r.actor(), r.group.ID, target, d)
	if err != nil {
		return nil, err
	}
	return private(tr(r.lang, msgMemberSaved, escape(m.DisplayName), escape(m.Organisation), memberEmails(r.lang, m)) +
		tr(r.lang, msgMemberNotify, notifyNames[m.Notify].In(r.lang), reachText(m).In(r.lang))), nil
}

// memberEmails lists a member's addresses, marking those that bounce.
func memberEmails(lang i18n.Lang, m *store.Member) string {
	if len(m.Emails) == 0 {
		return tr(lang, msgNone)
	}
	shown := make([]string, len(m.Emails))
	for i, a := range m.Emails {
		shown[i] = a // as before: the answer is ephemeral, seen by the member alone
		if slices.Contains(m.Bounced, a) {
			shown[i] += " (" + tr(lang, msgBouncing) + ")"
		}
	}
	return strings.Join(shown, ", ")
}

// reachText says where the member's notifications go (store.Member.Reach).
func reachText(m *store.Member) i18n.Text {
	switch discord, email := m.Reach(); {
	case discord && email:
		return msgReachBoth
	case discord:
		return msgReachDiscord
	case email:
		return msgReachEmail
	}
	return msgReachNowhere
}
