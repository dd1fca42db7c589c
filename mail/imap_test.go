package mail

import (
	"bufio"
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
	"log"
	"log/slog"
	"maps"
	"math/big"
	"net"
	"net/textproto"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

const (
	testIMAPUser     = "archiv@example.cz"
	testIMAPPassword = "imap-heslo-Tajne-4711"
	testTimeout      = 10 * time.Second
)

// fullCaps is what most tests run against: IMAP4rev1 with MOVE and
// UIDPLUS. imapserver adds IDLE by itself to every IMAP4rev1 session.
var fullCaps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapMove: {}, imap.CapUIDPlus: {}}

// lockedBuffer is a bytes.Buffer safe for concurrent writers (log
// handlers, the server's protocol trace).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testIMAPServer is go-imap's in-memory server on a loopback listener.
type testIMAPServer struct {
	t        *testing.T
	user     *imapmemserver.User
	caps     imap.CapSet
	mode     string      // "none", "starttls" or "tls"
	tls      *tls.Config // server side, for "starttls" and "tls"
	roots    *x509.CertPool
	protocol *lockedBuffer // raw protocol of every connection

	// trackerIdle makes IDLE behave as imapmemserver's own: only updates
	// queued after IDLE began are announced (see testSession).
	trackerIdle bool

	mu     sync.Mutex
	srv    *imapserver.Server
	addr   string
	idlers map[chan struct{}]struct{} // sessions in IDLE, see testSession
}

// testSession is an imapmemserver session with a deterministic IDLE.
// imapserver's MailboxTracker wakes an idling session only for updates
// queued after its Idle goroutine registered, which happens just after the
// "+ idling" continuation is sent: mail appended in that instant would be
// announced only with the next update (a real server checks the mailbox
// when IDLE starts). So Idle here flushes pending updates when it starts
// and after every appendMsg.
type testSession struct {
	*imapmemserver.UserSession // nil until login
	ts                         *testIMAPServer
}

func (s *testSession) Login(username, password string) error {
	if err := s.ts.user.Login(username, password); err != nil {
		return err
	}
	s.UserSession = imapmemserver.NewUserSession(s.ts.user)
	return nil
}

func (s *testSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if s.ts.trackerIdle {
		return s.UserSession.Idle(w, stop)
	}
	kick := make(chan struct{}, 1)
	s.ts.mu.Lock()
	s.ts.idlers[kick] = struct{}{}
	s.ts.mu.Unlock()
	defer func() {
		s.ts.mu.Lock()
		delete(s.ts.idlers, kick)
		s.ts.mu.Unlock()
	}()
	for {
		// Poll writes the queued EXISTS/EXPUNGE/FETCH updates.
		if err := s.UserSession.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-kick:
		}
	}
}

// kickIdlers wakes every idling session after an append.
func (ts *testIMAPServer) kickIdlers() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for kick := range ts.idlers {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
}

func newTestIMAPServer(t *testing.T, caps imap.CapSet) *testIMAPServer {
	return newTestIMAPServerMode(t, caps, "none")
}

func newTestIMAPServerMode(t *testing.T, caps imap.CapSet, mode string) *testIMAPServer {
	t.Helper()
	user := imapmemserver.NewUser(testIMAPUser, testIMAPPassword)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	ts := &testIMAPServer{t: t, user: user, caps: caps, mode: mode, protocol: &lockedBuffer{}, idlers: make(map[chan struct{}]struct{})}
	if mode != "none" {
		ts.tls, ts.roots = selfSignedTLS(t)
	}
	ts.start("127.0.0.1:0")
	t.Cleanup(ts.stop)
	return ts
}

// start listens on addr and serves in the background.
func (ts *testIMAPServer) start(addr string) {
	ts.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		ts.t.Fatal(err)
	}
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &testSession{ts: ts}, nil, nil
		},
		Caps:         ts.caps,
		Logger:       log.New(io.Discard, "", 0),
		InsecureAuth: true,
		DebugWriter:  ts.protocol,
	}
	switch ts.mode {
	case "starttls":
		opts.TLSConfig = ts.tls
	case "tls":
		ln = tls.NewListener(ln, ts.tls)
	}
	srv := imapserver.New(opts)
	ts.mu.Lock()
	ts.srv, ts.addr = srv, ln.Addr().String()
	ts.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// stop closes the listener and every connection.
func (ts *testIMAPServer) stop() {
	ts.mu.Lock()
	srv := ts.srv
	ts.srv = nil
	ts.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

func (ts *testIMAPServer) address() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.addr
}

// config is an IMAPConfig for this server.
func (ts *testIMAPServer) config() IMAPConfig {
	cfg := IMAPConfig{
		Addr:              ts.address(),
		TLS:               ts.mode,
		Username:          testIMAPUser,
		Password:          testIMAPPassword,
		Mailbox:           "INBOX",
		ArchiveMailbox:    "Archive",
		QuarantineMailbox: "Quarantine",
		PollInterval:      time.Hour,
	}
	if ts.roots != nil {
		cfg.TLSConfig = &tls.Config{RootCAs: ts.roots}
	}
	return cfg
}

// client is a second, independent IMAP client, logged in.
func (ts *testIMAPServer) client() *imapclient.Client {
	ts.t.Helper()
	var (
		c   *imapclient.Client
		err error
	)
	if ts.mode == "tls" {
		c, err = imapclient.DialTLS(ts.address(), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: ts.roots}})
	} else {
		c, err = imapclient.DialInsecure(ts.address(), nil)
	}
	if err != nil {
		ts.t.Fatal(err)
	}
	if err := c.Login(testIMAPUser, testIMAPPassword).Wait(); err != nil {
		ts.t.Fatal(err)
	}
	return c
}

// appendMsg stores raw in mailbox with APPEND and returns its UID.
func (ts *testIMAPServer) appendMsg(mailbox string, raw []byte, flags ...imap.Flag) imap.UID {
	ts.t.Helper()
	c := ts.client()
	defer c.Close()
	cmd := c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Flags: flags})
	if _, err := cmd.Write(raw); err != nil {
		ts.t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		ts.t.Fatal(err)
	}
	data, err := cmd.Wait()
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.kickIdlers()
	return data.UID
}

// appendMany stores raws in mailbox in order, over one connection, and
// returns their UIDs.
func (ts *testIMAPServer) appendMany(mailbox string, raws ...[]byte) []imap.UID {
	ts.t.Helper()
	c := ts.client()
	defer c.Close()
	var uids []imap.UID
	for _, raw := range raws {
		cmd := c.Append(mailbox, int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			ts.t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			ts.t.Fatal(err)
		}
		data, err := cmd.Wait()
		if err != nil {
			ts.t.Fatal(err)
		}
		uids = append(uids, data.UID)
	}
	ts.kickIdlers()
	return uids
}

// storedMsg is a message as found in a mailbox.
type storedMsg struct {
	UID   imap.UID
	Flags []imap.Flag
	Raw   []byte
}

// messages lists a mailbox (read-only, flags untouched); nil if the mailbox
// does not exist.
func (ts *testIMAPServer) messages(mailbox string) []storedMsg {
	ts.t.Helper()
	c := ts.client()
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		var imapErr *imap.Error
		if errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeNonExistent {
			return nil
		}
		ts.t.Fatalf("examine %s: %v", mailbox, err)
	}
	out := []storedMsg{}
	if sel.NumMessages == 0 {
		return out
	}
	section := &imap.FetchItemBodySection{Peek: true}
	var all imap.SeqSet
	all.AddRange(1, 0) // 1:*
	bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		ts.t.Fatalf("fetch %s: %v", mailbox, err)
	}
	for _, b := range bufs {
		out = append(out, storedMsg{UID: b.UID, Flags: b.Flags, Raw: b.FindBodySection(section)})
	}
	slices.SortFunc(out, func(a, b storedMsg) int { return int(a.UID) - int(b.UID) })
	return out
}

// commands counts client commands in the protocol trace matching re (the
// part after the tag).
func (ts *testIMAPServer) commands(re string) int {
	r := regexp.MustCompile(`(?i)^[A-Z0-9.]+ ` + re)
	n := 0
	for line := range strings.Lines(ts.protocol.String()) {
		// Skip message text cheaply: a command starts with a tag.
		tag, _, ok := strings.Cut(line, " ")
		if !ok || tag == "" || strings.ContainsFunc(tag, func(r rune) bool {
			return !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '.')
		}) {
			continue
		}
		if r.MatchString(line) {
			n++
		}
	}
	return n
}

// selfSignedTLS makes a server config and the pool that trusts it, for
// 127.0.0.1.
func selfSignedTLS(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "coordbot test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// recordingFiler stands in for the real pipeline (tested elsewhere): it
// records every call, quarantines messages with "X-Test-Disposition:
// quarantine" or that arrive truncated, and recognises duplicates by
// Message-ID. It is a plain Filer; batchRecordingFiler adds FileBatch.
type recordingFiler struct {
	mu     sync.Mutex
	calls  []Incoming
	byID   map[string]Outcome
	nextID int64
	err    error // returned by File when set
	// errFor, when set, says whether filing in fails (nil: it succeeds).
	errFor func(in Incoming) error
	filed  chan Incoming // every successful call (a full buffer drops)
}

func newRecordingFiler() *recordingFiler {
	return &recordingFiler{byID: make(map[string]Outcome), filed: make(chan Incoming, 100)}
}

func (f *recordingFiler) File(_ context.Context, in Incoming) (Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in.Raw = bytes.Clone(in.Raw)
	f.calls = append(f.calls, in)
	if err := f.failure(in); err != nil {
		return Outcome{}, err
	}
	out, err := f.decide(in, f.byID, &f.nextID)
	if err != nil {
		return Outcome{}, err
	}
	f.notify(in)
	return out, nil
}

// failure is the error filing in should fail with, if any (mu held).
func (f *recordingFiler) failure(in Incoming) error {
	if f.err != nil {
		return f.err
	}
	if f.errFor != nil {
		return f.errFor(in)
	}
	return nil
}

// decide files in into byID (mu held).
func (f *recordingFiler) decide(in Incoming, byID map[string]Outcome, nextID *int64) (Outcome, error) {
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(in.Raw))).ReadMIMEHeader()
	if err != nil && !errors.Is(err, io.EOF) {
		return Outcome{}, fmt.Errorf("recordingFiler: %w", err)
	}
	id := h.Get("Message-Id")
	if out, ok := byID[id]; ok {
		out.Duplicate = true
		return out, nil
	}
	*nextID++
	out := Outcome{ID: *nextID, Disposition: Archived}
	switch {
	case in.Size > int64(len(in.Raw)):
		out.Disposition, out.Reason = Quarantined, "too large"
	case strings.EqualFold(h.Get("X-Test-Disposition"), "quarantine"):
		out.Disposition, out.Reason = Quarantined, "test says quarantine"
	}
	byID[id] = out
	return out, nil
}

// notify reports a filed message on f.filed without ever blocking the
// intake (tests that watch it read it as they go).
func (f *recordingFiler) notify(in Incoming) {
	select {
	case f.filed <- in:
	default:
	}
}

func (f *recordingFiler) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *recordingFiler) setErrFor(errFor func(in Incoming) error) {
	f.mu.Lock()
	f.errFor = errFor
	f.mu.Unlock()
}

// batchRecordingFiler is a recordingFiler with FileBatch, modelling one
// transaction per batch: when any message of the batch fails, nothing of
// the batch is committed (unless commitOnErr says the commit went through
// and only its report failed).
type batchRecordingFiler struct {
	*recordingFiler
	batches     [][]Incoming // every FileBatch call
	commitOnErr bool
}

func newBatchRecordingFiler() *batchRecordingFiler {
	return &batchRecordingFiler{recordingFiler: newRecordingFiler()}
}

func (f *batchRecordingFiler) FileBatch(_ context.Context, ins []Incoming) ([]Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	batch := make([]Incoming, len(ins))
	for i, in := range ins {
		in.Raw = bytes.Clone(in.Raw)
		batch[i] = in
	}
	f.calls = append(f.calls, batch...)
	f.batches = append(f.batches, batch)

	byID, nextID := maps.Clone(f.byID), f.nextID
	outs := make([]Outcome, len(batch))
	var failed error
	for i, in := range batch {
		if err := f.failure(in); err != nil && failed == nil {
			failed = err
			if !f.commitOnErr {
				break
			}
		}
		out, err := f.decide(in, byID, &nextID)
		if err != nil {
			return nil, err
		}
		outs[i] = out
	}
	if failed != nil && !f.commitOnErr {
		return nil, failed // rolled back
	}
	f.byID, f.nextID = byID, nextID
	if failed != nil {
		return nil, failed // committed, but the caller hears of an error
	}
	for _, in := range batch {
		f.notify(in)
	}
	return outs, nil
}

// batchSizes lists how many messages each FileBatch call got.
func (f *batchRecordingFiler) batchSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n []int
	for _, b := range f.batches {
		n = append(n, len(b))
	}
	return n
}

// batchSources lists the Sources of each FileBatch call.
func (f *batchRecordingFiler) batchSources() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s [][]string
	for _, b := range f.batches {
		s = append(s, sources(b))
	}
	return s
}

func (f *recordingFiler) recorded() []Incoming {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// fakeWaiter replaces Intake.wait: each backoff or poll wait is reported on
// a channel and lasts until the test releases it; an IDLE refresh wait
// lasts until the test sends on refresh; the short settle IDLE after a pass
// ends at once.
type fakeWaiter struct {
	backoff chan time.Duration
	poll    chan time.Duration
	release chan struct{}
	refresh chan struct{}
}

func newFakeWaiter() *fakeWaiter {
	return &fakeWaiter{
		backoff: make(chan time.Duration),
		poll:    make(chan time.Duration),
		release: make(chan struct{}),
		refresh: make(chan struct{}),
	}
}

func (w *fakeWaiter) wait(ctx context.Context, why waitKind, d time.Duration) error {
	var report chan time.Duration
	switch why {
	case waitIdleSettle:
		return nil // the short first IDLE ends at once
	case waitBackoff:
		report = w.backoff
	case waitPoll:
		report = w.poll
	case waitIdleRefresh:
		select {
		case <-w.refresh:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case report <- d:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-w.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// recv waits for a value on ch, failing the test after testTimeout.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// send sends v on ch, failing the test after testTimeout.
func send[T any](t *testing.T, ch chan<- T, v T, what string) {
	t.Helper()
	select {
	case ch <- v:
	case <-time.After(testTimeout):
		t.Fatalf("timed out on %s", what)
	}
}

// testMsg builds a windows-1250 encoded plain-text message.
func testMsg(id string, extraHeader string, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString("From: =?windows-1250?Q?Jana_Dvo=F8=E1kov=E1?= <jana@example.cz>\r\n")
	b.WriteString("To: archiv@example.cz\r\n")
	b.WriteString("Subject: =?windows-1250?Q?Z=E1pis_ze_sch=F9ze?= " + id + "\r\n")
	b.WriteString("Date: Mon, 3 Mar 2025 18:00:00 +0100\r\n")
	b.WriteString("Message-ID: <" + id + "@example.cz>\r\n")
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=windows-1250\r\n")
	b.WriteString("Content-Transfer-Encoding: 8bit\r\n")
	b.WriteString(extraHeader)
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// czechBody holds 8-bit windows-1250 bytes: "Zápis ze schůze, účast 12."
var czechBody = []byte("Z\xe1pis ze sch\xf9ze, \xfa\xe8ast 12.\r\nTajny-obsah-zpravy\r\n")

const quarantineHeader = "X-Test-Disposition: quarantine\r\n"

// newTestIntake wires an Intake to ts with a recordingFiler and a captured
// text log.
func newTestIntake(ts *testIMAPServer) (*Intake, *recordingFiler, *lockedBuffer) {
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	filer := newRecordingFiler()
	return NewIntake(ts.config(), filer, logger), filer, logs
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	return slices.ContainsFunc(flags, func(g imap.Flag) bool { return strings.EqualFold(string(g), string(f)) })
}

// checkMailbox compares a mailbox's contents with want, byte for byte.
func checkMailbox(t *testing.T, ts *testIMAPServer, mailbox string, want ...[]byte) []storedMsg {
	t.Helper()
	got := ts.messages(mailbox)
	if got == nil {
		t.Fatalf("%s does not exist", mailbox)
	}
	if len(got) != len(want) {
		t.Fatalf("%s holds %d messages, want %d", mailbox, len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].Raw, want[i]) {
			t.Errorf("%s message %d:\n got %q\nwant %q", mailbox, i+1, got[i].Raw, want[i])
		}
	}
	return got
}

func checkNoSecrets(t *testing.T, logs string) {
	t.Helper()
	for _, secret := range []string{testIMAPPassword, "Tajny-obsah-zpravy", "sch\xf9ze", "Z=E1pis"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

func TestIntakeFetchOnceFilesAndMoves(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	msgs := [][]byte{
		testMsg("m1", "", czechBody),
		testMsg("m2", quarantineHeader, []byte("spam\r\n")),
		testMsg("m3", "", []byte("Druh\xfd z\xe1pis.\r\n")),
	}
	for _, m := range msgs {
		ts.appendMsg("INBOX", m)
	}
	if ts.messages("Archive") != nil || ts.messages("Quarantine") != nil {
		t.Fatal("target mailboxes exist before the first pass")
	}

	in, filer, logs := newTestIntake(ts)
	sum, err := in.FetchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 2, Quarantined: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}

	calls := filer.recorded()
	if len(calls) != 3 {
		t.Fatalf("File called %d times, want 3", len(calls))
	}
	for i, c := range calls {
		if want := fmt.Sprintf("imap:INBOX/%d", i+1); c.Source != want {
			t.Errorf("call %d: Source = %q, want %q (UID order)", i, c.Source, want)
		}
		if !bytes.Equal(c.Raw, msgs[i]) {
			t.Errorf("call %d: Raw differs from the appended bytes:\n got %q\nwant %q", i, c.Raw, msgs[i])
		}
		if c.Size != int64(len(msgs[i])) {
			t.Errorf("call %d: Size = %d, want %d", i, c.Size, len(msgs[i]))
		}
	}

	checkMailbox(t, ts, "INBOX")
	archived := checkMailbox(t, ts, "Archive", msgs[0], msgs[2])
	quarantined := checkMailbox(t, ts, "Quarantine", msgs[1])
	for _, m := range append(archived, quarantined...) {
		if hasFlag(m.Flags, imap.FlagSeen) {
			t.Errorf("moved message %d has \\Seen: the fetch must use BODY.PEEK", m.UID)
		}
	}

	// One batch: one FETCH of the sizes, one of the bodies, one MOVE per
	// target mailbox.
	if n := ts.commands(`UID MOVE `); n != 2 {
		t.Errorf("%d UID MOVE commands, want 2 (one per target mailbox)", n)
	}
	if ts.commands(`UID MOVE 1,3 "Archive"\r`) != 1 || ts.commands(`UID MOVE 2 "Quarantine"\r`) != 1 {
		t.Errorf("want UID MOVE 1,3 to Archive and 2 to Quarantine:\n%s", ts.protocol.String())
	}
	if n := ts.commands(`(UID )?EXPUNGE`); n != 0 {
		t.Errorf("%d EXPUNGE commands with MOVE available", n)
	}
	if n := ts.commands(`UID FETCH 1:3 \(UID RFC822\.SIZE\)\r`); n != 1 {
		t.Errorf("%d UID FETCH 1:3 RFC822.SIZE commands, want 1:\n%s", n, ts.protocol.String())
	}
	if n := ts.commands(`UID FETCH [\d:,]+ \(UID BODY\.PEEK\[\]\)`); n != 1 {
		t.Errorf("%d UID FETCH BODY.PEEK[] commands, want 1:\n%s", n, ts.protocol.String())
	}
	if n := ts.commands(`UID FETCH 1:3 \(UID BODY\.PEEK\[\]\)\r`); n != 1 {
		t.Errorf("bodies not fetched with UID FETCH 1:3:\n%s", ts.protocol.String())
	}

	out := logs.String()
	if n := strings.Count(out, "level=INFO msg=\"mail: imap message filed\""); n != 2 {
		t.Errorf("%d filed lines, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, `level=WARN msg="mail: imap message quarantined" mailbox=INBOX uid=2 disposition=quarantined duplicate=false archive_id=2`) ||
		!strings.Contains(out, `reason="test says quarantine"`) {
		t.Errorf("no quarantine warning with uid and reason:\n%s", out)
	}
	if strings.Count(out, "mail: imap mailbox created") != 2 {
		t.Errorf("mailbox creation not logged twice:\n%s", out)
	}
	checkNoSecrets(t, out)

	// A second pass finds nothing to do.
	sum, err = in.FetchOnce(context.Background())
	if err != nil || sum != (Summary{}) || len(filer.recorded()) != 3 {
		t.Errorf("second pass: %+v, %v, %d calls", sum, err, len(filer.recorded()))
	}
}

func TestIntakeFilerErrorLeavesMessage(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	m1, m2 := testMsg("e1", "", czechBody), testMsg("e2", "", []byte("b\r\n"))
	ts.appendMsg("INBOX", m1)
	ts.appendMsg("INBOX", m2)

	in, filer, _ := newTestIntake(ts)
	errDB := errors.New("database is locked")
	filer.setErr(errDB)
	sum, err := in.FetchOnce(context.Background())
	if !errors.Is(err, errDB) {
		t.Fatalf("FetchOnce error = %v, want %v", err, errDB)
	}
	if !strings.HasPrefix(err.Error(), "mail: ") {
		t.Errorf("error %q lacks the mail: prefix", err)
	}
	if want := (Summary{Failed: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if n := len(filer.recorded()); n != 1 {
		t.Errorf("File called %d times, want 1 (the pass stops at the failure)", n)
	}
	checkMailbox(t, ts, "INBOX", m1, m2)
	checkMailbox(t, ts, "Archive")

	filer.setErr(nil)
	sum, err = in.FetchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 2}); sum != want {
		t.Errorf("summary after recovery = %+v, want %+v", sum, want)
	}
	checkMailbox(t, ts, "INBOX")
	checkMailbox(t, ts, "Archive", m1, m2)
}

func TestIntakeCrashBetweenFileAndMove(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	m1, m2 := testMsg("c1", "", czechBody), testMsg("c2", "", []byte("b\r\n"))
	ts.appendMsg("INBOX", m1)
	ts.appendMsg("INBOX", m2)

	in, filer, _ := newTestIntake(ts)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in.afterFile = func(uid imap.UID) {
		if uid == 1 {
			cancel() // the process dies after the commit, before the move
		}
	}
	if _, err := in.FetchOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("FetchOnce error = %v, want context.Canceled", err)
	}
	if n := len(filer.recorded()); n != 1 {
		t.Fatalf("File called %d times, want 1", n)
	}
	checkMailbox(t, ts, "INBOX", m1, m2)
	checkMailbox(t, ts, "Archive")

	in.afterFile = nil
	sum, err := in.FetchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 1, Duplicates: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	calls := filer.recorded()
	if len(calls) != 3 || calls[0].Source != "imap:INBOX/1" || calls[1].Source != "imap:INBOX/1" || calls[2].Source != "imap:INBOX/2" {
		t.Errorf("calls = %v", sources(calls))
	}
	checkMailbox(t, ts, "INBOX")
	checkMailbox(t, ts, "Archive", m1, m2) // exactly one copy of each
}

func sources(calls []Incoming) []string {
	var s []string
	for _, c := range calls {
		s = append(s, c.Source)
	}
	return s
}

func TestIntakeOversizedMessage(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	header := testMsg("big", "", nil) // header section, blank line included
	big := append(bytes.Clone(header), bytes.Repeat([]byte("P\xf8\xedloha 0123456789\r\n"), 100)...)
	small := testMsg("small", "", czechBody)
	ts.appendMsg("INBOX", big)
	ts.appendMsg("INBOX", small)

	in, filer, _ := newTestIntake(ts)
	in.cfg.MaxMessageSize = int64(len(small)) + 10
	sum, err := in.FetchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 1, Quarantined: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	calls := filer.recorded()
	if len(calls) != 2 {
		t.Fatalf("File called %d times, want 2", len(calls))
	}
	if !bytes.Equal(calls[0].Raw, header) {
		t.Errorf("oversized message: Raw = %q, want only the header %q", calls[0].Raw, header)
	}
	if calls[0].Size != int64(len(big)) {
		t.Errorf("oversized message: Size = %d, want %d", calls[0].Size, len(big))
	}
	if !bytes.Equal(calls[1].Raw, small) || calls[1].Size != int64(len(small)) {
		t.Errorf("small message not passed whole")
	}
	if n := ts.commands(`UID FETCH 1 \(UID BODY\.PEEK\[HEADER\]\)`); n != 1 {
		t.Errorf("header-only fetch not seen:\n%s", ts.protocol.String())
	}
	if n := ts.commands(`UID FETCH 1 \(UID BODY\.PEEK\[\]\)`); n != 0 {
		t.Errorf("oversized message fetched whole")
	}
	checkMailbox(t, ts, "INBOX")
	checkMailbox(t, ts, "Quarantine", big) // moved whole, of course
	checkMailbox(t, ts, "Archive", small)
}

func TestIntakeMoveFallback(t *testing.T) {
	tests := []struct {
		name        string
		caps        imap.CapSet
		noMove      bool
		uidExpunges int // UID EXPUNGE commands expected
		expunges    int // plain EXPUNGE commands expected
	}{
		{"forced_with_uidplus", fullCaps, true, 2, 0},
		{"server_without_move", imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}, false, 2, 0},
		{"server_without_move_and_uidplus", imap.CapSet{imap.CapIMAP4rev1: {}}, false, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestIMAPServer(t, tt.caps)
			m1, m2 := testMsg("f1", "", czechBody), testMsg("f2", quarantineHeader, []byte("b\r\n"))
			m3 := testMsg("f3", "", []byte("c\r\n"))
			ts.appendMany("INBOX", m1, m2, m3)
			in, _, _ := newTestIntake(ts)
			in.noMove = tt.noMove
			sum, err := in.FetchOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if want := (Summary{Archived: 2, Quarantined: 1}); sum != want {
				t.Errorf("summary = %+v, want %+v", sum, want)
			}
			checkMailbox(t, ts, "INBOX")
			checkMailbox(t, ts, "Archive", m1, m3)
			checkMailbox(t, ts, "Quarantine", m2)
			if n := ts.commands(`UID MOVE `); n != 0 {
				t.Errorf("%d UID MOVE commands in fallback", n)
			}
			// One batch: the commands take the set of each target mailbox.
			if n := ts.commands(`UID COPY `); n != 2 {
				t.Errorf("%d UID COPY commands, want 2", n)
			}
			if ts.commands(`UID COPY 1,3 "Archive"\r`) != 1 || ts.commands(`UID COPY 2 "Quarantine"\r`) != 1 {
				t.Errorf("want UID COPY 1,3 to Archive and 2 to Quarantine:\n%s", ts.protocol.String())
			}
			if n := ts.commands(`UID STORE [\d,:]+ \+FLAGS\.SILENT \(\\Deleted\)`); n != 2 {
				t.Errorf("%d UID STORE +FLAGS.SILENT (\\Deleted) commands, want 2", n)
			}
			if n := ts.commands(`UID STORE 1,3 \+FLAGS\.SILENT \(\\Deleted\)`); n != 1 {
				t.Errorf("no UID STORE 1,3 +FLAGS.SILENT (\\Deleted):\n%s", ts.protocol.String())
			}
			if n := ts.commands(`UID EXPUNGE [\d,:]+\r`); n != tt.uidExpunges {
				t.Errorf("%d UID EXPUNGE commands, want %d", n, tt.uidExpunges)
			}
			if tt.uidExpunges > 0 && ts.commands(`UID EXPUNGE 1,3\r`) != 1 {
				t.Errorf("no UID EXPUNGE 1,3:\n%s", ts.protocol.String())
			}
			if n := ts.commands(`EXPUNGE\r`); n != tt.expunges {
				t.Errorf("%d EXPUNGE commands, want %d", n, tt.expunges)
			}
		})
	}
}

// Without MOVE and UIDPLUS, a plain EXPUNGE would also remove a message
// someone else flagged \Deleted: the intake must leave its copies flagged
// instead, and later passes must not file them again.
func TestIntakeMoveFallbackKeepsForeignDeleted(t *testing.T) {
	ts := newTestIMAPServer(t, imap.CapSet{imap.CapIMAP4rev1: {}})
	foreign := testMsg("foreign", "", []byte("smazat\r\n"))
	m1 := testMsg("k1", "", czechBody)
	ts.appendMsg("INBOX", foreign, imap.FlagDeleted)
	ts.appendMsg("INBOX", m1)

	in, filer, logs := newTestIntake(ts)
	for pass := 1; pass <= 2; pass++ {
		sum, err := in.FetchOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := Summary{Archived: 1}
		if pass == 2 {
			want = Summary{}
		}
		if sum != want {
			t.Errorf("pass %d: summary = %+v, want %+v", pass, sum, want)
		}
	}
	if n := len(filer.recorded()); n != 1 {
		t.Errorf("File called %d times, want 1 (\\Deleted messages are skipped)", n)
	}
	inbox := checkMailbox(t, ts, "INBOX", foreign, m1)
	for _, m := range inbox {
		if !hasFlag(m.Flags, imap.FlagDeleted) {
			t.Errorf("INBOX uid %d lost \\Deleted", m.UID)
		}
	}
	checkMailbox(t, ts, "Archive", m1)
	if n := ts.commands(`(UID )?EXPUNGE`); n != 0 {
		t.Errorf("%d EXPUNGE commands despite a foreign \\Deleted message", n)
	}
	if n := strings.Count(logs.String(), "other messages are flagged"); n != 1 {
		t.Errorf("foreign \\Deleted warning logged %d times, want 1:\n%s", n, logs.String())
	}
}

// runIntake starts Run and returns a function that cancels it and checks
// that it returns nil.
func runIntake(t *testing.T, in *Intake) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v, want nil", err)
				}
			case <-time.After(testTimeout):
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Fatalf("Run did not return:\n%s", buf[:n])
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestIntakeRunIdle(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	m1, m2 := testMsg("i1", "", czechBody), testMsg("i2", "", []byte("b\r\n"))
	ts.appendMsg("INBOX", m1)

	in, filer, logs := newTestIntake(ts)
	fw := newFakeWaiter()
	in.wait = fw.wait
	idling := make(chan struct{}, 100)
	in.onIdle = func() { idling <- struct{}{} }
	stop := runIntake(t, in)

	if got := recv(t, filer.filed, "first message filed"); got.Source != "imap:INBOX/1" {
		t.Errorf("filed %s, want imap:INBOX/1", got.Source)
	}
	recv(t, idling, "IDLE after the first pass")

	// New mail from another client while the intake idles.
	ts.appendMsg("INBOX", m2)
	if got := recv(t, filer.filed, "message appended during IDLE filed"); !bytes.Equal(got.Raw, m2) {
		t.Errorf("filed %q, want %q", got.Raw, m2)
	}
	recv(t, idling, "IDLE after the second pass")
	checkMailbox(t, ts, "INBOX")
	checkMailbox(t, ts, "Archive", m1, m2)

	// The refresh interval ends IDLE; the intake passes and re-issues it:
	// the short settle IDLE, then the long one.
	idles := ts.commands(`IDLE\r`)
	send(t, fw.refresh, struct{}{}, "IDLE refresh")
	recv(t, idling, "IDLE re-issued after the refresh interval")
	if n := ts.commands(`IDLE\r`); n != idles+2 {
		t.Errorf("%d IDLE commands after refresh, want %d", n, idles+2)
	}

	stop()
	if out := logs.String(); strings.Contains(out, "level=WARN") {
		t.Errorf("warnings in a healthy run:\n%s", out)
	}
	checkNoSecrets(t, logs.String())
}

// TestIntakeRunIdleSeesMailQueuedBeforeIdle: mail delivered between a pass
// and IDLE, on a server that announces only what happens after IDLE began
// (imapmemserver, Cyrus before 3.4), is filed at once, not after the
// 25-minute IDLE refresh.
func TestIntakeRunIdleSeesMailQueuedBeforeIdle(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	ts.trackerIdle = true
	in, filer, _ := newTestIntake(ts)
	fw := newFakeWaiter() // the IDLE refresh never comes
	in.wait = fw.wait
	m1 := testMsg("q1", "", czechBody)
	var once sync.Once
	in.beforeIdle = func() { once.Do(func() { ts.appendMsg("INBOX", m1) }) }
	idling := make(chan struct{}, 100)
	in.onIdle = func() { idling <- struct{}{} }
	runIntake(t, in)

	if got := recv(t, filer.filed, "message delivered just before IDLE filed"); !bytes.Equal(got.Raw, m1) {
		t.Errorf("filed %q, want %q", got.Raw, m1)
	}
	recv(t, idling, "IDLE after the message was moved")
	checkMailbox(t, ts, "Archive", m1)
}

func TestIntakeRunPollsWithoutIdle(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	in, filer, _ := newTestIntake(ts)
	in.noIdle = true // imapserver always advertises IDLE
	fw := newFakeWaiter()
	in.wait = fw.wait
	stop := runIntake(t, in)

	if d := recv(t, fw.poll, "first poll wait"); d != time.Hour {
		t.Errorf("poll wait %v, want PollInterval (1h)", d)
	}
	m1 := testMsg("p1", "", czechBody)
	ts.appendMsg("INBOX", m1)
	send(t, fw.release, struct{}{}, "poll release")
	if got := recv(t, filer.filed, "polled message filed"); !bytes.Equal(got.Raw, m1) {
		t.Errorf("filed %q, want %q", got.Raw, m1)
	}
	recv(t, fw.poll, "second poll wait")
	checkMailbox(t, ts, "Archive", m1)
	stop()
	if n := ts.commands(`IDLE\r`); n != 0 {
		t.Errorf("%d IDLE commands while polling", n)
	}
}

func TestIntakeRunReconnects(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	in, filer, logs := newTestIntake(ts)
	fw := newFakeWaiter()
	in.wait = fw.wait
	idling := make(chan struct{}, 100)
	in.onIdle = func() { idling <- struct{}{} }
	stop := runIntake(t, in)
	recv(t, idling, "first IDLE")

	// The server goes away: the intake notices in IDLE and backs off.
	addr := ts.address()
	ts.stop()
	if d := recv(t, fw.backoff, "first backoff"); d < 500*time.Millisecond || d > time.Second {
		t.Errorf("first backoff %v, want 0.5–1 s", d)
	}
	send(t, fw.release, struct{}{}, "first backoff release")
	// Still down: connection refused, the delay doubles.
	if d := recv(t, fw.backoff, "second backoff"); d < time.Second || d > 2*time.Second {
		t.Errorf("second backoff %v, want 1–2 s", d)
	}
	ts.start(addr)
	m1 := testMsg("r1", "", czechBody)
	ts.appendMsg("INBOX", m1)
	send(t, fw.release, struct{}{}, "second backoff release")

	if got := recv(t, filer.filed, "message filed after reconnect"); !bytes.Equal(got.Raw, m1) {
		t.Errorf("filed %q, want %q", got.Raw, m1)
	}
	recv(t, idling, "IDLE after reconnect")
	checkMailbox(t, ts, "Archive", m1)
	stop()

	out := logs.String()
	if n := strings.Count(out, "level=WARN"); n != 1 {
		t.Errorf("%d warnings, want exactly one for the outage:\n%s", n, out)
	}
	if n := strings.Count(out, `level=WARN msg="mail: imap intake interrupted`); n != 1 {
		t.Errorf("no outage warning:\n%s", out)
	}
	if n := strings.Count(out, `level=INFO msg="mail: imap intake restored"`); n != 1 {
		t.Errorf("%d restored lines, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "attempts=2") {
		t.Errorf("restored line does not count 2 attempts:\n%s", out)
	}
	checkNoSecrets(t, out)
}

func TestIntakeTLSModes(t *testing.T) {
	for _, mode := range []string{"starttls", "tls"} {
		t.Run(mode, func(t *testing.T) {
			ts := newTestIMAPServerMode(t, fullCaps, mode)
			m1 := testMsg("t1", "", czechBody)
			ts.appendMsg("INBOX", m1)
			in, _, _ := newTestIntake(ts)
			sum, err := in.FetchOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if sum != (Summary{Archived: 1}) {
				t.Errorf("summary = %+v", sum)
			}
			if mode == "starttls" && ts.commands(`STARTTLS\r`) != 1 {
				t.Errorf("no STARTTLS command")
			}
			checkMailbox(t, ts, "Archive", m1)

			// Without the test CA the certificate is refused.
			in.cfg.TLSConfig = nil
			if _, err := in.FetchOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Errorf("untrusted certificate: err = %v", err)
			}
		})
	}
}

func TestIntakeLoginFailure(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	in, filer, logs := newTestIntake(ts)
	in.cfg.Password = "wrong-" + testIMAPPassword
	_, err := in.FetchOnce(context.Background())
	if err == nil {
		t.Fatal("FetchOnce succeeded with a wrong password")
	}
	if strings.Contains(err.Error(), testIMAPPassword) || !strings.Contains(err.Error(), "login") {
		t.Errorf("error = %q: want a login error without the password", err)
	}
	if len(filer.recorded()) != 0 {
		t.Error("File called without a login")
	}
	checkNoSecrets(t, logs.String())
}

func TestIntakeBadConfig(t *testing.T) {
	for _, cfg := range []IMAPConfig{
		{Addr: "127.0.0.1", TLS: "none"},
		{Addr: "127.0.0.1:1", TLS: "ssl"},
	} {
		if _, err := NewIntake(cfg, newRecordingFiler(), nil).FetchOnce(context.Background()); err == nil || !strings.HasPrefix(err.Error(), "mail: ") {
			t.Errorf("%+v: err = %v", cfg, err)
		}
	}
}

// newTestBatchIntake is newTestIntake with a batch-capable filer.
func newTestBatchIntake(ts *testIMAPServer) (*Intake, *batchRecordingFiler, *lockedBuffer) {
	in, _, logs := newTestIntake(ts)
	filer := newBatchRecordingFiler()
	in.filer = filer
	return in, filer, logs
}

// paddedMsg is testMsg padded with body lines to exactly size bytes.
func paddedMsg(id, extraHeader string, size int) []byte {
	header := testMsg(id, extraHeader, nil)
	line := []byte("Z\xe1pis ze sch\xf9ze 0123456789 abcdefghij\r\n")
	body := bytes.Repeat(line, (size-len(header))/len(line)+1)
	return append(header, body[:size-len(header)]...)
}

// loggedUIDs lists the uids of the per-message log lines, in log order.
func loggedUIDs(logs string) []string {
	var uids []string
	re := regexp.MustCompile(`msg="mail: imap message (?:filed|quarantined)" mailbox=\S+ uid=(\d+) `)
	for _, m := range re.FindAllStringSubmatch(logs, -1) {
		uids = append(uids, m[1])
	}
	return uids
}

func TestIntakeBatches250(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	msgs := make([][]byte, 250)
	for i := range msgs {
		msgs[i] = testMsg(fmt.Sprintf("b%03d", i+1), "", fmt.Appendf(nil, "Z\xe1pis %d.\r\n", i+1))
	}
	ts.appendMany("INBOX", msgs...)

	in, filer, logs := newTestBatchIntake(ts)
	sum, err := in.FetchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 250}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if got := filer.batchSizes(); !slices.Equal(got, []int{100, 100, 50}) {
		t.Errorf("FileBatch got batches of %v, want [100 100 50]", got)
	}
	calls := filer.recorded()
	if len(calls) != 250 {
		t.Fatalf("%d messages filed, want 250 (File must not be called besides FileBatch)", len(calls))
	}
	for i, c := range calls {
		if want := fmt.Sprintf("imap:INBOX/%d", i+1); c.Source != want || !bytes.Equal(c.Raw, msgs[i]) || c.Size != int64(len(msgs[i])) {
			t.Errorf("message %d: Source %q (want %q), %d bytes, Size %d: not the appended message in UID order", i, c.Source, want, len(c.Raw), c.Size)
		}
	}

	if n := ts.commands(`UID MOVE `); n != 3 {
		t.Errorf("%d UID MOVE commands, want 3", n)
	}
	for _, set := range []string{"1:100", "101:200", "201:250"} {
		if ts.commands(`UID MOVE `+set+` "Archive"\r`) != 1 {
			t.Errorf("no UID MOVE %s \"Archive\"", set)
		}
		if ts.commands(`UID FETCH `+set+` \(UID RFC822\.SIZE\)\r`) != 1 {
			t.Errorf("no UID FETCH %s (UID RFC822.SIZE)", set)
		}
		if ts.commands(`UID FETCH `+set+` \(UID BODY\.PEEK\[\]\)\r`) != 1 {
			t.Errorf("no UID FETCH %s (UID BODY.PEEK[])", set)
		}
	}
	if n := ts.commands(`UID FETCH `); n != 6 {
		t.Errorf("%d UID FETCH commands, want 6 (sizes and bodies of 3 batches)", n)
	}
	checkMailbox(t, ts, "INBOX")
	checkMailbox(t, ts, "Archive", msgs...)

	out := logs.String()
	if n := strings.Count(out, `level=INFO msg="mail: imap message filed"`); n != 250 {
		t.Errorf("%d filed lines, want 250", n)
	}
	uids := loggedUIDs(out)
	for i, u := range uids {
		if want := fmt.Sprint(i + 1); u != want {
			t.Fatalf("log line %d is for uid %s, want %s (UID order)", i, u, want)
		}
	}
}

func TestIntakeBatchMixedDispositions(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	msgs := [][]byte{
		testMsg("x1", "", czechBody),
		testMsg("x2", quarantineHeader, []byte("spam\r\n")),
		testMsg("x3", "", []byte("tri\r\n")),
		testMsg("x4", quarantineHeader, []byte("spam\r\n")),
		testMsg("x5", "", []byte("pet\r\n")),
	}
	ts.appendMany("INBOX", msgs...)

	in, filer, logs := newTestBatchIntake(ts)
	sum, err := in.FetchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 3, Quarantined: 2}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if got := filer.batchSizes(); !slices.Equal(got, []int{5}) {
		t.Errorf("FileBatch got batches of %v, want [5]", got)
	}
	if n := ts.commands(`UID MOVE `); n != 2 {
		t.Errorf("%d UID MOVE commands, want 2", n)
	}
	if ts.commands(`UID MOVE 1,3,5 "Archive"\r`) != 1 || ts.commands(`UID MOVE 2,4 "Quarantine"\r`) != 1 {
		t.Errorf("want UID MOVE 1,3,5 to Archive and 2,4 to Quarantine:\n%s", ts.protocol.String())
	}
	checkMailbox(t, ts, "INBOX")
	checkMailbox(t, ts, "Archive", msgs[0], msgs[2], msgs[4])
	checkMailbox(t, ts, "Quarantine", msgs[1], msgs[3])

	out := logs.String()
	if got := loggedUIDs(out); !slices.Equal(got, []string{"1", "2", "3", "4", "5"}) {
		t.Errorf("per-message log lines for uids %v, want 1–5 in order:\n%s", got, out)
	}
	if !strings.Contains(out, `level=WARN msg="mail: imap message quarantined" mailbox=INBOX uid=4 disposition=quarantined duplicate=false archive_id=4 moved_to=Quarantine`) {
		t.Errorf("no quarantine line for uid 4:\n%s", out)
	}
	checkNoSecrets(t, out)
}

// A FileBatch error leaves the whole batch in the mailbox and stops the
// pass; what was filed and moved before stays moved. The next pass files
// the rest: anew when the failed batch was rolled back, as duplicates when
// its commit went through after all.
func TestIntakeFileBatchError(t *testing.T) {
	for _, tt := range []struct {
		name      string
		committed bool
		recovery  Summary
	}{
		{"rolled_back", false, Summary{Archived: 4}},
		{"committed_anyway", true, Summary{Archived: 1, Duplicates: 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestIMAPServer(t, fullCaps)
			var msgs [][]byte
			for i := range 7 {
				msgs = append(msgs, testMsg(fmt.Sprintf("fb%d", i+1), "", czechBody))
			}
			ts.appendMany("INBOX", msgs...)

			in, filer, logs := newTestBatchIntake(ts)
			in.batchCount = 3
			filer.commitOnErr = tt.committed
			errDB := errors.New("database is locked")
			filer.setErrFor(func(in Incoming) error {
				if in.Source == "imap:INBOX/5" {
					return errDB
				}
				return nil
			})
			sum, err := in.FetchOnce(context.Background())
			if !errors.Is(err, errDB) {
				t.Fatalf("FetchOnce error = %v, want %v", err, errDB)
			}
			if !strings.HasPrefix(err.Error(), "mail: ") || !strings.Contains(err.Error(), "4:6") {
				t.Errorf("error %q: want the mail: prefix and the batch's UIDs", err)
			}
			if want := (Summary{Archived: 3, Failed: 3}); sum != want {
				t.Errorf("summary = %+v, want %+v", sum, want)
			}
			if got := filer.batchSizes(); !slices.Equal(got, []int{3, 3}) {
				t.Errorf("FileBatch got batches of %v, want [3 3] (the pass stops at the failure)", got)
			}
			checkMailbox(t, ts, "INBOX", msgs[3:]...)
			checkMailbox(t, ts, "Archive", msgs[:3]...)
			if n := ts.commands(`UID MOVE `); n != 1 {
				t.Errorf("%d UID MOVE commands, want 1 (the first batch)", n)
			}
			if got := loggedUIDs(logs.String()); !slices.Equal(got, []string{"1", "2", "3"}) {
				t.Errorf("per-message log lines for uids %v, want 1–3", got)
			}

			filer.setErrFor(nil)
			sum, err = in.FetchOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if sum != tt.recovery {
				t.Errorf("summary after recovery = %+v, want %+v", sum, tt.recovery)
			}
			if got := filer.batchSources(); !slices.Equal(got[2], []string{"imap:INBOX/4", "imap:INBOX/5", "imap:INBOX/6"}) ||
				!slices.Equal(got[3], []string{"imap:INBOX/7"}) {
				t.Errorf("recovery batches %v, want [4 5 6] [7]", got[2:])
			}
			checkMailbox(t, ts, "INBOX")
			checkMailbox(t, ts, "Archive", msgs...) // exactly one copy of each
		})
	}
}

// With a plain Filer, a failure stops the pass at that message; those of
// the batch filed before it are committed and are moved.
func TestIntakeFileErrorMovesFiledBefore(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	msgs := [][]byte{testMsg("fe1", "", czechBody), testMsg("fe2", "", czechBody), testMsg("fe3", "", czechBody)}
	ts.appendMany("INBOX", msgs...)

	in, filer, logs := newTestIntake(ts)
	errDB := errors.New("disk I/O error")
	filer.setErrFor(func(in Incoming) error {
		if in.Source == "imap:INBOX/2" {
			return errDB
		}
		return nil
	})
	sum, err := in.FetchOnce(context.Background())
	if !errors.Is(err, errDB) {
		t.Fatalf("FetchOnce error = %v, want %v", err, errDB)
	}
	if want := (Summary{Archived: 1, Failed: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if got := sources(filer.recorded()); !slices.Equal(got, []string{"imap:INBOX/1", "imap:INBOX/2"}) {
		t.Errorf("File calls %v, want uids 1 and 2", got)
	}
	checkMailbox(t, ts, "INBOX", msgs[1:]...)
	checkMailbox(t, ts, "Archive", msgs[0])
	if ts.commands(`UID MOVE 1 "Archive"\r`) != 1 || ts.commands(`UID MOVE `) != 1 {
		t.Errorf("want one UID MOVE 1 \"Archive\":\n%s", ts.protocol.String())
	}
	if got := loggedUIDs(logs.String()); !slices.Equal(got, []string{"1"}) {
		t.Errorf("per-message log lines for uids %v, want 1", got)
	}

	filer.setErrFor(nil)
	sum, err = in.FetchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 2}); sum != want {
		t.Errorf("summary after recovery = %+v, want %+v", sum, want)
	}
	checkMailbox(t, ts, "INBOX")
	checkMailbox(t, ts, "Archive", msgs...)
}

// A crash after FileBatch committed and before the moves: nothing is
// moved; the next pass finds the batch's messages duplicates and moves
// each once.
func TestIntakeCrashBetweenFileBatchAndMove(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	msgs := [][]byte{testMsg("cb1", "", czechBody), testMsg("cb2", quarantineHeader, []byte("b\r\n")), testMsg("cb3", "", []byte("c\r\n"))}
	ts.appendMany("INBOX", msgs...)

	in, filer, _ := newTestBatchIntake(ts)
	in.batchCount = 2
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var hooked []imap.UID
	in.afterFile = func(uid imap.UID) {
		hooked = append(hooked, uid)
		cancel() // the process dies after the commit, before the moves
	}
	sum, err := in.FetchOnce(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("FetchOnce error = %v, want context.Canceled", err)
	}
	if want := (Summary{Archived: 1, Quarantined: 1}); sum != want {
		t.Errorf("crashing pass: summary = %+v, want %+v", sum, want)
	}
	if !slices.Equal(hooked, []imap.UID{1, 2}) {
		t.Errorf("afterFile called for %v, want [1 2] (each UID of the filed batch)", hooked)
	}
	if got := filer.batchSizes(); !slices.Equal(got, []int{2}) {
		t.Fatalf("FileBatch got batches of %v, want [2]", got)
	}
	if n := ts.commands(`UID (MOVE|COPY) `); n != 0 {
		t.Errorf("%d UID MOVE/COPY commands after the crash, want none", n)
	}
	checkMailbox(t, ts, "INBOX", msgs...)
	checkMailbox(t, ts, "Archive")
	checkMailbox(t, ts, "Quarantine")

	in.afterFile = nil
	sum, err = in.FetchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 1, Duplicates: 2}); sum != want {
		t.Errorf("recovery pass: summary = %+v, want %+v", sum, want)
	}
	if got := filer.batchSources(); len(got) != 3 || !slices.Equal(got[1], []string{"imap:INBOX/1", "imap:INBOX/2"}) ||
		!slices.Equal(got[2], []string{"imap:INBOX/3"}) {
		t.Errorf("batches %v, want [1 2] [1 2] [3]", got)
	}
	checkMailbox(t, ts, "INBOX")
	checkMailbox(t, ts, "Archive", msgs[0], msgs[2]) // exactly one copy of each
	checkMailbox(t, ts, "Quarantine", msgs[1])
}

// When the move to one target mailbox fails, the messages moved to the
// other are logged, the others are not (they are still in the mailbox);
// the next pass moves them as duplicates.
func TestIntakeBatchMoveFailure(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	m1, m2 := testMsg("mf1", "", czechBody), testMsg("mf2", quarantineHeader, []byte("b\r\n"))
	ts.appendMany("INBOX", m1, m2)

	in, _, logs := newTestBatchIntake(ts)
	in.afterFile = func(uid imap.UID) {
		if uid == 1 {
			// Someone deletes the quarantine mailbox under the intake.
			c := ts.client()
			defer c.Close()
			if err := c.Delete("Quarantine").Wait(); err != nil {
				t.Error(err)
			}
		}
	}
	sum, err := in.FetchOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"Quarantine"`) {
		t.Fatalf("FetchOnce error = %v, want the failed move to Quarantine", err)
	}
	if want := (Summary{Archived: 1, Quarantined: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	checkMailbox(t, ts, "INBOX", m2)
	checkMailbox(t, ts, "Archive", m1)
	if got := loggedUIDs(logs.String()); !slices.Equal(got, []string{"1"}) {
		t.Errorf("per-message log lines for uids %v, want only 1 (2 was not moved):\n%s", got, logs.String())
	}

	in.afterFile = nil
	sum, err = in.FetchOnce(context.Background()) // recreates Quarantine
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Duplicates: 1}); sum != want {
		t.Errorf("second pass: summary = %+v, want %+v", sum, want)
	}
	checkMailbox(t, ts, "INBOX")
	checkMailbox(t, ts, "Quarantine", m2)
	if !strings.Contains(logs.String(), `msg="mail: imap message quarantined" mailbox=INBOX uid=2 disposition=quarantined duplicate=true`) {
		t.Errorf("no quarantine line for uid 2 after the second pass:\n%s", logs.String())
	}
}

func TestIntakeBatchLen(t *testing.T) {
	const mib = 1 << 20
	for _, tt := range []struct {
		name        string
		count       int
		bytes, max  int64
		sizes       []int64
		wantBatches []int
	}{
		{"count", 3, 100, 0, []int64{10, 10, 10, 10, 10, 10, 10}, []int{3, 3, 1}},
		{"bytes_exact", 10, 100, 0, []int64{60, 40, 1, 99, 1}, []int{2, 2, 1}},
		{"large_alone", 10, 100, 0, []int64{10, 150, 10, 10}, []int{1, 1, 2}},
		{"no_limit_large_alone", 10, 100, 0, []int64{3 * mib, 3 * mib}, []int{1, 1}},
		// Over MaxMessageSize only the header is held: it counts for at
		// most maxHeaderBytes.
		{"oversized_counts_header", 10, 2 * mib, 1000, []int64{5 * mib, 50 * mib, 10, 500}, []int{2, 2}},
		{"oversized_small", 10, 2000, 1000, []int64{1500, 600, 1}, []int{1, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := &Intake{cfg: IMAPConfig{MaxMessageSize: tt.max}, batchCount: tt.count, batchBytes: tt.bytes}
			var pending []sizedUID
			for i, s := range tt.sizes {
				pending = append(pending, sizedUID{uid: imap.UID(i + 1), size: s})
			}
			var got []int
			for len(pending) > 0 {
				n := in.batchLen(pending)
				if n < 1 {
					t.Fatalf("batchLen = %d", n)
				}
				got = append(got, n)
				pending = pending[n:]
			}
			if !slices.Equal(got, tt.wantBatches) {
				t.Errorf("batches %v, want %v", got, tt.wantBatches)
			}
		})
	}
}

// The byte bound splits batches on the wire: an oversized message counts
// only for its header, a message larger than the bound (but within
// MaxMessageSize) forms a batch alone.
func TestIntakeBatchBytes(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	sizes := []int{100_000, 100_000, 3 << 20, 200_000, 1_500_000, 100_000, 100_000}
	var msgs [][]byte
	for i, size := range sizes {
		msgs = append(msgs, paddedMsg(fmt.Sprintf("bb%d", i+1), "", size))
	}
	ts.appendMany("INBOX", msgs...)

	in, filer, _ := newTestBatchIntake(ts)
	in.cfg.MaxMessageSize = 2 << 20
	in.batchBytes = 1<<20 + 300_000
	sum, err := in.FetchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 6, Quarantined: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	want := [][]string{
		{"imap:INBOX/1", "imap:INBOX/2", "imap:INBOX/3"},
		{"imap:INBOX/4"},
		{"imap:INBOX/5"},
		{"imap:INBOX/6", "imap:INBOX/7"},
	}
	if got := filer.batchSources(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches %v, want %v", got, want)
	}
	calls := filer.recorded()
	if len(calls) != len(msgs) {
		t.Fatalf("%d messages filed, want %d", len(calls), len(msgs))
	}
	header := testMsg("bb3", "", nil)
	if !bytes.Equal(calls[2].Raw, header) || calls[2].Size != int64(len(msgs[2])) {
		t.Errorf("oversized message: %d bytes, Size %d; want its header (%d bytes), Size %d", len(calls[2].Raw), calls[2].Size, len(header), len(msgs[2]))
	}
	for i, c := range calls {
		if i != 2 && (!bytes.Equal(c.Raw, msgs[i]) || c.Size != int64(len(msgs[i]))) {
			t.Errorf("message %d not passed whole", i+1)
		}
	}
	for _, cmd := range []string{
		`UID FETCH 1:2 \(UID BODY\.PEEK\[\]\)`, `UID FETCH 3 \(UID BODY\.PEEK\[HEADER\]\)`,
		`UID FETCH 4 \(UID BODY\.PEEK\[\]\)`, `UID FETCH 5 \(UID BODY\.PEEK\[\]\)`, `UID FETCH 6:7 \(UID BODY\.PEEK\[\]\)`,
		`UID MOVE 1:2 "Archive"`, `UID MOVE 3 "Quarantine"`, `UID MOVE 4 "Archive"`, `UID MOVE 5 "Archive"`, `UID MOVE 6:7 "Archive"`,
	} {
		if n := ts.commands(cmd + `\r`); n != 1 {
			t.Errorf("%d commands %s, want 1", n, cmd)
		}
	}
	if n := ts.commands(`UID FETCH [\d:,]+ \(UID BODY\.PEEK\[\]\)`); n != 4 {
		t.Errorf("%d UID FETCH BODY.PEEK[] commands, want 4", n)
	}
	checkMailbox(t, ts, "INBOX")
	checkMailbox(t, ts, "Archive", msgs[0], msgs[1], msgs[3], msgs[4], msgs[5], msgs[6])
	checkMailbox(t, ts, "Quarantine", msgs[2])
}

// sizeLiar is a TCP proxy in front of ts that understates every
// RFC822.SIZE the server sends to 100.
func sizeLiar(t *testing.T, ts *testIMAPServer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	re := regexp.MustCompile(`RFC822\.SIZE \d+`)
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", ts.address())
			if err != nil {
				_ = client.Close()
				continue
			}
			go func() {
				_, _ = io.Copy(server, client)
				_ = server.Close()
			}()
			go func() {
				defer client.Close()
				r := bufio.NewReader(server)
				for {
					line, err := r.ReadBytes('\n')
					if _, werr := client.Write(re.ReplaceAll(line, []byte("RFC822.SIZE 100"))); werr != nil || err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// When RFC822.SIZE understates a message, the batched body fetch leaves
// its over-limit literal unread and falls back to the header alone.
func TestIntakeUnderstatedSize(t *testing.T) {
	ts := newTestIMAPServer(t, fullCaps)
	m1 := testMsg("us1", "", czechBody)
	big := paddedMsg("us2", "", 5000)
	m3 := testMsg("us3", "", []byte("c\r\n"))
	ts.appendMany("INBOX", m1, big, m3)

	in, filer, _ := newTestBatchIntake(ts)
	in.cfg.Addr = sizeLiar(t, ts)
	in.cfg.MaxMessageSize = 2000
	sum, err := in.FetchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 2, Quarantined: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if got := filer.batchSources(); len(got) != 1 || !slices.Equal(got[0], []string{"imap:INBOX/1", "imap:INBOX/2", "imap:INBOX/3"}) {
		t.Errorf("batches %v, want one of uids 1–3 in order", got)
	}
	calls := filer.recorded()
	if len(calls) != 3 {
		t.Fatalf("%d messages filed, want 3", len(calls))
	}
	if header := testMsg("us2", "", nil); !bytes.Equal(calls[1].Raw, header) || calls[1].Size != int64(len(big)) {
		t.Errorf("understated message: %d bytes, Size %d; want its header (%d bytes), Size %d", len(calls[1].Raw), calls[1].Size, len(header), len(big))
	}
	if !bytes.Equal(calls[0].Raw, m1) || !bytes.Equal(calls[2].Raw, m3) {
		t.Errorf("the other messages were not passed whole")
	}
	if ts.commands(`UID FETCH 1:3 \(UID BODY\.PEEK\[\]\)\r`) != 1 || ts.commands(`UID FETCH 2 \(UID BODY\.PEEK\[HEADER\]\)\r`) != 1 {
		t.Errorf("want one body fetch of 1:3 and a header fetch of 2:\n%s", ts.protocol.String())
	}
	checkMailbox(t, ts, "INBOX")
	checkMailbox(t, ts, "Archive", m1, m3)
	checkMailbox(t, ts, "Quarantine", big)
}
