// Package smtptest runs an SMTP server on a loopback socket for tests: the
// real protocol (emersion/go-smtp's server) with STARTTLS on a certificate
// made for the test and AUTH PLAIN, recording every message it accepts.
// Tests of coordbot's e-mail sender talk to it as they would to a
// submission server; Deliver can pass each message on (into a Dovecot
// test instance, so a test reads it back over IMAP as a member would) or
// refuse it, RefuseRcpt refuses recipients, and DropAll cuts the
// connections as a server's own timeout would.
package smtptest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	// MessageID is the Message-ID header without angle brackets.
	MessageID string
}

// Server is a running test server. Its hooks must be set before mail
// arrives.
type Server struct {
	// Addr is "127.0.0.1:port".
	Addr string
	// User and Password are the one account AUTH PLAIN accepts.
	User, Password string
	// ClientTLS trusts the server's certificate: give it to the client.
	ClientTLS *tls.Config

	// Deliver, when set, is called with each message before it is
	// accepted; an error refuses the message: an *smtp.SMTPError is the
	// reply as it is (a 4xx or 5xx of the test's choosing), any other
	// error a 451 (try again).
	Deliver func(m Message) error
	// BeforeAccept, when set, runs when a message's data has been read
	// and before the server answers; a test can hold the client there.
	BeforeAccept func(m Message)
	// RefuseRcpt, when set, may refuse a recipient with an SMTP error
	// (a 550 is a hard bounce, a 450 a temporary refusal).
	RefuseRcpt func(to string) *smtp.SMTPError

	srv     *smtp.Server
	ln      net.Listener
	served  chan struct{}
	authOpt bool
	// mu guards msgs, conns (connections accepted) and open (those
	// not yet closed).
	mu    sync.Mutex
	msgs  []Message
	conns int
	open  map[net.Conn]bool
	// accepted counts messages, closed connections that have ended.
	accepted, closed counter
}

// Options choose how a server started by StartWith listens.
type Options struct {
	// TLS is as the sender's smtp.tls: "starttls" (also ""), "tls"
	// (implicit TLS from the first byte) or "none" (no TLS offered).
	TLS string
	// AuthOptional accepts mail without a login, as a loopback relay
	// does; AUTH PLAIN still works.
	AuthOptional bool
}

// Start starts a server on a free loopback port with STARTTLS and AUTH
// PLAIN; Close stops it.
func Start() (*Server, error) { return StartWith(Options{}) }

// StartWith starts a server on a free loopback port as o says; Close
// stops it.
func StartWith(o Options) (*Server, error) {
	cert, pool, err := certificate()
	if err != nil {
		return nil, err
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: %w", err)
	}
	s := &Server{Addr: l.Addr().String(), User: "coordbot", Password: "smtp-test-heslo",
		ClientTLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, accepted: newCounter(),
		closed: newCounter(), open: map[net.Conn]bool{}, served: make(chan struct{}),
		authOpt: o.AuthOptional}
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "smtptest.localhost"
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.MaxMessageBytes = 50 << 20
	s.srv.ErrorLog = quietLogger{}
	// A client configured with tls = "none" on loopback still logs in.
	s.srv.AllowInsecureAuth = true
	// The counting listener sees the TCP connections under any TLS, so
	// it counts connections where go-smtp's sessions would count the
	// plain one before STARTTLS and the encrypted one after it twice.
	s.ln = &listener{Listener: l, s: s}
	switch o.TLS {
	case "", "starttls":
		s.srv.TLSConfig = tlsConfig
	case "tls":
		s.ln = tls.NewListener(s.ln, tlsConfig)
	case "none":
	default:
		l.Close()
		return nil, fmt.Errorf("smtptest: unknown TLS mode %q", o.TLS)
	}
	go func() {
		defer close(s.served)
		s.srv.Serve(s.ln) //nolint:errcheck // ends with Close
	}()
	return s, nil
}

// Close stops the server and its connections, and waits until it no
// longer accepts any.
func (s *Server) Close() error {
	err := s.srv.Close()
	// Closing the listener too: a server closed before Serve has
	// registered it would otherwise serve on.
	s.ln.Close()
	<-s.served
	return err
}

// Messages returns the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Connections is how many connections the server has accepted in all.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// DropAll closes every open connection from the server's side, as a
// server does after its own idle timeout.
func (s *Server) DropAll() {
	s.mu.Lock()
	open := make([]net.Conn, 0, len(s.open))
	for c := range s.open {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		c.Close()
	}
}

// WaitClosed waits until at least n connections have been closed in all
// (by the client, the server or DropAll), or ctx ends.
func (s *Server) WaitClosed(ctx context.Context, n int) error {
	if got, err := s.closed.wait(ctx, n); err != nil {
		return fmt.Errorf("smtptest: %d of %d connections closed: %w", got, n, err)
	}
	return nil
}

// WaitFor waits until at least n messages were accepted in all, or ctx
// ends, and returns the messages.
func (s *Server) WaitFor(ctx context.Context, n int) ([]Message, error) {
	if got, err := s.accepted.wait(ctx, n); err != nil {
		return s.Messages(), fmt.Errorf("smtptest: %d of %d messages: %w", got, n, err)
	}
	return s.Messages(), nil
}

// counter counts events, such as accepted messages, that tests wait for.
type counter struct {
	mu sync.Mutex
	n  int
	// changed is closed, and replaced, at each event: it wakes every
	// waiter, however many.
	changed chan struct{}
}

func newCounter() counter { return counter{changed: make(chan struct{})} }

func (c *counter) add() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	close(c.changed)
	c.changed = make(chan struct{})
}

// wait waits until the count reaches n, or ctx ends; it returns the
// count it saw last.
func (c *counter) wait(ctx context.Context, n int) (int, error) {
	for {
		c.mu.Lock()
		got, changed := c.n, c.changed
		c.mu.Unlock()
		if got >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, ctx.Err()
		}
	}
}

func (s *Server) newSession(*smtp.Conn) (smtp.Session, error) {
	return &session{s: s, authed: s.authOpt}, nil
}

// listener counts and keeps the connections it accepts.
type listener struct {
	net.Listener
	s *Server
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &conn{Conn: c, s: l.s}
	l.s.mu.Lock()
	l.s.conns++
	l.s.open[cc] = true
	l.s.mu.Unlock()
	return cc, nil
}

// conn is an accepted connection that reports its closing once, however
// often it is closed (go-smtp closes it again after DropAll).
type conn struct {
	net.Conn
	s    *Server
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.open, c)
		c.s.mu.Unlock()
		c.s.closed.add()
	})
	return err
}

// session is one SMTP connection's state.
type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.User || password != ss.s.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.RefuseRcpt != nil {
		if err := ss.s.RefuseRcpt(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: ss.from, To: ss.to, Data: data}
	if msg, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		m.MessageID = strings.Trim(strings.TrimSpace(msg.Header.Get("Message-Id")), "<>")
	}
	if ss.s.BeforeAccept != nil {
		ss.s.BeforeAccept(m)
	}
	if ss.s.Deliver != nil {
		if err := ss.s.Deliver(m); err != nil {
			if reply := (*smtp.SMTPError)(nil); errors.As(err, &reply) {
				return reply
			}
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "delivery failed: " + err.Error()}
		}
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	ss.s.mu.Unlock()
	ss.s.accepted.add()
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// certificate makes a self-signed certificate for 127.0.0.1 and
// localhost, and a pool that trusts it.
func certificate() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("smtptest: key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("smtptest: certificate: %w", err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, errors.Join(errors.New("smtptest: certificate"), err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: parsed}, pool, nil
}

// quietLogger drops the server's connection errors (a client killed by a
// test is expected).
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}
func (quietLogger) Println(...any)        {}
