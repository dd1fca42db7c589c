package discordtest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// TestInteractAllSendsBackToBackInOrder sends a burst of button clicks: the
// client sees them in the order given, with consecutive sequence numbers,
// each gets its own answer, and a refused callback is reported per click.
func TestInteractAllSendsBackToBackInOrder(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	srv, dg := started(t, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		id := i.MessageComponentData().CustomID
		mu.Lock()
		seen = append(seen, id)
		mu.Unlock()
		typ := discordgo.InteractionResponseChannelMessageWithSource
		if id == "b:3" {
			typ = discordgo.InteractionResponseType(42) // refused by the fake
		}
		if err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: typ,
			Data: &discordgo.InteractionResponseData{Content: "ok " + id, Flags: discordgo.MessageFlagsEphemeral}}); err != nil && id != "b:3" {
			t.Error(err)
		}
	})
	dg.SyncEvents = true // handlers run in arrival order
	ch := "500000000000000011"
	m, err := dg.ChannelMessageSendComplex(ch, &discordgo.MessageSend{Content: "Pozvánka",
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Ano", Style: discordgo.SuccessButton, CustomID: "b:0"},
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	var ins []*discordgo.Interaction
	for i := range 5 {
		u := User{ID: fmt.Sprint(300000000000000100 + i), Username: fmt.Sprint("u", i)}
		ins = append(ins, srv.Button(u, ch, m.ID, fmt.Sprint("b:", i)))
	}
	out, err := srv.InteractAll(testCtx(t), ins)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(ins) {
		t.Fatalf("%d answers for %d clicks", len(out), len(ins))
	}
	for i, a := range out {
		if i == 3 {
			if _, ok := a.Err.(*CallbackError); !ok {
				t.Errorf("click 3: err %v, want a refused callback", a.Err)
			}
			continue
		}
		if a.Err != nil || a.Response.Data.Content != fmt.Sprint("ok b:", i) || a.Latency <= 0 {
			t.Errorf("click %d: %+v", i, a)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(seen) != "[b:0 b:1 b:2 b:3 b:4]" {
		t.Errorf("client saw %v", seen)
	}
}
