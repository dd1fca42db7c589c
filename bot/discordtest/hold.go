package discordtest

import (
	"context"
	"net/http"
	"sync"
)

// hold is one Hold waiting for its request.
type hold struct {
	method, prefix string
	afterEffect    bool
	arrived        chan struct{}
	released       chan struct{}
	once           sync.Once
}

// Hold keeps the next REST request whose method is method ("" for any) and
// whose path starts with pathPrefix (with or without "/api/v9", as in Fault;
// "" for any) in flight until release is called, for tests that kill the
// client while a Discord call is in progress.
//
// With afterEffect true the request is carried out at once, as if Discord
// had done it (the message is created, the event edited; Requests shows the
// status it will answer) and arrived is closed after that; only the HTTP
// response waits for release. This is the case of a client that dies after
// Discord acted but before it heard back.
//
// With afterEffect false arrived is closed as soon as the whole request has
// been received, and it is carried out only when release is called while the
// client still waits for it. This is the case of a request that never
// reached Discord.
//
// A held request ends when release is called, when its client gives up (the
// request is cancelled, the connection closes, the process dies) or when the
// server closes. In the last two cases the fake answers nothing, Requests
// marks it Dropped, and a request held before its effect never takes effect.
//
// Holds are matched in the order they were made, one request each. Calling
// release before a matching request arrives lets that request through
// without waiting (arrived is still closed for it); release may be called
// any number of times. An injected Fault still applies when a held request
// is carried out.
func (s *Server) Hold(method, pathPrefix string, afterEffect bool) (arrived <-chan struct{}, release func()) {
	h := &hold{
		method: method, prefix: pathPrefix, afterEffect: afterEffect,
		arrived: make(chan struct{}), released: make(chan struct{}),
	}
	s.mu.Lock()
	s.holds = append(s.holds, h)
	s.mu.Unlock()
	return h.arrived, func() { h.once.Do(func() { close(h.released) }) }
}

// takeHoldLocked removes and returns the first hold matching a request, or
// nil. s.mu must be held.
func (s *Server) takeHoldLocked(method, path string) *hold {
	for i, h := range s.holds {
		if routeMatches(h.method, h.prefix, method, path) {
			s.holds = append(s.holds[:i:i], s.holds[i+1:]...)
			return h
		}
	}
	return nil
}

// holdOn waits until h is released, the client gives up on r or the server
// closes. In the latter two cases it marks request idx Dropped and aborts
// the handler without a response.
func (s *Server) holdOn(r *http.Request, h *hold, idx int) {
	select {
	case <-h.released:
	case <-r.Context().Done():
	case <-s.done:
	}
	if r.Context().Err() == nil && !s.closed() {
		return
	}
	s.mu.Lock()
	s.requests[idx].Dropped = true
	s.broadcastLocked()
	s.mu.Unlock()
	panic(http.ErrAbortHandler)
}

// closed reports whether Close has been called.
func (s *Server) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// WaitRequests waits until pred holds on the REST requests received so far
// (as Requests returns them), re-checking after every change, and returns
// them. pred runs with the Server locked: it must not call the Server.
func (s *Server) WaitRequests(ctx context.Context, pred func([]Request) bool) ([]Request, error) {
	var reqs []Request
	err := s.waitFor(ctx, func() bool {
		reqs = append([]Request(nil), s.requests...)
		return pred(reqs)
	})
	return reqs, err
}
