package main

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestHTTPServerLimits: idle keep-alive connections are closed after the
// idle timeout, no more connections than the limit are served at once, and
// a client beyond the limit is still answered once idle ones time out.
func TestHTTPServerLimits(t *testing.T) {
	const limit = 4
	lim := httpLimits{ReadHeaderTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
		IdleTimeout: 300 * time.Millisecond, MaxConns: limit}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	srv, ln := newHTTPServer(h, ln, lim)
	// Connections are counted between Accept and Close on the limited
	// listener: a closed one leaves the count before its slot is free.
	counted := &countingListener{Listener: ln}
	go srv.Serve(counted)
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	// get sends one keep-alive request on c and reads the answer.
	get := func(c net.Conn) error {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
	// Twice the limit of idle keep-alive connections: the first limit
	// are answered at once, the rest once idle ones are closed.
	var idle []net.Conn
	for range 2 * limit {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		idle = append(idle, c)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(idle))
	for i, c := range idle {
		wg.Go(func() { errs[i] = get(c) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("idle connection %d: %v", i, err)
		}
	}

	// A new client is still answered.
	began := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := get(c); err != nil {
		t.Fatalf("new request while idle connections are held: %v", err)
	}
	t.Logf("new request answered after %v", time.Since(began))

	// The idle ones are closed by the server: a read sees EOF well before
	// the client's own deadline.
	for i, c := range idle {
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Errorf("idle connection %d still open after the idle timeout: %v", i, err)
		}
	}
	counted.mu.Lock()
	defer counted.mu.Unlock()
	if most := counted.most; most > limit {
		t.Errorf("%d connections served at once, limit %d", most, limit)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// countingListener records the most connections open at once.
type countingListener struct {
	net.Listener
	mu         sync.Mutex
	open, most int
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.open++
	l.most = max(l.most, l.open)
	l.mu.Unlock()
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.open--
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
