package testutil

import (
	"errors"
	"os"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"coordbot/internal/dovecot"
)

// Dovecot starts a throwaway Dovecot in a temporary directory of tb and
// stops it when tb ends. Without Dovecot installed it skips tb, unless
// COORDBOT_REQUIRE_DOVECOT=1 (as in CI): then it fails tb, so a missing
// package cannot pass for a green run.
func Dovecot(tb testing.TB) *dovecot.Server {
	tb.Helper()
	srv, err := dovecot.Start(tb.TempDir())
	if errors.Is(err, dovecot.ErrNotInstalled) {
		if os.Getenv("COORDBOT_REQUIRE_DOVECOT") == "1" {
			tb.Fatal("dovecot not installed but COORDBOT_REQUIRE_DOVECOT=1: install dovecot-imapd")
		}
		tb.Skip("dovecot not installed; install dovecot-imapd or set COORDBOT_REQUIRE_DOVECOT=1 to make this fail")
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			tb.Error(err)
		}
	})
	return srv
}

// Mailbox reads every message of the mailbox name on dv over IMAP, as a
// member's mail client would (read-only, so nothing is marked seen), and
// returns their raw bytes in mailbox order.
func Mailbox(tb testing.TB, dv *dovecot.Server, name string) [][]byte {
	tb.Helper()
	c, err := imapclient.DialInsecure(dv.Addr, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(dv.User, dv.Password).Wait(); err != nil {
		tb.Fatal(err)
	}
	sel, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	if sel.NumMessages > 0 {
		msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: sel.NumMessages}},
			&imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range msgs {
			for _, b := range m.BodySection {
				out = append(out, b.Bytes)
			}
		}
	}
	if err := c.Logout().Wait(); err != nil {
		tb.Error(err)
	}
	return out
}
