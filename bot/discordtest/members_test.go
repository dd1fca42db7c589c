package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// recv receives from ch or fails the test when ctx ends.
func recv[T any](t *testing.T, ctx context.Context, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Fatal("nothing received")
	}
	var zero T
	return zero
}

func TestGuildMembersPaging(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dg := session(t, srv) // REST only
	srv.AddRole("400000000000000001", "Koordinátor")
	ids := []string{"300000000000000005", "300000000000000002", "300000000000000010", "300000000000000001", "300000000000000007"}
	for _, id := range ids {
		u := User{ID: id, Username: "u" + id[len(id)-2:], Roles: []string{"400000000000000001"}}
		if id == "300000000000000007" {
			u.Nick = "Sedmička"
		}
		srv.AddMember(u)
	}
	// Discord lists the bot among the members; ids ascend numerically
	// ("…10" after "…07").
	want := append(append([]string{}, ids...), srv.BotUserID)
	sort.Slice(want, func(i, j int) bool { return snowLess(want[i], want[j]) })
	if want[len(want)-1] != srv.BotUserID || want[4] != "300000000000000010" {
		t.Fatalf("test assumption: order %v", want)
	}

	one, err := dg.GuildMembers(srv.GuildID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != 1 || one[0].User.ID != want[0] {
		t.Errorf("default page = %d members, first %+v; want 1, %s", len(one), one[0].User, want[0])
	}

	var got []string
	after, pages := "", 0
	for {
		page, err := dg.GuildMembers(srv.GuildID, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if pages++; pages > len(want) {
			t.Fatalf("paging does not end: %v", got)
		}
		for _, m := range page {
			got = append(got, m.User.ID)
		}
		after = page[len(page)-1].User.ID
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || pages != 3 {
		t.Errorf("paged ids = %v in %d pages, want %v in 3", got, pages, want)
	}

	rest, err := dg.GuildMembers(srv.GuildID, want[1], 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != len(want)-2 || rest[0].User.ID != want[2] {
		t.Errorf("after %s: %d members from %s, want %d from %s (after is exclusive)", want[1], len(rest), rest[0].User.ID, len(want)-2, want[2])
	}
	for _, m := range rest {
		switch m.User.ID {
		case srv.BotUserID:
			if !m.User.Bot || m.User.Username != srv.BotUsername {
				t.Errorf("bot member = %+v", m.User)
			}
		case "300000000000000007":
			if m.Nick != "Sedmička" || len(m.Roles) != 1 || m.Roles[0] != "400000000000000001" || !m.JoinedAt.Equal(defaultJoinedAt) {
				t.Errorf("member 7 = %+v", m)
			}
		}
	}

	// The wire form is Discord's: nick null when unset, no guild_id.
	body, err := dg.Request("GET", discordgo.EndpointGuildMembers(srv.GuildID)+"?limit=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 1 || string(raw[0]["nick"]) != "null" || raw[0]["guild_id"] != nil || raw[0]["joined_at"] == nil || raw[0]["user"] == nil {
		t.Errorf("raw member = %s", body)
	}

	for _, q := range []string{"?limit=0", "?limit=1001", "?limit=x", "?after=abc"} {
		if _, err := dg.Request("GET", discordgo.EndpointGuildMembers(srv.GuildID)+q, nil); !isCode(err, 50035) {
			t.Errorf("members%s: %v, want 50035", q, err)
		}
	}

	m, err := dg.GuildMember(srv.GuildID, "300000000000000007")
	if err != nil {
		t.Fatal(err)
	}
	if m.Nick != "Sedmička" || m.User.Username != "u07" || m.GuildID != srv.GuildID {
		t.Errorf("GuildMember = %+v", m)
	}
	_, err = dg.GuildMember(srv.GuildID, "300000000000000099")
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response.StatusCode != http.StatusNotFound || re.Message == nil || re.Message.Code != 10007 || re.Message.Message != "Unknown Member" {
		t.Errorf("unknown member: %v, want 404 10007 Unknown Member", err)
	}
}

// memberSeen is what a handler saw of a GUILD_MEMBER_* event, copied out
// because discordgo's state keeps and later overwrites the event's Member.
type memberSeen struct {
	typ, guildID, userID, username, nick string
	roles, beforeRoles                   []string
	joinedAt                             time.Time
	hadBefore                            bool
	memberCount                          int
}

func seeMember(s *discordgo.Session, typ string, m *discordgo.Member) memberSeen {
	v := memberSeen{typ: typ, guildID: m.GuildID, nick: m.Nick, roles: m.Roles, joinedAt: m.JoinedAt}
	if m.User != nil {
		v.userID, v.username = m.User.ID, m.User.Username
	}
	if g, err := s.State.Guild(m.GuildID); err == nil {
		s.State.RLock()
		v.memberCount = g.MemberCount
		s.State.RUnlock()
	}
	return v
}

// memberHandlers registers handlers that send every GUILD_MEMBER_* event
// to the returned channel.
func memberHandlers(dg *discordgo.Session) <-chan memberSeen {
	ch := make(chan memberSeen, 16)
	dg.AddHandler(func(s *discordgo.Session, e *discordgo.GuildMemberAdd) { ch <- seeMember(s, "add", e.Member) })
	dg.AddHandler(func(s *discordgo.Session, e *discordgo.GuildMemberUpdate) {
		v := seeMember(s, "update", e.Member)
		if e.BeforeUpdate != nil {
			v.hadBefore, v.beforeRoles = true, e.BeforeUpdate.Roles
		}
		ch <- v
	})
	dg.AddHandler(func(s *discordgo.Session, e *discordgo.GuildMemberRemove) { ch <- seeMember(s, "remove", e.Member) })
	return ch
}

func TestMemberEvents(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddRole("400000000000000001", "Koordinátor")
	srv.AddMember(alice)
	dg := session(t, srv)
	intents := discordgo.IntentsGuilds | discordgo.IntentGuildMembers | discordgo.IntentGuildPresences
	dg.Identify.Intents = intents
	guilds := make(chan []string, 1)
	dg.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		var ids []string
		for _, m := range g.Members {
			ids = append(ids, m.User.ID)
		}
		guilds <- ids
	})
	events := memberHandlers(dg)
	open(t, srv, dg)
	ctx := testCtx(t)
	if err := srv.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if got := srv.Intents(); got != intents {
		t.Errorf("Intents() = %d, want %d", got, intents)
	}
	next := func() memberSeen {
		t.Helper()
		return recv(t, ctx, events)
	}
	// With GUILD_PRESENCES, GUILD_CREATE lists every member.
	if ids := recv(t, ctx, guilds); fmt.Sprint(ids) != fmt.Sprint([]string{alice.ID, srv.BotUserID}) {
		t.Errorf("GUILD_CREATE members = %v", ids)
	}

	roles := []string{"400000000000000001", "400000000000000002"}
	if err := srv.SetMemberRoles(alice.ID, roles); err != nil {
		t.Fatal(err)
	}
	v := next()
	if v.typ != "update" || v.guildID != srv.GuildID || v.userID != alice.ID || v.username != "alice" || fmt.Sprint(v.roles) != fmt.Sprint(roles) || !v.joinedAt.Equal(defaultJoinedAt) {
		t.Errorf("update = %+v", v)
	}
	if !v.hadBefore || fmt.Sprint(v.beforeRoles) != fmt.Sprint(alice.Roles) {
		t.Errorf("BeforeUpdate roles = %v (present %v), want %v from discordgo's state", v.beforeRoles, v.hadBefore, alice.Roles)
	}
	if m, err := dg.GuildMember(srv.GuildID, alice.ID); err != nil || fmt.Sprint(m.Roles) != fmt.Sprint(roles) {
		t.Errorf("REST member after SetMemberRoles = %+v, %v", m, err)
	}
	cur, ok := srv.Member(alice.ID)
	if !ok || fmt.Sprint(cur.Roles) != fmt.Sprint(roles) {
		t.Errorf("Member() = %+v, %v", cur, ok)
	}
	cur.Nick = "Ali"
	if err := srv.UpdateMember(cur); err != nil {
		t.Fatal(err)
	}
	if v := next(); v.typ != "update" || v.nick != "Ali" || fmt.Sprint(v.roles) != fmt.Sprint(roles) {
		t.Errorf("nick update = %+v", v)
	}

	bob := User{ID: "300000000000000002", Username: "bob", Roles: []string{"400000000000000001"}}
	before := time.Now().Add(-time.Second)
	if err := srv.AddMemberAndDispatch(bob); err != nil {
		t.Fatal(err)
	}
	v = next()
	if v.typ != "add" || v.guildID != srv.GuildID || v.userID != bob.ID || v.username != "bob" || fmt.Sprint(v.roles) != fmt.Sprint(bob.Roles) || v.joinedAt.Before(before) {
		t.Errorf("add = %+v", v)
	}
	if v.memberCount != 3 {
		t.Errorf("state member count after add = %d, want 3", v.memberCount)
	}
	if err := srv.AddMemberAndDispatch(bob); err == nil {
		t.Error("AddMemberAndDispatch of a member succeeded")
	}
	if err := srv.RemoveMember(bob.ID); err != nil {
		t.Fatal(err)
	}
	v = next()
	if v.typ != "remove" || v.guildID != srv.GuildID || v.userID != bob.ID || v.memberCount != 2 {
		t.Errorf("remove = %+v", v)
	}
	if _, err := dg.GuildMember(srv.GuildID, bob.ID); !isCode(err, 10007) {
		t.Errorf("removed member: %v, want 10007", err)
	}
	if err := srv.RemoveMember(bob.ID); err == nil {
		t.Error("RemoveMember of a non-member succeeded")
	}
	if err := srv.RemoveMember(srv.BotUserID); err == nil {
		t.Error("RemoveMember of the bot succeeded")
	}
	if err := srv.SetMemberRoles("300000000000000099", nil); err == nil {
		t.Error("SetMemberRoles of a non-member succeeded")
	}

	// A change while the client is between connections reaches it with
	// the RESUME replay.
	srv.CloseGateway()
	if err := srv.SetMemberRoles(alice.ID, nil); err != nil {
		t.Fatal(err)
	}
	if v := next(); v.typ != "update" || v.userID != alice.ID || len(v.roles) != 0 {
		t.Errorf("update across a reconnect = %+v", v)
	}
	if err := srv.WaitGatewayOp(ctx, OpResume, 1); err != nil {
		t.Fatal(err)
	}
}

func TestMemberEventsNeedIntent(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddMember(alice)
	dg := session(t, srv)
	// discordgo's default: IntentsAllWithoutPrivileged, so no GUILD_MEMBERS.
	// Events in order, so that the marker comes after any member event.
	dg.SyncEvents = true
	guilds := make(chan []string, 1)
	dg.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		var ids []string
		for _, m := range g.Members {
			ids = append(ids, m.User.ID)
		}
		guilds <- ids
	})
	events := memberHandlers(dg)
	marker := make(chan struct{}, 1)
	dg.AddHandler(func(_ *discordgo.Session, _ *discordgo.TypingStart) { marker <- struct{}{} })
	open(t, srv, dg)
	ctx := testCtx(t)
	if err := srv.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if got := srv.Intents(); got != discordgo.IntentsAllWithoutPrivileged {
		t.Errorf("Intents() = %d, want %d", got, discordgo.IntentsAllWithoutPrivileged)
	}
	// Without GUILD_PRESENCES, GUILD_CREATE lists only the bot.
	if ids := recv(t, ctx, guilds); fmt.Sprint(ids) != fmt.Sprint([]string{srv.BotUserID}) {
		t.Errorf("GUILD_CREATE members = %v, want only the bot", ids)
	}
	if err := srv.SetMemberRoles(alice.ID, []string{"400000000000000009"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddMemberAndDispatch(User{ID: "300000000000000002", Username: "bob"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.RemoveMember("300000000000000002"); err != nil {
		t.Fatal(err)
	}
	// An update of the bot's own member goes regardless of the intent.
	bot, _ := srv.Member(srv.BotUserID)
	bot.Nick = "Koordinátor schůzí"
	if err := srv.UpdateMember(bot); err != nil {
		t.Fatal(err)
	}
	if err := srv.Dispatch(ctx, "TYPING_START", map[string]any{"channel_id": "500000000000000001", "guild_id": srv.GuildID, "user_id": alice.ID, "timestamp": time.Now().Unix()}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-marker:
	case <-ctx.Done():
		t.Fatal("no TYPING_START")
	}
	var got []memberSeen
	for len(events) > 0 {
		got = append(got, <-events)
	}
	if len(got) != 1 || got[0].typ != "update" || got[0].userID != srv.BotUserID || got[0].nick != "Koordinátor schůzí" {
		t.Errorf("member events without GUILD_MEMBERS = %+v, want only the bot's own update", got)
	}
	// The fake's state changed all the same.
	if m, err := dg.GuildMember(srv.GuildID, alice.ID); err != nil || fmt.Sprint(m.Roles) != "[400000000000000009]" {
		t.Errorf("REST member = %+v, %v", m, err)
	}
}

func TestDisallowedIntents(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.DisallowedIntents = discordgo.IntentGuildMembers
	srv.AddMember(alice)
	dg := session(t, srv)
	dg.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentGuildMembers
	err := dg.Open()
	if err == nil {
		_ = dg.Close()
		t.Fatal("Open with a disallowed intent succeeded")
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4014 {
		t.Errorf("Open error = %v, want close 4014", err)
	}
	if _, err := dg.GuildMembers(srv.GuildID, "", 100); !isCode(err, 50001) {
		t.Errorf("list members without the intent approved: %v, want 50001", err)
	}
	if _, err := dg.GuildMember(srv.GuildID, alice.ID); err != nil {
		t.Errorf("one member without the intent approved: %v", err)
	}
}

func TestScheduledEventsList(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dg := session(t, srv)
	start := time.Date(2030, 3, 3, 18, 0, 0, 0, time.UTC)
	end := start.Add(2 * time.Hour)
	var ids []string
	for _, name := range []string{"První", "Druhá", "Třetí"} {
		e, err := dg.GuildScheduledEventCreate(srv.GuildID, &discordgo.GuildScheduledEventParams{
			Name: name, ScheduledStartTime: &start, ScheduledEndTime: &end,
			EntityType: discordgo.GuildScheduledEventEntityTypeExternal, PrivacyLevel: discordgo.GuildScheduledEventPrivacyLevelGuildOnly,
			EntityMetadata: &discordgo.GuildScheduledEventEntityMetadata{Location: "Brno"},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	if err := dg.GuildScheduledEventDelete(srv.GuildID, ids[1]); err != nil {
		t.Fatal(err)
	}
	evs, err := dg.GuildScheduledEvents(srv.GuildID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].ID != ids[0] || evs[1].ID != ids[2] || evs[1].Name != "Třetí" || evs[0].GuildID != srv.GuildID ||
		!evs[0].ScheduledStartTime.Equal(start) || evs[0].EntityMetadata.Location != "Brno" || evs[0].Status != discordgo.GuildScheduledEventStatusScheduled {
		t.Errorf("listed events = %+v", evs)
	}
	if _, err := dg.GuildScheduledEvents(srv.GuildID, true); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if last := reqs[len(reqs)-1]; last.Method != "GET" || last.Path != "/api/v9/guilds/"+srv.GuildID+"/scheduled-events" || last.Query != "with_user_count=true" || last.Status != 200 {
		t.Errorf("last request = %+v", last)
	}
	body, err := dg.Request("GET", discordgo.EndpointGuildScheduledEvents(srv.GuildID)+"?with_user_count=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || len(raw) != 2 || string(raw[0]["user_count"]) != "0" {
		t.Errorf("with_user_count listing = %s (%v)", body, err)
	}
}
