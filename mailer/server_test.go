package mailer_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Credentials the test server accepts.
const (
	smtpUser     = "coordbot"
	smtpPassword = "tajné-heslo"
)

// received is one message the test server accepted.
type received struct {
	From string
	To   []string
	Data []byte
}

// smtpServer is go-smtp's server on a loopback port with STARTTLS (a
// certificate made for the test) and AUTH PLAIN. It records what it
// accepts and counts connections; tests script refusals.
type smtpServer struct {
	Addr  string
	Roots *x509.CertPool

	mu       sync.Mutex
	conns    int
	messages []received
	// refuseRcpt maps an address to the reply RCPT TO gets.
	refuseRcpt map[string]*smtp.SMTPError
	// tempData is how many DATA commands still get a 451.
	tempData int
	// deliver, when set, is called with each accepted message; its
	// error is the reply.
	deliver func(raw []byte) error
	// arrived receives a value per accepted message.
	arrived chan struct{}
	// logout, when set, receives a value per closed logged-in session.
	logout chan struct{}
	// noAuth accepts mail without a login (a loopback relay).
	noAuth bool
	// open are the accepted connections, for dropAll.
	open []net.Conn

	srv *smtp.Server
}

// startSMTP starts the server with STARTTLS; it stops when the test ends.
func startSMTP(t testing.TB) *smtpServer { return startSMTPMode(t, "starttls") }

// startSMTPMode starts the server for smtp.tls mode: "starttls", "tls"
// (implicit TLS on the listener) or "none" (no TLS, and no login needed).
func startSMTPMode(t testing.TB, mode string) *smtpServer {
	t.Helper()
	cert, roots := testCertificate(t)
	s := &smtpServer{Roots: roots, refuseRcpt: map[string]*smtp.SMTPError{}, arrived: make(chan struct{}, 10000),
		noAuth: mode == "none"}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}}
	if mode == "starttls" {
		s.srv.TLSConfig = tlsConfig
	}
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.MaxMessageBytes = 1 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	if mode == "tls" {
		ln = tls.NewListener(ln, tlsConfig)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(&countingListener{Listener: ln, s: s})
	}()
	t.Cleanup(func() {
		// Closing the listener too: a server closed before Serve has
		// registered it would otherwise serve on.
		ln.Close()
		s.srv.Close()
		<-done
	})
	return s
}

// countingListener counts the connections the server accepts.
type countingListener struct {
	net.Listener
	s *smtpServer
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.mu.Lock()
		l.s.conns++
		l.s.open = append(l.s.open, c)
		l.s.mu.Unlock()
	}
	return c, err
}

// Conns is how many connections were accepted.
func (s *smtpServer) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// dropAll closes every connection from the server's side.
func (s *smtpServer) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.open {
		c.Close()
	}
	s.open = nil
}

// Messages returns what was accepted so far.
func (s *smtpServer) Messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...)
}

// NewSession implements smtp.Backend.
func (s *smtpServer) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{s: s, auth: s.noAuth}, nil
}

// session is one connection's state.
type session struct {
	s    *smtpServer
	auth bool
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != smtpUser || password != smtpPassword {
			return smtp.ErrAuthFailed
		}
		ss.auth = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.auth {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.auth {
		return smtp.ErrAuthRequired
	}
	ss.s.mu.Lock()
	refusal := ss.s.refuseRcpt[strings.ToLower(to)]
	ss.s.mu.Unlock()
	if refusal != nil {
		return refusal
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	if ss.s.tempData > 0 {
		ss.s.tempData--
		ss.s.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Zkuste to později"}
	}
	deliver := ss.s.deliver
	ss.s.mu.Unlock()
	if deliver != nil {
		if err := deliver(b); err != nil {
			return err
		}
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, received{From: ss.from, To: ss.to, Data: b})
	ss.s.mu.Unlock()
	select {
	case ss.s.arrived <- struct{}{}:
	default: // a benchmark's thousands: nobody waits for them
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }
func (ss *session) Logout() error {
	ss.s.mu.Lock()
	ch := ss.s.logout
	ss.s.mu.Unlock()
	// STARTTLS ends the session before the login too; only a logged-in
	// one is a closed connection.
	if ch != nil && ss.auth {
		ch <- struct{}{}
	}
	return nil
}

// testCertificate makes a self-signed certificate for 127.0.0.1 and
// localhost, and a pool that trusts it.
func testCertificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "coordbot test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}

// errIs reports whether err is an SMTP reply with code.
func smtpCode(err error) int {
	var e *smtp.SMTPError
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}
