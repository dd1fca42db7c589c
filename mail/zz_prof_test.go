package mail

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
	"log/slog"
	"io"
)

type timedFiler struct{ f Filer; d atomic.Int64 }

func (t *timedFiler) File(ctx context.Context, in Incoming) (Outcome, error) {
	s := time.Now()
	o, err := t.f.File(ctx, in)
	t.d.Add(int64(time.Since(s)))
	return o, err
}

func TestZZProf(t *testing.T) {
	src := os.Getenv("ZZ_SRC")
	if src == "" { t.Skip() }
	files, _ := filepath.Glob(filepath.Join(src, "*"))
	srv := startDovecot(t)
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		srv.Deliver("INBOX", raw)
	}
	e := newDvEnv(t)
	e.p.AllowedSenders = []string{"@kr-ustecky.example.cz"}
	e.p.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	tf := &timedFiler{f: e.p}
	cfg := IMAPConfig{Addr: srv.Addr, TLS: "none", Username: srv.User, Password: srv.Password, Mailbox: "INBOX", ArchiveMailbox: "Archive", QuarantineMailbox: "Q"}
	in := NewIntake(cfg, tf, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s := time.Now()
	sum, err := in.FetchOnce(context.Background())
	total := time.Since(s)
	t.Logf("%v %v total %v filing %v", sum, err, total, time.Duration(tf.d.Load()))
}
