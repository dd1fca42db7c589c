package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot/discordtest"
	"coordbot/store"
)

// discordRole returns the role in the group of the member with Discord
// user id id, "" when they are not in it or not known at all.
func (e *env) discordRole(id string) string {
	e.t.Helper()
	_, role, err := e.store.DiscordMemberRole(context.Background(), e.group.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return role
}

// groupRoles returns the group's members as Discord id → role; members
// without Discord are left out.
func (e *env) groupRoles() map[string]string {
	e.t.Helper()
	ms, err := e.store.GroupMembers(context.Background(), e.group.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range ms {
		if m.DiscordUserID != "" {
			out[m.DiscordUserID] = m.Role
		}
	}
	return out
}

// waitDiscordRole waits until the member with Discord id id holds want in
// the group ("" for out of it). The bot handles member events without a
// trace when they succeed, so the store is polled, with a deadline.
func (e *env) waitDiscordRole(id, want string) {
	e.t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		got := e.discordRole(id)
		if got == want {
			return
		}
		select {
		case <-deadline:
			e.t.Fatalf("member %s has role %q, want %q\nlogs:\n%s", id, got, want, e.logs.String())
		case <-tick.C:
		}
	}
}

// restartBot stops the running bot and starts another on the same
// database and fake, as a redeploy does.
func (e *env) restartBot() {
	e.t.Helper()
	if err := e.bot.Stop(ctx(e.t)); err != nil {
		e.t.Fatal(err)
	}
	e.bot = e.startBot()
}

func TestBotIdentifiesWithGuildMembersIntent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "cs")
	got := e.fake.Intents()
	if got&discordgo.IntentGuildMembers == 0 {
		t.Errorf("intents %b lack GUILD_MEMBERS (%b): the bot would never hear of role changes", got, discordgo.IntentGuildMembers)
	}
	if got&discordgo.IntentGuilds == 0 {
		t.Errorf("intents %b lack GUILDS", got)
	}
}

func TestStartRecordsHoldersOfTheGroupRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "cs")
	anna := discordtest.User{ID: "400", Username: "anna", GlobalName: "Anna Veselá", Roles: []string{memberRole}}
	karel := discordtest.User{ID: "401", Username: "karel", Nick: "Karel z Lhoty", Roles: []string{coordRole}}
	both := discordtest.User{ID: "402", Username: "olga", Roles: []string{memberRole, coordRole}}
	guest := discordtest.User{ID: "403", Username: "host", Roles: []string{"7999"}}
	plain := discordtest.User{ID: "404", Username: "nikdo"}
	for _, u := range []discordtest.User{anna, karel, both, guest, plain} {
		e.fake.AddMember(u)
	}
	// The bot itself holds the member role too: it is no member.
	e.fake.AddMember(discordtest.User{ID: e.fake.BotUserID, Username: e.fake.BotUsername, Bot: true, Roles: []string{memberRole}})
	if got := e.groupRoles(); len(got) != 0 {
		t.Fatalf("members %v before the bot read the list, want none", got)
	}

	e.restartBot()

	got := e.groupRoles()
	want := map[string]string{anna.ID: store.RoleMember, karel.ID: store.RoleCoordinator, both.ID: store.RoleCoordinator}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("members after start %v, want %v", got, want)
	}
	if _, err := e.store.MemberByDiscordID(context.Background(), e.fake.BotUserID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the bot was stored as a member: %v", err)
	}
	if m, err := e.store.MemberByDiscordID(context.Background(), karel.ID); err != nil || m.DisplayName != "Karel z Lhoty" {
		t.Errorf("Karel stored as %+v, %v; want his server nickname", m, err)
	}
	if m, err := e.store.MemberByDiscordID(context.Background(), anna.ID); err != nil || m.DisplayName != "Anna Veselá" {
		t.Errorf("Anna stored as %+v, %v; want her display name", m, err)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "group members from discord roles") || !strings.Contains(logs, "holders=3") {
		t.Errorf("no log line of the sync with 3 holders:\n%s", logs)
	}

	t.Run("a holder who lost the role while the bot was down is removed at the next start", func(t *testing.T) {
		if err := e.bot.Stop(ctx(t)); err != nil {
			t.Fatal(err)
		}
		anna.Roles = nil
		e.fake.AddMember(anna) // no event: nobody is listening
		e.bot = e.startBot()
		if got := e.discordRole(anna.ID); got != "" {
			t.Errorf("Anna still has role %q after losing the member role", got)
		}
		if got := e.discordRole(karel.ID); got != store.RoleCoordinator {
			t.Errorf("Karel has role %q, want coordinator kept", got)
		}
	})
}

func TestMemberRoleChangesFollowDiscord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "cs")
	eva := discordtest.User{ID: "500", Username: "eva", GlobalName: "Eva Malá"}
	e.fake.AddMember(eva)
	if got := e.discordRole(eva.ID); got != "" {
		t.Fatalf("Eva has role %q before she got one", got)
	}

	// Discord tells the bot of its own role changes too: it is no member.
	if err := e.fake.SetMemberRoles(e.fake.BotUserID, []string{memberRole}); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.SetMemberRoles(eva.ID, []string{memberRole}); err != nil {
		t.Fatal(err)
	}
	e.waitDiscordRole(eva.ID, store.RoleMember)
	if m, err := e.store.MemberByDiscordID(context.Background(), eva.ID); err != nil || m.DisplayName != "Eva Malá" {
		t.Errorf("Eva stored as %+v, %v", m, err)
	}

	if err := e.fake.SetMemberRoles(eva.ID, []string{"7999"}); err != nil {
		t.Fatal(err)
	}
	e.waitDiscordRole(eva.ID, "")

	if err := e.fake.SetMemberRoles(eva.ID, []string{memberRole, coordRole}); err != nil {
		t.Fatal(err)
	}
	e.waitDiscordRole(eva.ID, store.RoleCoordinator)
	// The bot's own update came first; three of Eva's were handled since.
	if _, err := e.store.MemberByDiscordID(context.Background(), e.fake.BotUserID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the bot was stored as a member: %v", err)
	}

	t.Run("a member who leaves the server is removed", func(t *testing.T) {
		petr := discordtest.User{ID: "501", Username: "petr2", Roles: []string{memberRole}}
		e.fake.AddMember(petr)
		if err := e.fake.SetMemberRoles(petr.ID, []string{memberRole}); err != nil {
			t.Fatal(err)
		}
		e.waitDiscordRole(petr.ID, store.RoleMember)
		if err := e.fake.RemoveMember(petr.ID); err != nil {
			t.Fatal(err)
		}
		e.waitDiscordRole(petr.ID, "")
	})
}

func TestJoiningMemberWithTheRoleIsRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "cs")
	// Nobody listening for a joining user without a role: they are no
	// member. Dispatched first, so by the time the next join is seen it
	// has most likely been handled too.
	if err := e.fake.AddMemberAndDispatch(discordtest.User{ID: "601", Username: "host"}); err != nil {
		t.Fatal(err)
	}
	lucie := discordtest.User{ID: "600", Username: "lucie", GlobalName: "Lucie Černá", Roles: []string{memberRole}}
	if err := e.fake.AddMemberAndDispatch(lucie); err != nil {
		t.Fatal(err)
	}
	e.waitDiscordRole(lucie.ID, store.RoleMember)
	if m, err := e.store.MemberByDiscordID(context.Background(), lucie.ID); err != nil || m.DisplayName != "Lucie Černá" {
		t.Errorf("Lucie stored as %+v, %v", m, err)
	}
	if got := e.groupRoles(); len(got) != 1 {
		t.Errorf("members %v, want only Lucie", got)
	}
}

// TestMemberSetNotify: /member set records the channel preference (the
// choice's value), answers with the channel actually used and the
// addresses that bounce, and refuses a preference that cannot reach the
// member and an address that is not one.
func TestMemberSetNotify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "cs")
	set := func(u discordtest.User, opts ...*discordgo.ApplicationCommandInteractionDataOption) string {
		t.Helper()
		return e.text(e.do(e.fake.SlashCommand(u, channelID, "member", discordtest.SubCommand("set", opts...))), true)
	}
	stored := func(discordID string) *store.Member {
		t.Helper()
		m, err := e.store.MemberByDiscordID(context.Background(), discordID)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	text := set(member, str("notify", store.NotifyEmail))
	if !strings.Contains(text, "nemá e-mailovou adresu") {
		t.Errorf("e-mail only without an address: %q", text)
	}
	text = set(member, str("email", "petr@obec.cz"), str("notify", store.NotifyEmail))
	if !strings.Contains(text, "petr@obec.cz") || !strings.Contains(text, "Oznámení: e-mail – chodí e-mailem.") {
		t.Errorf("e-mail only: %q", text)
	}
	if m := stored(member.ID); m.Notify != store.NotifyEmail {
		t.Errorf("stored preference %q, want email", m.Notify)
	}
	text = set(member, str("notify", store.NotifyAuto))
	if !strings.Contains(text, "Oznámení: automaticky – chodí na Discord.") {
		t.Errorf("automatic for a Discord member: %q", text)
	}

	// The address bounces: the answer says so, and "both" reaches Discord only.
	if err := e.store.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.MarkBounced("petr@obec.cz", "550 5.1.1 user unknown")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	text = set(member, str("notify", store.NotifyBoth))
	if !strings.Contains(text, "petr@obec.cz (vrací se)") || !strings.Contains(text, "Oznámení: oboje – chodí na Discord.") {
		t.Errorf("both with a bouncing address: %q", text)
	}

	// A coordinator sets someone else's preference.
	text = set(coordinator, discordtest.UserOpt("user", outsider.ID), str("email", "host@kraj.cz"), str("notify", store.NotifyBoth))
	if !strings.Contains(text, "chodí na Discord i e-mailem") {
		t.Errorf("coordinator for someone else: %q", text)
	}
	if m := stored(outsider.ID); m.Notify != store.NotifyBoth {
		t.Errorf("stored preference %q, want both", m.Notify)
	}
	text = set(member, discordtest.UserOpt("user", outsider.ID), str("notify", store.NotifyDiscord))
	if !strings.Contains(text, "jen koordinátor") || stored(outsider.ID).Notify != store.NotifyBoth {
		t.Errorf("a member setting someone else's preference: %q", text)
	}

	for _, bad := range []string{"jana obec.cz", "a@b@c", "jana@"} {
		if text := set(member, str("email", bad)); !strings.Contains(text, "není platný e-mail") {
			t.Errorf("email %q: %q", bad, text)
		}
	}
	if text := set(member, str("email", "Petr <petr.novy@obec.cz>")); !strings.Contains(text, "zapište jen adresu, např. petr.novy@obec.cz") {
		t.Errorf("address with a name: %q", text)
	}
	if m := stored(member.ID); len(m.Emails) != 1 || m.Emails[0] != "petr@obec.cz" {
		t.Errorf("refused addresses changed the stored ones: %v", m.Emails)
	}
}

// TestMemberSetOffersNotifyChoices: the registered /member set has an
// optional notify option whose choices carry the store's values and Czech
// names.
func TestMemberSetOffersNotifyChoices(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "cs")
	var notify *discordgo.ApplicationCommandOption
	for _, c := range e.fake.Commands() {
		if c.Name != "member" {
			continue
		}
		for _, sub := range c.Options {
			for _, o := range sub.Options {
				if sub.Name == "set" && o.Name == "notify" {
					notify = o
				}
			}
		}
	}
	if notify == nil {
		t.Fatal("/member set has no notify option")
	}
	if notify.Required || notify.Type != discordgo.ApplicationCommandOptionString {
		t.Errorf("notify: required %v, type %v; want an optional string", notify.Required, notify.Type)
	}
	got := map[string]string{}
	for _, c := range notify.Choices {
		got[fmt.Sprint(c.Value)] = c.NameLocalizations[discordgo.Czech]
	}
	want := map[string]string{store.NotifyAuto: "automaticky (Discord, jinak e-mail)", store.NotifyDiscord: "discord",
		store.NotifyEmail: "e-mail", store.NotifyBoth: "oboje"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("choices %v, want %v", got, want)
	}
}
