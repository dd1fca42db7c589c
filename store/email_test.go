package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"coordbot/store"
)

func TestBouncedAddressIsKeptAcrossUpdatesAndSkipped(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenStore(t)
	m := mustMember(t, s, "", "Jana Nováková", "jana@obec.example", "jana.novakova@obec.example")
	if got := m.MailAddress(); got != "jana.novakova@obec.example" {
		t.Fatalf("MailAddress = %q, want the first address in order", got)
	}
	err := s.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.MarkBounced("Jana.Novakova@obec.example", "550 5.1.1 no such user")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Member(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Bounced, []string{"jana.novakova@obec.example"}) || got.MailAddress() != "jana@obec.example" {
		t.Fatalf("after bounce: Bounced %q, MailAddress %q", got.Bounced, got.MailAddress())
	}
	// Saving the member with the same addresses keeps the mark; a new
	// address is not bouncing.
	got.Emails = append(got.Emails, "nova@obec.example")
	got.Notify = store.NotifyEmail
	if err := s.UpdateMember(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, err := s.Member(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Bounced, []string{"jana.novakova@obec.example"}) || again.Notify != store.NotifyEmail {
		t.Errorf("after update: Bounced %q, Notify %q", again.Bounced, again.Notify)
	}
	// An address of someone else is still a conflict.
	other := mustMember(t, s, "", "Petr Dvořák", "petr@obec.example")
	other.Emails = append(other.Emails, "nova@obec.example")
	if err := s.UpdateMember(ctx, other); !errors.Is(err, store.ErrConflict) {
		t.Errorf("taking another member's address: err = %v, want ErrConflict", err)
	}
	err = s.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.MarkBounced("nobody@obec.example", "550")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bouncing an unknown address: err = %v, want ErrNotFound", err)
	}
}

func TestReachFollowsPreferenceAndWhatIsKnown(t *testing.T) {
	tests := []struct {
		notify, discord string
		emails, bounced []string
		wantD, wantE    bool
	}{
		{store.NotifyAuto, "1", []string{"a@x.cz"}, nil, true, false},
		{store.NotifyAuto, "", []string{"a@x.cz"}, nil, false, true},
		{store.NotifyAuto, "", []string{"a@x.cz"}, []string{"a@x.cz"}, false, false},
		{store.NotifyBoth, "1", []string{"a@x.cz"}, nil, true, true},
		{store.NotifyEmail, "1", []string{"a@x.cz"}, nil, false, true},
		{store.NotifyEmail, "1", nil, nil, false, false},
		{store.NotifyDiscord, "", []string{"a@x.cz"}, nil, false, false},
	}
	for _, tt := range tests {
		m := store.Member{Notify: tt.notify, DiscordUserID: tt.discord, Emails: tt.emails, Bounced: tt.bounced}
		if d, e := m.Reach(); d != tt.wantD || e != tt.wantE {
			t.Errorf("%+v: Reach = %v, %v; want %v, %v", tt, d, e, tt.wantD, tt.wantE)
		}
	}
}

func TestSentMailFindsTheRowARepliesTo(t *testing.T) {
	ctx := context.Background()
	s, c := MustOpenStore(t)
	g := mustGroup(t, s, "skupina")
	mt := mustMeeting(t, s, g, c.Now().Add(72*time.Hour))
	m := mustMember(t, s, "", "Jana", "jana@obec.example")
	n := &store.Notification{GroupID: g.ID, MeetingID: mt.ID, Kind: "invitation", Due: c.Now(), Channel: store.ChannelEmail,
		MemberID: m.ID, IdempotencyKey: "m1:invitation:q0:mail:u1"}
	if err := s.EnqueueNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkNotificationSent(ctx, n.ID, "abc@coordbot.example", c.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := s.SentMail(ctx, []string{"unrelated@elsewhere", "abc@coordbot.example", ""})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != n.ID || got.MemberID != m.ID {
		t.Errorf("SentMail = row %d member %d, want row %d member %d", got.ID, got.MemberID, n.ID, m.ID)
	}
	if _, err := s.SentMail(ctx, []string{"unrelated@elsewhere"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SentMail of a stranger's id: err = %v, want ErrNotFound", err)
	}
	ids, err := s.MailRecipients(ctx, mt.ID, "invitation")
	if err != nil || !slices.Equal(ids, []int64{m.ID}) {
		t.Errorf("MailRecipients = %v, %v; want [%d]", ids, err, m.ID)
	}
}
