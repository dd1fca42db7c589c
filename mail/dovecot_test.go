package mail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"coordbot/internal/dovecot"
	"coordbot/internal/testutil"
	"coordbot/store"
)

// These tests run the IMAP intake against a real Dovecot (Debian package
// dovecot-imapd) started for the test on a loopback port. Without Dovecot
// they are skipped, unless COORDBOT_REQUIRE_DOVECOT=1 (as in CI).

// Mailboxes of the Dovecot tests; non-ASCII names travel in modified UTF-7.
const (
	dvArchive    = "Archiv"
	dvQuarantine = "Karanténa"
)

// dvNow is the pipeline's clock: after the fixtures' dates, so that they
// are not taken for mail from the future.
var dvNow = time.Date(2027, 10, 1, 12, 0, 0, 0, time.UTC)

// dvFixture is one testdata message delivered to Dovecot.
type dvFixture struct {
	name string
	raw  []byte // as delivered: CRLF line endings
	// quarantined: from a sender that is not allowed.
	quarantined bool
}

// Fixtures from senders the pipeline allows, and one from a sender it does
// not allow (the regional hygiene station's registry office).
var (
	dvAllowedFixtures = []string{"outlook-cp1250.eml", "plain-utf8.eml", "iso-8859-2.eml",
		"rfc2047-filename.eml", "winmail.eml", "forwarded.eml"}
	dvRejectedFixture = "html-only.eml"
	dvAllowedSenders  = []string{"jiri.novak@kr-vysocina.example.cz", "jana.horakova@obec.example.cz",
		"petra.svobodova@mostknadeji.example.cz", "marie.dvorakova@mostknadeji.example.cz",
		"petr.cerny@khsvy.example.cz"}
)

// dvCRLF turns bare LFs into CRLF, as a message is on the wire; Dovecot
// serves a stored bare LF as CRLF, so only CRLF text comes back unchanged.
func dvCRLF(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}

// dvDeliverFixtures delivers the testdata messages that exist (at least four
// from allowed senders, and the rejected one) to INBOX.
func dvDeliverFixtures(t *testing.T, srv *dovecot.Server) []dvFixture {
	t.Helper()
	var fx []dvFixture
	add := func(name string, quarantined bool) {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fx = append(fx, dvFixture{name: name, raw: dvCRLF(raw), quarantined: quarantined})
	}
	for _, name := range dvAllowedFixtures {
		add(name, false)
	}
	if len(fx) < 4 {
		t.Fatalf("only %d of the fixtures %v are in testdata; want at least 4", len(fx), dvAllowedFixtures)
	}
	add(dvRejectedFixture, true)
	if !fx[len(fx)-1].quarantined {
		t.Fatalf("testdata/%s is missing", dvRejectedFixture)
	}
	for _, f := range fx {
		if err := srv.Deliver("INBOX", f.raw); err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

// dvEnv is a store with a group and a meeting, and the pipeline over it.
type dvEnv struct {
	s       *store.Store
	p       *Pipeline
	meeting *store.Meeting
}

func newDvEnv(t *testing.T) *dvEnv {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	g := &store.Group{Slug: "pracovni-skupina", Name: "Pracovní skupina protidrogové politiky"}
	if err := s.SyncGroups(ctx, []*store.Group{g}); err != nil {
		t.Fatal(err)
	}
	m := &store.Meeting{GroupID: g.ID, Title: "Jednání pracovní skupiny", Start: time.Date(2027, 3, 23, 9, 0, 0, 0, time.UTC)}
	if err := s.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	p := NewPipeline(s, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	p.AllowedSenders = dvAllowedSenders
	p.MaxMessageSize = 25 << 20
	p.Now = func() time.Time { return dvNow }
	return &dvEnv{s: s, p: p, meeting: m}
}

// intake returns an intake over plain-text IMAP (tls "none", loopback).
func (e *dvEnv) intake(t *testing.T, srv *dovecot.Server) *Intake {
	cfg := IMAPConfig{
		Addr: srv.Addr, TLS: "none", Username: srv.User, Password: srv.Password,
		Mailbox: "INBOX", ArchiveMailbox: dvArchive, QuarantineMailbox: dvQuarantine,
		MaxMessageSize: 25 << 20,
	}
	return NewIntake(cfg, e.p, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// dvFetchOnce runs one pass with a bound on its duration.
func dvFetchOnce(t *testing.T, in *Intake) (Summary, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return in.FetchOnce(ctx)
}

// dvMailboxCounts asks Dovecot (STATUS) how many messages each mailbox holds.
func dvMailboxCounts(t *testing.T, srv *dovecot.Server, mailboxes ...string) map[string]uint32 {
	t.Helper()
	c, err := imapclient.DialInsecure(srv.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(srv.User, srv.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint32{}
	for _, mb := range mailboxes {
		st, err := c.Status(mb, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			t.Fatalf("STATUS %q: %v", mb, err)
		}
		counts[mb] = *st.NumMessages
	}
	if err := c.Logout().Wait(); err != nil {
		t.Error(err)
	}
	return counts
}

// dvCheckMailboxes checks that INBOX is empty and Archiv and Karanténa hold
// archived and quarantined messages exactly once.
func dvCheckMailboxes(t *testing.T, srv *dovecot.Server, archived, quarantined int) {
	t.Helper()
	got := dvMailboxCounts(t, srv, "INBOX", dvArchive, dvQuarantine)
	want := map[string]uint32{"INBOX": 0, dvArchive: uint32(archived), dvQuarantine: uint32(quarantined)}
	for mb, n := range want {
		if got[mb] != n {
			t.Errorf("mailbox %q holds %d messages, want %d", mb, got[mb], n)
		}
	}
}

// dvCheckStored checks that every fixture is stored exactly once, byte for
// byte, in the state its sender calls for.
func dvCheckStored(t *testing.T, e *dvEnv, fx []dvFixture) {
	t.Helper()
	ctx := context.Background()
	all, err := e.s.ArchiveMessages(ctx, store.ArchiveFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(fx) {
		t.Errorf("the store holds %d messages, want %d", len(all), len(fx))
	}
	for _, f := range fx {
		sum := sha256.Sum256(f.raw)
		ref, err := e.s.FindArchiveMessage(ctx, "", hex.EncodeToString(sum[:]))
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			t.Errorf("%s: no stored message has the delivered bytes' hash", f.name)
			continue
		}
		m, err := e.s.ArchiveMessageByID(ctx, ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.Raw, f.raw) {
			t.Errorf("%s: stored raw bytes (%d) differ from the delivered ones (%d)", f.name, len(m.Raw), len(f.raw))
		}
		wantState := store.ArchiveArchived
		if f.quarantined {
			wantState = store.ArchiveQuarantined
		}
		if m.State != wantState {
			t.Errorf("%s: state %q (%s), want %q", f.name, m.State, m.Reason, wantState)
		}
	}
}

func dvCount(fx []dvFixture) (archived, quarantined int) {
	for _, f := range fx {
		if f.quarantined {
			quarantined++
		} else {
			archived++
		}
	}
	return archived, quarantined
}

func TestDovecotIntegration(t *testing.T) {
	srv := testutil.Dovecot(t)
	fx := dvDeliverFixtures(t, srv)
	wantArchived, wantQuarantined := dvCount(fx)
	e := newDvEnv(t)
	in := e.intake(t, srv)

	sum, err := dvFetchOnce(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: wantArchived, Quarantined: wantQuarantined}); sum != want {
		t.Errorf("summary %v, want %v", sum, want)
	}
	dvCheckMailboxes(t, srv, wantArchived, wantQuarantined)
	dvCheckStored(t, e, fx)

	ctx := context.Background()
	// Diacritics folded: "veznicich" finds "věznicích", which the Outlook
	// minutes carry in windows-1250 quoted-printable.
	for _, q := range []string{"veznicich", "financování", "FINANCOVANI sluzeb"} {
		hits, err := e.s.SearchArchive(ctx, store.SearchQuery{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 {
			t.Errorf("search %q found nothing", q)
		}
	}
	hits, err := e.s.SearchArchive(ctx, store.SearchQuery{Text: "veznicich"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(hits, func(h *store.SearchHit) bool { return h.MeetingID == e.meeting.ID }) {
		t.Errorf("no minutes about věznice were filed under the meeting of 23. 3. 2027 (%d hits)", len(hits))
	}

	// A second pass finds nothing to do.
	sum, err = dvFetchOnce(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if sum != (Summary{}) {
		t.Errorf("second pass: summary %v, want nothing done", sum)
	}
	dvCheckMailboxes(t, srv, wantArchived, wantQuarantined)
}

func TestDovecotCrashBetweenCommitAndMove(t *testing.T) {
	srv := testutil.Dovecot(t)
	fx := dvDeliverFixtures(t, srv)
	wantArchived, wantQuarantined := dvCount(fx)
	e := newDvEnv(t)

	// The first pass "crashes" right after its first batch (3 messages) is
	// committed to the store, before anything is moved.
	const batch = 3
	crashing := e.intake(t, srv)
	crashing.batchCount = batch
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var crashedAt imap.UID
	crashing.afterFile = func(uid imap.UID) {
		if crashedAt == 0 {
			crashedAt = uid
			cancel()
		}
	}
	sum, err := crashing.FetchOnce(ctx)
	if err == nil {
		t.Fatalf("the crashing pass succeeded (%v); want the cancellation error", sum)
	}
	if crashedAt == 0 {
		t.Fatalf("the crash hook never ran: %v", err)
	}
	if sum.Archived+sum.Quarantined != batch {
		t.Errorf("crashing pass: summary %v, want %d messages filed", sum, batch)
	}
	counts := dvMailboxCounts(t, srv, "INBOX")
	if counts["INBOX"] != uint32(len(fx)) {
		t.Errorf("after the crash INBOX holds %d messages, want all %d (the filed one not moved)", counts["INBOX"], len(fx))
	}

	// A fresh intake finishes the job: the filed messages are duplicates
	// and are moved now; the others are filed once.
	sum, err = dvFetchOnce(t, e.intake(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Duplicates != batch || sum.Archived+sum.Quarantined != len(fx)-batch || sum.Failed != 0 {
		t.Errorf("recovery pass: summary %v, want %d duplicates and %d new", sum, batch, len(fx)-batch)
	}
	dvCheckMailboxes(t, srv, wantArchived, wantQuarantined)
	dvCheckStored(t, e, fx)
}
