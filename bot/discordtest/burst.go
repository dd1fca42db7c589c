package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Answered is one interaction of a burst as the fake saw it answered.
type Answered struct {
	// Response is the bot's first callback, decoded.
	Response *discordgo.InteractionResponse
	// Latency is the time from the start of the interaction's frame
	// written to the gateway to the arrival of that callback.
	Latency time.Duration
	// Written is when the fake began to write the interaction's frame.
	Written time.Time
	// Err is a *CallbackError when the fake refused the callback.
	Err error
}

// InteractAll sends ins as INTERACTION_CREATE dispatches written back to
// back on the gateway connection (encoded first, then written one frame
// after the other with nothing in between), the way a burst of clicks
// reaches a bot, and waits for each one's callback. It returns, in the
// order of ins, each response and its time from frame written to callback
// received. It fills in ins as Interact does. An error is returned only
// when the burst could not be sent or ctx ended while waiting.
func (s *Server) InteractAll(ctx context.Context, ins []*discordgo.Interaction) ([]Answered, error) {
	raws := make([]json.RawMessage, len(ins))
	its := make([]*interaction, len(ins))
	n0s := make([]int, len(ins))
	for i, in := range ins {
		var err error
		if raws[i], its[i], n0s[i], err = s.register(in); err != nil {
			return nil, err
		}
	}
	sess, err := s.readySession(ctx)
	if err != nil {
		return nil, err
	}
	starts := make([]time.Time, len(ins))
	sess.sendMu.Lock()
	frames, c := s.numberLocked(sess, "INTERACTION_CREATE", raws)
	for i, f := range frames {
		starts[i] = time.Now()
		if c == nil {
			break
		}
		// A failed write leaves the dispatch in the buffer, to be
		// replayed when the client resumes.
		if c.write(f) != nil {
			c = nil
		}
	}
	sess.sendMu.Unlock()
	s.mu.Lock()
	for i, it := range its {
		it.dispatched = starts[i]
	}
	s.mu.Unlock()

	out := make([]Answered, len(ins))
	for i, it := range its {
		cb, err := s.waitCallback(ctx, it, n0s[i])
		if err != nil {
			return nil, fmt.Errorf("discordtest: interaction %d of %d: %w", i+1, len(ins), err)
		}
		out[i] = Answered{Response: cb.resp, Latency: cb.at.Sub(starts[i]), Written: starts[i]}
		if cb.status != http.StatusNoContent {
			out[i].Err = &CallbackError{Status: cb.status, Body: cb.body}
		}
	}
	return out, nil
}

// numberLocked numbers and encodes dispatches of type t with data ds (JSON
// the fake encoded, see dispatchFrame), keeps them for RESUME and returns
// the frames and the session's connection (nil when it has none).
// sess.sendMu must be held.
func (s *Server) numberLocked(sess *gwSession, t string, ds []json.RawMessage) ([][]byte, *gwConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	frames := make([][]byte, len(ds))
	for i, d := range ds {
		sess.seq++
		raw := dispatchFrame(t, sess.seq, d)
		frames[i] = raw
		sess.buf = append(sess.buf, sentDispatch{seq: sess.seq, raw: raw})
	}
	if len(sess.buf) > replayLimit {
		sess.buf = append([]sentDispatch(nil), sess.buf[len(sess.buf)-replayLimit:]...)
	}
	s.broadcastLocked()
	return frames, sess.conn
}
