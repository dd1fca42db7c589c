package mail

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"coordbot/store"
)

var testNow = time.Date(2027, 10, 1, 12, 0, 0, 0, time.UTC)

// pipeFixture is a real database with two groups and their meetings.
type pipeFixture struct {
	s          *store.Store
	wg, mk     *store.Group // working group, municipal coordinators
	wgMarch    *store.Meeting
	mkMarch    *store.Meeting
	wgJanuary  *store.Meeting
	p          *Pipeline
	notified   *notifications
	logs       *bytes.Buffer
	memberAddr string
}

type notifications struct {
	mu    sync.Mutex
	calls []string
}

func (n *notifications) MinutesArchived(_ context.Context, meetingID, archiveID int64) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, fmt.Sprintf("%d:%d", meetingID, archiveID))
	return nil
}

func newPipeFixture(t testing.TB) *pipeFixture {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return testNow }
	f := &pipeFixture{s: s, notified: &notifications{}, logs: &bytes.Buffer{}, memberAddr: "jana.novakova@mesto-most.example"}
	f.wg = &store.Group{Slug: "pracovni-skupina", Name: "Pracovní skupina protidrogové politiky"}
	f.mk = &store.Group{Slug: "mistni-koordinatori", Name: "Místní koordinátoři"}
	if err := s.SyncGroups(ctx, []*store.Group{f.wg, f.mk}); err != nil {
		t.Fatal(err)
	}
	mk := func(g *store.Group, title string, start time.Time) *store.Meeting {
		m := &store.Meeting{GroupID: g.ID, Title: title, Start: start}
		if err := s.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	f.wgJanuary = mk(f.wg, "Jednání pracovní skupiny (leden)", time.Date(2027, 1, 20, 9, 0, 0, 0, time.UTC))
	f.wgMarch = mk(f.wg, "Jednání pracovní skupiny", time.Date(2027, 3, 23, 9, 0, 0, 0, time.UTC))
	f.mkMarch = mk(f.mk, "Metodické setkání", time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC))
	member := &store.Member{DisplayName: "Jana Nováková", Emails: []string{f.memberAddr}}
	if err := s.CreateMember(ctx, member); err != nil {
		t.Fatal(err)
	}
	f.p = NewPipeline(s, slog.New(slog.NewTextHandler(f.logs, nil)))
	f.p.AllowedSenders = []string{"koordinator@kr-ustecky.example", "@mesto-decin.example"}
	f.p.MaxMessageSize = 64 << 10
	f.p.Notifier = f.notified
	f.p.Now = func() time.Time { return testNow }
	return f
}

// msg builds a small RFC 5322 message.
func msg(from, to, subject, date, msgID string, extra ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\n", from, to, subject)
	if date != "" {
		fmt.Fprintf(&b, "Date: %s\r\n", date)
	}
	if msgID != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", msgID)
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString("Zápis z jednání: projednána situace ve věznicích a financování služeb.\r\n")
	return []byte(b.String())
}

func (f *pipeFixture) fileRaw(t *testing.T, raw []byte) Outcome {
	t.Helper()
	out, err := f.p.File(context.Background(), Incoming{Raw: raw, Size: int64(len(raw)), Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPipelineMatchesMinutesToMeetings(t *testing.T) {
	f := newPipeFixture(t)
	const to = "archiv@kr-ustecky.example"
	march25 := "Thu, 25 Mar 2027 14:00:00 +0100"
	filed := f.fileRaw(t, msg("Koordinátor <Koordinator@KR-Ustecky.example>", to, "Zápis [pracovni-skupina]", march25, "z1@kr"))
	for _, tc := range []struct {
		name        string
		raw         []byte
		wantMeeting int64
	}{
		{"subject tag picks the group", msg("koordinator@kr-ustecky.example", to, "Zápis [mistni-koordinatori]", march25, "a@x"), f.mkMarch.ID},
		{"plus address picks the group", msg("koordinator@kr-ustecky.example", "archiv+mistni-koordinatori@kr-ustecky.example", "Zápis", march25, "b@x"), f.mkMarch.ID},
		{"two groups met in the window: no guess", msg("koordinator@kr-ustecky.example", to, "Zápis", march25, "c@x"), 0},
		{"only one group met in the window", msg("koordinator@kr-ustecky.example", to, "Zápis", "Wed, 17 Mar 2027 10:00:00 +0100", "d@x"), f.mkMarch.ID},
		{"reply to filed minutes follows the thread", msg("koordinator@kr-ustecky.example", to, "Re: Zápis", "Mon, 20 Sep 2027 10:00:00 +0200", "e@x", "In-Reply-To: <z1@kr>"), f.wgMarch.ID},
		{"nothing within 30 days", msg("koordinator@kr-ustecky.example", to, "Zápis [pracovni-skupina]", "Mon, 20 Sep 2027 10:00:00 +0200", "g@x"), 0},
		{"before any meeting", msg("koordinator@kr-ustecky.example", to, "Zápis", "Mon, 4 Jan 2027 10:00:00 +0100", "h@x"), 0},
		{"domain allowed", msg("nekdo@mesto-decin.example", to, "Zápis [pracovni-skupina]", march25, "i@x"), f.wgMarch.ID},
		{"member address allowed", msg("JANA.NOVAKOVA@mesto-most.example", to, "Zápis [pracovni-skupina]", march25, "j@x"), f.wgMarch.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := f.fileRaw(t, tc.raw)
			if out.Disposition != Archived || out.Duplicate || out.MeetingID != tc.wantMeeting {
				t.Errorf("outcome %+v, want archived under meeting %d", out, tc.wantMeeting)
			}
		})
	}
	if filed.MeetingID != f.wgMarch.ID {
		t.Errorf("tagged minutes filed under %d, want %d", filed.MeetingID, f.wgMarch.ID)
	}
	got, err := f.s.ArchiveMessageByID(context.Background(), filed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.GroupID != f.wg.ID || got.FromAddr != "koordinator@kr-ustecky.example" || got.Subject != "Zápis [pracovni-skupina]" {
		t.Errorf("stored %+v", got)
	}
	hits, _ := f.s.SearchArchive(context.Background(), store.SearchQuery{Text: "veznicich", GroupSlug: "pracovni-skupina"})
	if len(hits) == 0 {
		t.Error("filed minutes are not searchable by group")
	}
	f.notified.mu.Lock()
	defer f.notified.mu.Unlock()
	// One announcement per message filed under a meeting (7 of the 10).
	if len(f.notified.calls) != 7 || f.notified.calls[0] != fmt.Sprintf("%d:%d", f.wgMarch.ID, filed.ID) {
		t.Errorf("notifications %v", f.notified.calls)
	}
}

func TestPipelineQuarantinesAndKeepsEverything(t *testing.T) {
	f := newPipeFixture(t)
	ctx := context.Background()
	big := msg("koordinator@kr-ustecky.example", "a@x", "Velká příloha", "Thu, 25 Mar 2027 14:00:00 +0100", "big@x")
	big = append(big, bytes.Repeat([]byte("x"), 70<<10)...)
	header := big[:bytes.Index(big, []byte("\r\n\r\n"))+4]
	for _, tc := range []struct {
		name   string
		in     Incoming
		reason string
	}{
		{"stranger", Incoming{Raw: msg("spam@example.com", "a@x", "Výhra v loterii", "", "spam@x")}, "sender not allowed: spam@example.com"},
		{"no sender", Incoming{Raw: []byte("Subject: bez odesílatele\r\n\r\ntext\r\n")}, "sender not allowed: (no sender address)"},
		{"lookalike domain", Incoming{Raw: msg("x@evil-mesto-decin.example", "a@x", "Zápis", "", "look@x")}, "sender not allowed"},
		{"too large", Incoming{Raw: header, Size: int64(len(big))}, "message too large"},
		{"empty", Incoming{Raw: nil}, "unreadable message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Source = "test:" + tc.name
			out, err := f.p.File(ctx, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Disposition != Quarantined || !strings.HasPrefix(out.Reason, tc.reason) {
				t.Fatalf("outcome %+v, want quarantined for %q", out, tc.reason)
			}
			got, err := f.s.ArchiveMessageByID(ctx, out.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Raw, tc.in.Raw) || got.State != store.ArchiveQuarantined || got.Source != tc.in.Source {
				t.Errorf("stored %q state %s source %s", got.Raw, got.State, got.Source)
			}
			// Filing it again is recognised and goes to the same place.
			again, err := f.p.File(ctx, tc.in)
			if err != nil || !again.Duplicate || again.ID != out.ID || again.Disposition != Quarantined {
				t.Errorf("again: %+v %v", again, err)
			}
		})
	}
	if hits, _ := f.s.SearchArchive(ctx, store.SearchQuery{Text: "loterii"}); len(hits) != 0 {
		t.Error("quarantined mail is searchable")
	}
	if n := len(f.notified.calls); n != 0 {
		t.Errorf("quarantined mail announced %d times", n)
	}
}

func TestPipelineDuplicateIsNotFiledOrAnnouncedTwice(t *testing.T) {
	f := newPipeFixture(t)
	raw := msg("koordinator@kr-ustecky.example", "a@x", "Zápis [pracovni-skupina]", "Thu, 25 Mar 2027 14:00:00 +0100", "same@x")
	first := f.fileRaw(t, raw)
	second := f.fileRaw(t, raw)
	resent := f.fileRaw(t, append([]byte("X-Resent: 1\r\n"), raw...)) // same Message-ID, other bytes
	if first.Duplicate || !second.Duplicate || !resent.Duplicate || second.ID != first.ID || resent.ID != first.ID ||
		second.MeetingID != f.wgMarch.ID || second.Disposition != Archived {
		t.Errorf("first %+v second %+v resent %+v", first, second, resent)
	}
	if len(f.notified.calls) != 1 {
		t.Errorf("announced %d times", len(f.notified.calls))
	}
}

func TestPipelineBatchRecognisesDuplicatesWithinTheBatch(t *testing.T) {
	f := newPipeFixture(t)
	date := "Thu, 25 Mar 2027 14:00:00 +0100"
	a := msg("koordinator@kr-ustecky.example", "a@x", "Zápis A [pracovni-skupina]", date, "a@batch")
	b := msg("spam@example.com", "a@x", "Reklama", date, "b@batch")
	ins := []Incoming{{Raw: a, Source: "1"}, {Raw: b, Source: "2"}, {Raw: append([]byte("X-Copy: 1\r\n"), a...), Source: "3"}, {Raw: b, Source: "4"}}
	outs, err := f.p.FileBatch(context.Background(), ins)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(outs))
	for i, o := range outs {
		got[i] = fmt.Sprintf("%d %s dup=%v meeting=%d", o.ID, o.Disposition, o.Duplicate, o.MeetingID)
	}
	want := []string{
		fmt.Sprintf("1 archived dup=false meeting=%d", f.wgMarch.ID),
		"2 quarantined dup=false meeting=0",
		fmt.Sprintf("1 archived dup=true meeting=%d", f.wgMarch.ID),
		"2 quarantined dup=true meeting=0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outcomes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(f.notified.calls) != 1 {
		t.Errorf("announced %d times, want once", len(f.notified.calls))
	}
}

func TestPipelineBatchThreadsRepliesToMinutesInTheSameBatch(t *testing.T) {
	f := newPipeFixture(t)
	minutes := msg("koordinator@kr-ustecky.example", "a@x", "Zápis [pracovni-skupina]", "Thu, 25 Mar 2027 14:00:00 +0100", "minutes@batch")
	reply := msg("koordinator@kr-ustecky.example", "a@x", "Re: Zápis", "Mon, 20 Sep 2027 10:00:00 +0200", "reply@batch",
		"In-Reply-To: <minutes@batch>")
	outs, err := f.p.FileBatch(context.Background(), []Incoming{{Raw: minutes}, {Raw: reply}})
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].MeetingID != f.wgMarch.ID || outs[1].MeetingID != f.wgMarch.ID {
		t.Errorf("meetings %d and %d, want both %d", outs[0].MeetingID, outs[1].MeetingID, f.wgMarch.ID)
	}
}

func TestImportEmlMboxAndMaildir(t *testing.T) {
	f := newPipeFixture(t)
	dir := t.TempDir()
	ctx := context.Background()
	date := "Thu, 25 Mar 2027 14:00:00 +0100"
	eml := msg("koordinator@kr-ustecky.example", "a@x", "Zápis [pracovni-skupina]", date, "eml@x")
	writeFile(t, filepath.Join(dir, "zapis.eml"), eml)

	// mboxrd: a body line "From the region" is quoted as ">From the region".
	m1 := msg("koordinator@kr-ustecky.example", "a@x", "Mbox 1", date, "mbox1@x")
	m1 = append(m1, []byte("From the region: nothing new.\r\n>From quoted already.\r\n")...)
	m2 := msg("spam@example.com", "a@x", "Mbox 2", date, "mbox2@x")
	quote := func(b []byte) []byte {
		lines := strings.SplitAfter(string(b), "\n")
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimLeft(l, ">"), "From ") {
				lines[i] = ">" + l
			}
		}
		return []byte(strings.Join(lines, ""))
	}
	var mbox bytes.Buffer
	for _, m := range [][]byte{m1, m2} {
		mbox.WriteString("From MAILER-DAEMON Thu Mar 25 14:00:00 2027\n")
		mbox.Write(quote(m))
		mbox.WriteString("\n")
	}
	writeFile(t, filepath.Join(dir, "archiv.mbox"), mbox.Bytes())

	md := filepath.Join(dir, "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(md, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(md, "new", "1700000000.1.host"), msg("koordinator@kr-ustecky.example", "a@x", "Maildir new", date, "md1@x"))
	writeFile(t, filepath.Join(md, "cur", "1700000001.2.host:2,S"), msg("koordinator@kr-ustecky.example", "a@x", "Maildir cur", date, "md2@x"))
	writeFile(t, filepath.Join(md, "tmp", "1700000002.3.host"), msg("koordinator@kr-ustecky.example", "a@x", "half delivered", date, "tmp@x"))

	im := NewImporter(f.p, slog.New(slog.NewTextHandler(io.Discard, nil)))
	sum, err := im.Import(ctx, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 4, Quarantined: 1}); sum != want {
		t.Errorf("summary %v, want %v", sum, want)
	}
	// The mbox message comes back byte for byte, quoting undone.
	ref, err := f.s.FindArchiveMessage(ctx, "mbox1@x", "")
	if err != nil || ref == nil {
		t.Fatalf("mbox message not stored: %v", err)
	}
	got, _ := f.s.ArchiveMessageByID(ctx, ref.ID)
	if !bytes.Equal(got.Raw, m1) {
		t.Errorf("mbox raw differs:\n%q\nwant\n%q", got.Raw, m1)
	}
	if ref, _ := f.s.FindArchiveMessage(ctx, "tmp@x", ""); ref != nil {
		t.Error("a message in Maildir tmp/ was imported")
	}
	again, err := im.Import(ctx, []string{filepath.Join(dir, "zapis.eml"), filepath.Join(dir, "archiv.mbox"), md})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Duplicates: 5}); again != want {
		t.Errorf("second import %v, want %v", again, want)
	}
	third := msg("koordinator@kr-ustecky.example", "a@x", "Třetí", date, "third@x")
	writeFile(t, filepath.Join(dir, "treti.eml"), third)
	sum, err = im.Import(ctx, []string{filepath.Join(dir, "missing.eml"), filepath.Join(dir, "treti.eml")})
	if err != nil || sum != (Summary{Archived: 1, Failed: 1}) {
		t.Errorf("missing path then a good one: %v %v", sum, err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
