package testutil

import (
	"errors"
	"os"
	"testing"

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
