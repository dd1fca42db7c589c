package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"coordbot/config"
	"coordbot/store"
)

// imapServer is go-imap's in-memory IMAP server on a loopback port.
type imapServer struct {
	addr string
}

func startIMAP(t *testing.T) *imapServer {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("archiv", "heslo")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &imapServer{addr: ln.Addr().String()}
}

func (s *imapServer) client(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("archiv", "heslo").Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *imapServer) deliver(t *testing.T, raw string) {
	t.Helper()
	c := s.client(t)
	defer c.Close()
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// count returns how many messages a mailbox holds.
func (s *imapServer) count(t *testing.T, mailbox string) int {
	t.Helper()
	c := s.client(t)
	defer c.Close()
	data, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatalf("status %s: %v", mailbox, err)
	}
	return int(*data.NumMessages)
}

func (s *imapServer) mailTOML() string {
	return `
[mail]
imap_addr = "` + s.addr + `"
tls = "none"
username = "archiv"
archive_mailbox = "Archiv"
quarantine_mailbox = "Karantena"
allowed_senders = ["@kr-ustecky.example"]
`
}

const (
	allowedMail = "From: =?windows-1250?Q?Koordin=E1torka?= <koordinatorka@kr-ustecky.example>\r\n" +
		"Subject: =?windows-1250?Q?Z=E1pis_z_jedn=E1n=ED?=\r\nMessage-ID: <zapis-imap@kr-ustecky.example>\r\n" +
		"Date: Thu, 25 Mar 2027 14:00:00 +0100\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=windows-1250\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Projedn=E1na prim=E1rn=ED prevence ve v=ECznic=EDch.\r\n"
	strangerMail = "From: nabidka@example.com\r\nSubject: Sleva\r\nMessage-ID: <spam@example.com>\r\n\r\nKupte.\r\n"
)

func TestFetchMailFilesAndMovesThroughIMAP(t *testing.T) {
	srv := startIMAP(t)
	srv.deliver(t, allowedMail)
	srv.deliver(t, strangerMail)
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML+srv.mailTOML())
	env := map[string]string{"COORDBOT_IMAP_PASSWORD": "heslo"}

	r := runCLI(t, dir, env, "fetch-mail")
	if r.code != 0 || r.stdout != "archived 1, duplicates 0, quarantined 1, failed 0\n" {
		t.Fatalf("fetch-mail: %+v", r)
	}
	if strings.Contains(r.stderr, "heslo") {
		t.Error("the IMAP password reached the log")
	}
	if in, ar, q := srv.count(t, "INBOX"), srv.count(t, "Archiv"), srv.count(t, "Karantena"); in != 0 || ar != 1 || q != 1 {
		t.Errorf("mailboxes INBOX=%d Archiv=%d Karantena=%d, want 0 1 1", in, ar, q)
	}
	r = runCLI(t, dir, env, "search", "-json", "veznicich")
	if r.code != 0 || !strings.Contains(r.stdout, `"subject":"Zápis z jednání"`) {
		t.Errorf("search: %+v", r)
	}
	r = runCLI(t, dir, env, "fetch-mail")
	if r.code != 0 || r.stdout != "archived 0, duplicates 0, quarantined 0, failed 0\n" {
		t.Errorf("second pass: %+v", r)
	}

	// A wrong password is a clear failure, exit 1, and nothing is lost.
	srv.deliver(t, strings.Replace(allowedMail, "zapis-imap", "zapis-2", 1))
	r = runCLI(t, dir, map[string]string{"COORDBOT_IMAP_PASSWORD": "spatne"}, "fetch-mail")
	if r.code != exitError || strings.Contains(r.stderr, "spatne") {
		t.Errorf("bad password: %+v", r)
	}
	if n := srv.count(t, "INBOX"); n != 1 {
		t.Errorf("INBOX after failed login = %d, want 1", n)
	}
}

// logSignal is a slog handler that reports each record's message on a
// channel, so a test can wait for an event instead of sleeping.
type logSignal struct {
	slog.Handler
	msgs chan string
}

func (h *logSignal) Handle(ctx context.Context, r slog.Record) error {
	select {
	case h.msgs <- r.Message:
	default:
	}
	return h.Handler.Handle(ctx, r)
}

func (h *logSignal) WithAttrs(as []slog.Attr) slog.Handler {
	return &logSignal{Handler: h.Handler.WithAttrs(as), msgs: h.msgs}
}

func (h *logSignal) WithGroup(name string) slog.Handler {
	return &logSignal{Handler: h.Handler.WithGroup(name), msgs: h.msgs}
}

func TestServeRunsTheMailIntake(t *testing.T) {
	srv := startIMAP(t)
	dir := t.TempDir()
	cfg, err := config.Parse("test.toml", []byte(groupsTOML+srv.mailTOML()+"\n[database]\npath = \""+filepath.Join(dir, "c.db")+"\"\n"),
		func(k string) string { return map[string]string{"COORDBOT_IMAP_PASSWORD": "heslo"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	sig := &logSignal{Handler: slog.NewTextHandler(&logs, nil), msgs: make(chan string, 100)}
	m := NewMain(cfg, slog.New(sig))
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	waitLog := func(want string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case msg := <-sig.msgs:
				if strings.Contains(msg, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no log %q; logs:\n%s", want, logs.String())
			}
		}
	}
	srv.deliver(t, allowedMail)
	waitLog("imap message filed")
	hits, err := m.Store.SearchArchive(context.Background(), store.SearchQuery{Text: "primarni prevence"})
	if err != nil || len(hits) != 1 {
		t.Errorf("archived by serve: %v %v", hits, err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "parts=mail") {
		t.Errorf("serve did not log its parts:\n%s", logs.String())
	}
}
