package main

import (
	"net/http/httptest"
	"testing"
)

// TestClientIPFrom: behind a proxy the client is the last address the
// proxy appended; without the header, the peer.
func TestClientIPFrom(t *testing.T) {
	if clientIPFrom("") != nil {
		t.Fatal("no header configured must leave the pages' default")
	}
	f := clientIPFrom("X-Forwarded-For")
	r := httptest.NewRequest("POST", "/login", nil)
	r.RemoteAddr = "127.0.0.1:40000"
	if got := f(r); got != "127.0.0.1" {
		t.Errorf("without the header: %q", got)
	}
	// A client's own forged entry comes first; the proxy appends the real one.
	r.Header.Add("X-Forwarded-For", "203.0.113.9, 198.51.100.7")
	if got := f(r); got != "198.51.100.7" {
		t.Errorf("with the header: %q", got)
	}
}
