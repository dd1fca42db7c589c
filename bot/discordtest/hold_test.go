package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/bwmarrin/discordgo"
)

type sendResult struct {
	id  string
	err error
}

// sendNonce posts m to channel ch in the background with reqCtx, as the bot
// does with nonce and enforce_nonce.
func sendNonce(dg *discordgo.Session, reqCtx context.Context, ch string, m nonceMessage) <-chan sendResult {
	out := make(chan sendResult, 1)
	go func() {
		ep := discordgo.EndpointChannelMessages(ch)
		body, err := dg.RequestWithBucketID("POST", ep, m, ep, discordgo.WithContext(reqCtx))
		var msg discordgo.Message
		if err == nil {
			err = json.Unmarshal(body, &msg)
		}
		out <- sendResult{msg.ID, err}
	}()
	return out
}

// messagePosts returns the POSTs to channel ch's messages.
func messagePosts(reqs []Request, ch string) []Request {
	var out []Request
	for _, r := range reqs {
		if r.Method == "POST" && r.Path == "/api/v9/channels/"+ch+"/messages" {
			out = append(out, r)
		}
	}
	return out
}

// TestHoldAfterEffectNonceRetry is the crash sequence: the bot posts a
// message with a nonce and enforce_nonce, Discord creates it, the bot dies
// before the answer; the restarted bot posts the same nonce again and gets
// the existing message back instead of a second one.
func TestHoldAfterEffectNonceRetry(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dg := session(t, srv)
	ctx := testCtx(t)
	ch := "500000000000000020"
	arrived, release := srv.Hold("POST", "/channels/"+ch+"/messages", true)
	defer release()
	reqCtx, kill := context.WithCancel(ctx)
	defer kill()
	first := sendNonce(dg, reqCtx, ch, nonceMessage{Content: "Připomínka", Nonce: "rem-7", EnforceNonce: true})
	recv(t, ctx, arrived)
	msgs := srv.Messages(ch)
	if len(msgs) != 1 || msgs[0].Content != "Připomínka" {
		t.Fatalf("messages once the held request arrived = %+v, want it created", msgs)
	}
	select {
	case r := <-first:
		t.Fatalf("client got an answer while it was held: %+v", r)
	default:
	}
	if p := messagePosts(srv.Requests(), ch); len(p) != 1 || p[0].Status != 200 || p[0].Dropped {
		t.Errorf("held request = %+v, want status 200 not dropped", p)
	}
	kill() // the bot process dies
	if r := recv(t, ctx, first); !errors.Is(r.err, context.Canceled) {
		t.Errorf("killed client got %+v, want context.Canceled", r)
	}
	if _, err := srv.WaitRequests(ctx, func(rs []Request) bool {
		p := messagePosts(rs, ch)
		return len(p) == 1 && p[0].Dropped
	}); err != nil {
		t.Fatalf("held request never marked dropped: %v", err)
	}

	// The restarted bot sends the same message with the same nonce.
	again := recv(t, ctx, sendNonce(dg, ctx, ch, nonceMessage{Content: "Připomínka", Nonce: "rem-7", EnforceNonce: true}))
	if again.err != nil {
		t.Fatal(again.err)
	}
	if msgs := srv.Messages(ch); len(msgs) != 1 || again.id != msgs[0].ID {
		t.Errorf("after the retry: %d messages, retry got %s, want the one message %s", len(msgs), again.id, msgs[0].ID)
	}
	if p := messagePosts(srv.Requests(), ch); len(p) != 2 || p[1].Status != 200 || p[1].Dropped {
		t.Errorf("posts = %+v", p)
	}
}

func TestHoldBeforeEffect(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dg := session(t, srv)
	ctx := testCtx(t)
	ch := "500000000000000021"

	// The client dies before the request reaches Discord: nothing happens,
	// even when the test releases it afterwards.
	arrived, release := srv.Hold("POST", "/api/v9/channels/", false)
	reqCtx, kill := context.WithCancel(ctx)
	res := sendNonce(dg, reqCtx, ch, nonceMessage{Content: "Ztracená", Nonce: "n-1", EnforceNonce: true})
	recv(t, ctx, arrived)
	if p := messagePosts(srv.Requests(), ch); len(p) != 1 || p[0].Status != 0 {
		t.Errorf("request held before its effect = %+v, want recorded with status 0", p)
	}
	kill()
	if r := recv(t, ctx, res); !errors.Is(r.err, context.Canceled) {
		t.Errorf("killed client got %+v", r)
	}
	if _, err := srv.WaitRequests(ctx, func(rs []Request) bool {
		p := messagePosts(rs, ch)
		return len(p) == 1 && p[0].Dropped
	}); err != nil {
		t.Fatal(err)
	}
	release()
	if msgs := srv.Messages(ch); len(msgs) != 0 {
		t.Errorf("a request dropped before its effect created %+v", msgs)
	}

	// Released while the client waits, it is carried out then.
	arrived, release = srv.Hold("POST", "/channels/", false)
	res = sendNonce(dg, ctx, ch, nonceMessage{Content: "Doručená", Nonce: "n-1", EnforceNonce: true})
	recv(t, ctx, arrived)
	if msgs := srv.Messages(ch); len(msgs) != 0 {
		t.Errorf("held request took effect before release: %+v", msgs)
	}
	release()
	r := recv(t, ctx, res)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if msgs := srv.Messages(ch); len(msgs) != 1 || msgs[0].ID != r.id || msgs[0].Content != "Doručená" {
		t.Errorf("messages after release = %+v, client got %s", msgs, r.id)
	}

	// Released before it arrives, a hold lets its request through; other
	// requests are never held.
	arrived, release = srv.Hold("PATCH", "/channels/", true)
	release()
	if _, err := dg.ChannelMessageSend(ch, "nedržená"); err != nil {
		t.Fatal(err)
	}
	content := "upraveno"
	if _, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: r.id, Channel: ch, Content: &content}); err != nil {
		t.Fatal(err)
	}
	recv(t, ctx, arrived)
}

func TestHoldEndsWithServer(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dg := session(t, srv)
	ctx := testCtx(t)
	ch := "500000000000000022"
	arrived, _ := srv.Hold("", "", false)
	res := sendNonce(dg, ctx, ch, nonceMessage{Content: "x"})
	recv(t, ctx, arrived)
	srv.Close()
	if r := recv(t, ctx, res); r.err == nil {
		t.Errorf("client of a request held when the server closed got %+v", r)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || !reqs[0].Dropped || reqs[0].Status != 0 {
		t.Errorf("requests = %+v, want one dropped", reqs)
	}
	if msgs := srv.Messages(ch); len(msgs) != 0 {
		t.Errorf("messages = %+v", msgs)
	}
}
