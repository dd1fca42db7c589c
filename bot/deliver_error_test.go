package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"coordbot/outbox"
	"coordbot/store"
)

// TestDeliveryErrorNamesTheServerDialled: with discord.api_url set, a
// delivery that cannot reach the API says which server it tried (the error
// is kept on the outbox row and logged), not discord.com, whose URLs
// discordgo builds.
func TestDeliveryErrorNamesTheServerDialled(t *testing.T) {
	e := newEnv(t, "cs")
	m := &store.Meeting{GroupID: e.group.ID, Title: "Porada", Start: now.Add(72 * time.Hour)}
	if err := e.store.CreateMeeting(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(e.fake.URL, "http://")
	e.fake.Close() // Discord is gone
	n := &store.Notification{GroupID: e.group.ID, MeetingID: m.ID, Kind: outbox.KindCancellation, ChannelID: channelID,
		IdempotencyKey: "t:1", Payload: "{}"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := e.bot.Deliver(ctx, n)
	if err == nil {
		t.Fatal("delivery to a closed server succeeded")
	}
	if msg := err.Error(); strings.Contains(msg, "discord.com") || !strings.Contains(msg, host) {
		t.Errorf("error %q: want the dialled server %s, not discord.com", msg, host)
	}
}
