package bot

import (
	"net"
	"syscall"
	"testing"
)

// TestGrowReadBuffer: the gateway socket's receive buffer is set larger
// than the kernel's start (a burst of clicks must not fill it).
func TestGrowReadBuffer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	size := func() int {
		raw, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var n int
		var serr error
		if err := raw.Control(func(fd uintptr) { n, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF) }); err != nil || serr != nil {
			t.Fatal(err, serr)
		}
		return n
	}
	before := size()
	growReadBuffer(c)
	if after := size(); after <= before {
		t.Errorf("receive buffer %d bytes after growReadBuffer, %d before", after, before)
	}
}
