package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"coordbot/store"
)

// The scheduler claims each channel's rows for that channel's worker, and
// rows of channels without a sender by themselves; the next instant it
// sleeps until leaves out the channels whose worker is busy.
func TestClaimAndNextDueFilteredByChannel(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")
	m := mustMeeting(t, s, g, t0.Add(30*24*time.Hour))
	member := mustMember(t, s, "5", "Člen", "clen@example.org")
	ns := []*store.Notification{
		{GroupID: g.ID, MeetingID: m.ID, Kind: "reminder", Due: t0.Add(time.Hour), Channel: store.ChannelEmail,
			MemberID: member.ID, IdempotencyKey: "m1:reminder:7d:u1"},
		{GroupID: g.ID, MeetingID: m.ID, Kind: "agenda_call", Due: t0.Add(2 * time.Hour), ChannelID: "111",
			IdempotencyKey: "m1:agenda_call"},
		{GroupID: g.ID, MeetingID: m.ID, Kind: "reminder", Due: t0.Add(3 * time.Hour), ChannelID: "111",
			IdempotencyKey: "m1:reminder:1d"},
		{GroupID: g.ID, MeetingID: m.ID, Kind: "invitation", Due: t0.Add(4 * time.Hour), Channel: store.ChannelEmail,
			MemberID: member.ID, IdempotencyKey: "m1:invitation:u1"},
	}
	if added, err := s.EnqueueNotifications(ctx, ns); err != nil || added != len(ns) {
		t.Fatalf("enqueue: %d, %v", added, err)
	}
	discord := store.ChannelFilter{Only: []string{store.ChannelDiscord}}
	email := store.ChannelFilter{Only: []string{store.ChannelEmail}}
	noSender := store.ChannelFilter{Except: []string{store.ChannelDiscord, store.ChannelEmail}}

	next := func(f store.ChannelFilter) (time.Time, bool) {
		t.Helper()
		at, ok, err := s.NextNotificationDueIn(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return at, ok
	}
	if at, ok := next(store.ChannelFilter{}); !ok || !at.Equal(t0.Add(time.Hour)) {
		t.Errorf("next of every channel = %v %v, want the e-mail reminder at %v", at, ok, t0.Add(time.Hour))
	}
	if at, ok := next(store.ChannelFilter{Except: []string{store.ChannelEmail}}); !ok || !at.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("next without e-mail = %v %v, want the agenda call at %v", at, ok, t0.Add(2*time.Hour))
	}
	if at, ok := next(discord); !ok || !at.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("next on Discord = %v %v, want %v", at, ok, t0.Add(2*time.Hour))
	}
	if _, ok := next(noSender); ok {
		t.Error("a row outside both channels is due")
	}

	kinds := func(rows []*store.Notification) []string {
		var out []string
		for _, n := range rows {
			out = append(out, n.Channel+":"+string(n.Kind))
		}
		return out
	}
	now := t0.Add(5 * time.Hour) // everything is due
	got, err := s.ClaimDueNotificationsIn(ctx, discord, now, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"discord:agenda_call", "discord:reminder"}; !slices.Equal(kinds(got), want) {
		t.Errorf("Discord claim = %v, want %v", kinds(got), want)
	}
	if got, err := s.ClaimDueNotificationsIn(ctx, noSender, now, time.Minute, 10); err != nil || len(got) != 0 {
		t.Errorf("claim outside both channels = %v, %v; want none", kinds(got), err)
	}
	// While the Discord rows are claimed, the e-mail rows are what is due;
	// a claim limited to one row takes the oldest.
	if at, ok := next(store.ChannelFilter{}); !ok || !at.Equal(t0.Add(time.Hour)) {
		t.Errorf("next after the Discord claim = %v %v", at, ok)
	}
	got, err = s.ClaimDueNotificationsIn(ctx, email, now, time.Minute, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].IdempotencyKey != "m1:reminder:7d:u1" || got[0].State != store.NotificationClaimed || got[0].Attempts != 1 {
		t.Fatalf("e-mail claim of one = %+v", got)
	}
	// Leases hold per row whatever the filter: the Discord rows are not
	// claimed again before their lease runs out.
	if got, _ := s.ClaimDueNotificationsIn(ctx, store.ChannelFilter{}, now.Add(30*time.Second), time.Minute, 10); !slices.Equal(kinds(got), []string{"email:invitation"}) {
		t.Errorf("claim of every channel within the leases = %v, want the e-mail invitation only", kinds(got))
	}
	// With e-mail left out, the next instant is the Discord leases' end.
	if at, ok := next(store.ChannelFilter{Except: []string{store.ChannelEmail}}); !ok || !at.Equal(now.Add(time.Minute)) {
		t.Errorf("next without e-mail = %v %v, want the lease's end %v", at, ok, now.Add(time.Minute))
	}
	if _, ok := next(store.ChannelFilter{Only: []string{store.ChannelDiscord}, Except: []string{store.ChannelDiscord}}); ok {
		t.Error("a filter that keeps no channel found a row")
	}
}

// The next instant is the earliest at which any open row can be claimed:
// a row due early but waiting for its retry or its lease counts at that
// later instant, and a row due later may come first.
func TestNextDueCountsRetriesAndLeases(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")
	m := mustMeeting(t, s, g, t0.Add(30*24*time.Hour))
	row := func(key string, due time.Duration) *store.Notification {
		return &store.Notification{GroupID: g.ID, MeetingID: m.ID, Kind: "reminder", Due: t0.Add(due), ChannelID: "111", IdempotencyKey: key}
	}
	if _, err := s.EnqueueNotifications(ctx, []*store.Notification{row("a", time.Hour), row("b", 2*time.Hour), row("c", 5*time.Hour)}); err != nil {
		t.Fatal(err)
	}
	want := func(at time.Time, why string) {
		t.Helper()
		next, ok, err := s.NextNotificationDue(ctx)
		if err != nil || !ok || !next.Equal(at) {
			t.Errorf("%s: next due = %v %v %v, want %v", why, next, ok, err, at)
		}
	}
	want(t0.Add(time.Hour), "nothing claimed")
	a, err := s.ClaimDueNotifications(ctx, t0.Add(time.Hour), time.Minute, 1)
	if err != nil || len(a) != 1 || a[0].IdempotencyKey != "a" {
		t.Fatalf("claim a = %+v, %v", a, err)
	}
	want(t0.Add(time.Hour+time.Minute), "a's lease ends before b is due")
	if err := s.RetryNotification(ctx, a[0].ID, "500", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	want(t0.Add(2*time.Hour), "a's retry after b's due instant")
	b, err := s.ClaimDueNotifications(ctx, t0.Add(2*time.Hour), 4*time.Hour, 1)
	if err != nil || len(b) != 1 || b[0].IdempotencyKey != "b" {
		t.Fatalf("claim b = %+v, %v", b, err)
	}
	want(t0.Add(3*time.Hour), "a's retry, before c is due and b's lease ends")
	if err := s.RetryNotification(ctx, a[0].ID, "500", t0.Add(7*time.Hour)); err != nil {
		t.Fatal(err)
	}
	want(t0.Add(5*time.Hour), "c, due before a's retry and b's lease end (6h)")
	all, err := s.Notifications(ctx, store.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range all {
		if n.IdempotencyKey == "c" {
			if err := s.SkipNotification(ctx, n.ID, "gone"); err != nil {
				t.Fatal(err)
			}
		}
	}
	want(t0.Add(6*time.Hour), "only waiting rows left: b's lease ends first")
}
