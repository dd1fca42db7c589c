package bot

import (
	"context"
	"slices"

	"github.com/bwmarrin/discordgo"

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

func (b *Bot) onMemberAdd(_ *discordgo.Session, ev *discordgo.GuildMemberAdd) {
	if ev.Member != nil && ev.GuildID == b.cfg.GuildID {
		b.memberChanged(ev.User, memberName(ev.Member), ev.Roles)
	}
}

func (b *Bot) onMemberUpdate(_ *discordgo.Session, ev *discordgo.GuildMemberUpdate) {
	if ev.Member != nil && ev.GuildID == b.cfg.GuildID {
		b.memberChanged(ev.User, memberName(ev.Member), ev.Roles)
	}
}

func (b *Bot) onMemberRemove(_ *discordgo.Session, ev *discordgo.GuildMemberRemove) {
	if ev.Member != nil && ev.GuildID == b.cfg.GuildID {
		b.memberChanged(ev.User, "", nil) // left the server: holds no role
	}
}
