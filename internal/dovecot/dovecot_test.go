package dovecot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// start starts a server for t, skipping when Dovecot is not installed
// unless COORDBOT_REQUIRE_DOVECOT=1.
func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start(t.TempDir())
	if errors.Is(err, ErrNotInstalled) && os.Getenv("COORDBOT_REQUIRE_DOVECOT") != "1" {
		t.Skip("dovecot not installed; install dovecot-imapd or set COORDBOT_REQUIRE_DOVECOT=1 to make this fail")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func message(n int) []byte {
	return []byte(fmt.Sprintf("From: Jana Nováková <jana@mesto-most.example>\r\n"+
		"To: archiv@kr-ustecky.example\r\n"+
		"Subject: =?utf-8?q?Z=C3=A1pis_=C4=8D=2E_%d?=\r\n"+
		"Message-ID: <test-%d@mesto-most.example>\r\n"+
		"Date: Tue, 23 Mar 2027 10:00:00 +0100\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"Content-Transfer-Encoding: 8bit\r\n"+
		"\r\n"+
		"Protidrogová politika, věznice, primární prevence.\r\n", n, n))
}

func TestDovecotServer(t *testing.T) {
	s := start(t)
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") {
		t.Errorf("Addr = %q, want a loopback address", s.Addr)
	}
	want := [][]byte{message(1), message(2)}
	for _, raw := range want {
		if err := s.Deliver("INBOX", raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Deliver("Archiv.Karanténa", message(3)); err != nil {
		t.Fatal(err)
	}
	if got, want := s.MaildirPath("Archiv.Karanténa"), filepath.Join(s.Dir, "home", s.User, "Maildir", ".Archiv.Karant&AOk-na"); got != want {
		t.Errorf("MaildirPath = %q, want %q", got, want)
	}

	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 2 {
		t.Errorf("INBOX has %d messages, want 2", sel.NumMessages)
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSetNum(1, 2), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("fetched %d messages, want 2", len(msgs))
	}
	for i, m := range msgs {
		if got := m.FindBodySection(section); string(got) != string(want[i]) {
			t.Errorf("message %d = %q, want the delivered bytes %q", i+1, got, want[i])
		}
	}
	// A mailbox Deliver created is one Dovecot knows, by its IMAP name
	// (Dovecot's Maildir++ hierarchy separator is ".").
	st, err := c.Status("Archiv.Karanténa", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if st.NumMessages == nil || *st.NumMessages != 1 {
		t.Errorf("Archiv.Karanténa STATUS = %+v, want 1 message", st)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Error(err)
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := imapclient.DialInsecure(s.Addr, &imapclient.Options{}); err == nil {
		t.Errorf("%s still answers after Stop", s.Addr)
	}
}

func TestDovecotStartOwnDir(t *testing.T) {
	s := start(t)
	s2, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	if s2.Addr == s.Addr {
		t.Errorf("two servers on one address %s", s.Addr)
	}
	c, err := imapclient.DialInsecure(s2.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(s2.User, s2.Password).Wait(); err != nil {
		t.Error(err)
	}
	if err := c.Login(s.User, "wrong").Wait(); err == nil {
		t.Error("a wrong password logged in")
	}
	c.Close()
	if err := s2.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s2.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stop left %s behind (%v)", s2.Dir, err)
	}
}

func TestEncodeMUTF7(t *testing.T) {
	for in, want := range map[string]string{
		"Archive":       "Archive",
		"Karanténa":     "Karant&AOk-na",
		"A&B":           "A&-B",
		"Zápisy 2027":   "Z&AOE-pisy 2027",
		"日本語":           "&ZeVnLIqe-",
		"Příloha – věc": "P&AVkA7Q-loha &IBM- v&ARs-c",
	} {
		if got := encodeMUTF7(in); got != want {
			t.Errorf("encodeMUTF7(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDovecotRestart restarts a server: the open session is cut, the same
// address answers again with the same account, and INBOX holds the message
// delivered before and the one delivered after the restart.
func TestDovecotRestart(t *testing.T) {
	s := start(t)
	if err := s.Deliver("INBOX", message(1)); err != nil {
		t.Fatal(err)
	}
	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := c.Noop().Wait(); err == nil {
		t.Error("the session from before the restart still answers")
	}
	if s.Addr != addr {
		t.Errorf("Addr after Restart = %q, want %q", s.Addr, addr)
	}
	if err := s.Deliver("INBOX", message(2)); err != nil {
		t.Fatal(err)
	}
	c2, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Login(s.User, s.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c2.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 2 {
		t.Errorf("INBOX has %d messages after the restart, want 2", sel.NumMessages)
	}
}
