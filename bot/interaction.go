package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/internal/jsonscan"
	"coordbot/meeting"
	"coordbot/store"
)

// answerBudget is how long a handler may work before answering: Discord
// drops an interaction not answered within 3 s.
const answerBudget = 2500 * time.Millisecond

// request is one interaction with what the bot knows about it.
type request struct {
	ctx context.Context
	ic  *discordgo.Interaction
	// lang is the group's language, else the user's.
	lang  i18n.Lang
	group *store.Group // nil outside a group's channel
	loc   *time.Location
	// userID and userName identify who acted; roles are their roles in
	// the guild (from the interaction itself, so no REST call is needed).
	userID, userName string
	roles            []string
}

// refusal is an answer to bad input or a missing permission: the user sees
// the sentence, nothing is logged as an error.
type refusal struct {
	m    i18n.Text
	args []any
}

func (r *refusal) Error() string { return r.m.In(i18n.English, r.args...) }

func refuse(m i18n.Text, args ...any) error { return &refusal{m: m, args: args} }

// reply is what a handler answers. Everything a handler causes beyond the
// answer (the card, its edits, the scheduled event) is an outbox row the
// core wrote in the use case's transaction, not work done here.
type reply struct {
	resp *discordgo.InteractionResponse
}

// private is an ephemeral text answer: only the user sees it.
func private(text string) *reply {
	return &reply{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: text, Flags: discordgo.MessageFlagsEphemeral,
			AllowedMentions: &discordgo.MessageAllowedMentions{}}}}
}

// public is an answer everyone in the channel sees.
func public(text string) *reply {
	return &reply{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: text, AllowedMentions: &discordgo.MessageAllowedMentions{}}}}
}

// decodeInteraction decodes an INTERACTION_CREATE like discordgo's
// Interaction.UnmarshalJSON, but leaves out the message a clicked button
// sits on (Interaction.Message stays nil): the bot never reads it, and
// that message (the card with its embeds and components) is most of a
// click's payload and of discordgo's decoding time. What quickInteraction
// can read it reads; the rest goes through encoding/json.
func decodeInteraction(d json.RawMessage) (*discordgo.Interaction, error) {
	if ic, ok := quickInteraction(d); ok {
		return ic, nil
	}
	return fullInteraction(d)
}

// fullInteraction decodes an interaction with encoding/json.
func fullInteraction(d json.RawMessage) (*discordgo.Interaction, error) {
	var w struct {
		ID          string                    `json:"id"`
		AppID       string                    `json:"application_id"`
		Type        discordgo.InteractionType `json:"type"`
		Data        json.RawMessage           `json:"data"`
		GuildID     string                    `json:"guild_id"`
		ChannelID   string                    `json:"channel_id"`
		Member      *discordgo.Member         `json:"member"`
		User        *discordgo.User           `json:"user"`
		Locale      discordgo.Locale          `json:"locale"`
		GuildLocale *discordgo.Locale         `json:"guild_locale"`
		Token       string                    `json:"token"`
		Version     int                       `json:"version"`
	}
	// Cut the message out before decoding: json.Unmarshal would scan it
	// twice (validating, then skipping it).
	if err := json.Unmarshal(jsonscan.WithoutMember(d, "message"), &w); err != nil {
		return nil, fmt.Errorf("bot: interaction: %w", err)
	}
	ic := &discordgo.Interaction{ID: w.ID, AppID: w.AppID, Type: w.Type, GuildID: w.GuildID, ChannelID: w.ChannelID,
		Member: w.Member, User: w.User, Locale: w.Locale, GuildLocale: w.GuildLocale, Token: w.Token, Version: w.Version}
	if err := decodeData(ic, w.Data); err != nil {
		return nil, fmt.Errorf("bot: interaction %s data: %w", w.ID, err)
	}
	return ic, nil
}

// decodeData decodes an interaction's data by its type, as discordgo's
// Interaction.UnmarshalJSON does (other types have none it knows).
func decodeData(ic *discordgo.Interaction, data json.RawMessage) error {
	var err error
	switch ic.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		var v discordgo.ApplicationCommandInteractionData
		err = json.Unmarshal(data, &v)
		ic.Data = v
	case discordgo.InteractionMessageComponent:
		var v discordgo.MessageComponentInteractionData
		err = json.Unmarshal(data, &v)
		ic.Data = v
	case discordgo.InteractionModalSubmit:
		var v discordgo.ModalSubmitInteractionData
		err = json.Unmarshal(data, &v)
		ic.Data = v
	}
	return err
}

// onInteraction answers one interaction. It never panics: a handler's
// panic or error becomes a safe sentence for the user and a log line with
// the detail.
func (b *Bot) onInteraction(ic *discordgo.Interaction) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(b.ctx, answerBudget)
	defer cancel()
	r := b.newRequest(ctx, ic)
	rep, err := b.safeHandle(r)
	kind, name := describe(ic)
	log := b.logger.With("interaction_id", ic.ID, "kind", kind, "name", name, "user_id", r.userID)
	if err != nil {
		var ref *refusal
		if errors.As(err, &ref) {
			log.Info("interaction refused", "reason", err.Error())
			rep = private(tr(r.lang, ref.m, ref.args...))
		} else if cr, ok := meeting.IsRefusal(err); ok {
			log.Info("interaction refused", "reason", cr.Message(i18n.English))
			rep = private(cr.Message(r.lang))
		} else {
			log.Error("interaction failed", "err", err)
			rep = private(tr(r.lang, msgInternal))
		}
		if ic.Type == discordgo.InteractionApplicationCommandAutocomplete {
			rep = &reply{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}}}}
		}
	}
	if rep != nil && rep.resp != nil {
		if err := respond(b.session, ic, rep.resp); err != nil {
			log.Error("interaction answer failed", "err", err)
			return
		}
	}
	// waited_ms is how old the interaction was when its handler began (its
	// id is a snowflake that carries Discord's creation time): the gateway
	// and queueing delay, apart from the handler's own ms.
	waited := int64(-1)
	if created, err := discordgo.SnowflakeTimestamp(ic.ID); err == nil {
		waited = start.Sub(created).Milliseconds()
	}
	log.Info("interaction answered", "ms", time.Since(start).Milliseconds(), "waited_ms", waited)
}

// safeHandle runs the handler for r, turning a panic into an error.
func (b *Bot) safeHandle(r *request) (rep *reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bot: panic: %v\n%s", p, debug.Stack())
		}
	}()
	switch r.ic.Type {
	case discordgo.InteractionApplicationCommand:
		return b.handleCommand(r)
	case discordgo.InteractionApplicationCommandAutocomplete:
		return b.handleAutocomplete(r)
	case discordgo.InteractionMessageComponent:
		return b.handleComponent(r)
	case discordgo.InteractionModalSubmit:
		return b.handleModal(r)
	}
	return nil, refuse(msgUnknownCommand)
}

func describe(ic *discordgo.Interaction) (kind, name string) {
	switch ic.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		d := ic.ApplicationCommandData()
		name = d.Name
		if len(d.Options) > 0 && d.Options[0].Type == discordgo.ApplicationCommandOptionSubCommand {
			name += " " + d.Options[0].Name
		}
		if ic.Type == discordgo.InteractionApplicationCommand {
			return "command", name
		}
		return "autocomplete", name
	case discordgo.InteractionMessageComponent:
		return "button", ic.MessageComponentData().CustomID
	case discordgo.InteractionModalSubmit:
		return "modal", ic.ModalSubmitData().CustomID
	}
	return "other", ""
}

// newRequest resolves the user, the group of the channel and the language.
func (b *Bot) newRequest(ctx context.Context, ic *discordgo.Interaction) *request {
	r := &request{ctx: ctx, ic: ic, lang: i18n.Czech, loc: time.UTC}
	if ic.Member != nil && ic.Member.User != nil {
		r.userID, r.roles = ic.Member.User.ID, ic.Member.Roles
		r.userName = ic.Member.Nick
		if r.userName == "" {
			r.userName = displayName(ic.Member.User)
		}
	} else if ic.User != nil {
		r.userID, r.userName = ic.User.ID, displayName(ic.User)
	}
	if !strings.HasPrefix(string(ic.Locale), "cs") && ic.Locale != "" {
		r.lang = i18n.English
	}
	if g := b.groups[ic.ChannelID]; g != nil {
		r.group, r.loc = g.group, g.loc
		r.lang = g.group.Locale
	}
	return r
}

// groupInfo is a group with its zone loaded, cached by channel at Start:
// groups come from the configuration and do not change while running.
type groupInfo struct {
	group *store.Group
	loc   *time.Location
}

// loadGroups fills the channel → group cache.
func (b *Bot) loadGroups(ctx context.Context) error {
	groups, err := b.store.Groups(ctx)
	if err != nil {
		return err
	}
	b.groups = map[string]*groupInfo{}
	for _, g := range groups {
		if g.DiscordChannelID == "" {
			continue
		}
		loc, err := g.Location()
		if err != nil {
			return err
		}
		b.groups[g.DiscordChannelID] = &groupInfo{group: g, loc: loc}
	}
	return nil
}

func displayName(u *discordgo.User) string {
	if u.GlobalName != "" {
		return u.GlobalName
	}
	return u.Username
}

// needGroup refuses outside a group's channel.
func (r *request) needGroup() error {
	if r.group == nil {
		return refuse(msgNotInGroupChannel)
	}
	return nil
}

func (r *request) hasRole(role string) bool {
	return role != "" && slices.Contains(r.roles, role)
}

// actor is who acts, for the core: the Discord user, and the role in
// the channel's group that their Discord roles give them (in a direct
// message Discord sends no roles; the store's record decides there).
func (r *request) actor() meeting.Actor {
	a := meeting.Actor{Via: store.ViaDiscord, DiscordUserID: r.userID, DiscordName: r.userName}
	if r.group == nil || r.ic.Member == nil {
		return a
	}
	switch {
	case r.hasRole(r.group.CoordinatorRoleID):
		a.DoorRole = store.RoleCoordinator
	case r.group.MemberRoleID == "" || r.hasRole(r.group.MemberRoleID):
		a.DoorRole = store.RoleMember
	}
	return a
}

// inGroup is the group the interaction happens in, for the core: 0 in a
// direct message.
func (r *request) inGroup() int64 {
	if r.group == nil {
		return 0
	}
	return r.group.ID
}

// need checks, reading only, that the user holds role in the channel's
// group; actions that write let the core check in their transaction.
func (b *Bot) need(r *request, role string) error {
	if err := r.needGroup(); err != nil {
		return err
	}
	return b.core.Can(r.ctx, r.actor(), r.group.ID, role)
}

// meetingArg resolves a meeting option (its id, as autocomplete fills it)
// to a meeting of the channel's group; empty means the next scheduled one.
func (b *Bot) meetingArg(r *request, value string) (*store.Meeting, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		ms, err := b.store.Meetings(r.ctx, store.MeetingFilter{GroupID: r.group.ID, From: b.Now(),
			Status: []string{store.MeetingScheduled}, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(ms) == 0 {
			return nil, refuse(msgNoUpcoming)
		}
		return ms[0], nil
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(value, "#"), 10, 64)
	if err != nil {
		return nil, refuse(msgNoMeeting)
	}
	m, err := b.store.Meeting(r.ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && m.GroupID != r.group.ID) {
		return nil, refuse(msgNoMeeting)
	}
	return m, err
}

// options flattens a command's options (inside a subcommand, if any).
type options map[string]*discordgo.ApplicationCommandInteractionDataOption

func commandOptions(d discordgo.ApplicationCommandInteractionData) (sub string, opts options) {
	list := d.Options
	if len(list) == 1 && list[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		sub, list = list[0].Name, list[0].Options
	}
	opts = options{}
	for _, o := range list {
		opts[o.Name] = o
	}
	return sub, opts
}

func (o options) str(name string) string {
	if v, ok := o[name]; ok {
		if s, ok := v.Value.(string); ok {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

func (o options) int(name string) (int64, bool) {
	if v, ok := o[name]; ok {
		if f, ok := v.Value.(float64); ok {
			return int64(f), true
		}
	}
	return 0, false
}

// focused is the option being typed in an autocomplete interaction.
func (o options) focused() *discordgo.ApplicationCommandInteractionDataOption {
	for _, v := range o {
		if v.Focused {
			return v
		}
	}
	return nil
}
