package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/store"
)

// replyFixture is a real store and core with one group, an open and a
// cancelled meeting, members with addresses, and the e-mail rows coordbot
// "sent" them, whose Message-IDs the fixtures in testdata/replies answer.
type replyFixture struct {
	s                 *store.Store
	core              *meeting.Service
	p                 *Pipeline
	g                 *store.Group
	open, cancelled   *store.Meeting
	jana, petr, karel *store.Member
	logs              *bytes.Buffer
}

func newReplyFixture(t *testing.T) *replyFixture {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return testNow }
	f := &replyFixture{s: s, logs: &bytes.Buffer{}}
	f.g = &store.Group{Slug: "pracovni-skupina", Name: "Pracovní skupina protidrogové politiky", TimeZone: "Europe/Prague"}
	if err := s.SyncGroups(ctx, []*store.Group{f.g}); err != nil {
		t.Fatal(err)
	}
	// The fixtures name meeting-1@coordbot and meeting-2@coordbot.
	for i, title := range []string{"Jednání pracovní skupiny", "Mimořádné jednání"} {
		m := &store.Meeting{GroupID: f.g.ID, Title: title, Start: time.Date(2027, 11, 10+14*i, 8, 0, 0, 0, time.UTC)}
		if err := s.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		if m.ID != int64(i+1) {
			t.Fatalf("meeting %q got id %d, the fixtures expect %d", title, m.ID, i+1)
		}
		if i == 0 {
			f.open = m
		} else {
			f.cancelled = m
		}
	}
	if _, err := s.CancelMeeting(ctx, f.cancelled.ID); err != nil {
		t.Fatal(err)
	}
	member := func(name string, emails ...string) *store.Member {
		m := &store.Member{DisplayName: name, Emails: emails, Notify: store.NotifyEmail}
		if err := s.CreateMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := s.SetMembership(ctx, f.g.ID, m.ID, store.RoleMember); err != nil {
			t.Fatal(err)
		}
		return m
	}
	f.jana = member("Jana Nováková", "jana.novakova@mesto-most.example", "jana@novakova.example")
	f.petr = member("Petr Svoboda", "petr.svoboda@gmail.example")
	f.karel = member("Karel Hrubý", "karel.hruby@obec-lom.example")
	coordinator := member("Eva Koordinátorka", "koordinatorka@kr-ustecky.example")
	if err := s.SetMembership(ctx, f.g.ID, coordinator.ID, store.RoleCoordinator); err != nil {
		t.Fatal(err)
	}
	for _, sent := range []struct {
		kind      outbox.Kind
		member    *store.Member
		messageID string
	}{
		{outbox.KindInvitation, f.jana, "inv-1.jana@coordbot.example"},
		{outbox.KindInvitation, f.petr, "inv-1.petr@coordbot.example"},
		{outbox.KindInvitation, f.karel, "inv-1.karel@coordbot.example"},
		{outbox.KindReminder, f.petr, "rem-1.petr@coordbot.example"},
		{outbox.KindNudgeDM, f.jana, "nudge-1.jana@coordbot.example"},
		{outbox.KindAgendaCall, f.jana, "agenda-1.jana@coordbot.example"},
	} {
		n := &store.Notification{GroupID: f.g.ID, MeetingID: f.open.ID, Kind: sent.kind, Due: testNow,
			Channel: store.ChannelEmail, MemberID: sent.member.ID,
			IdempotencyKey: "test:" + sent.messageID}
		if err := s.EnqueueNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkNotificationSent(ctx, n.ID, sent.messageID, testNow); err != nil {
			t.Fatal(err)
		}
	}
	f.core = meeting.New(s)
	f.core.Now = func() time.Time { return testNow }
	f.p = f.newPipeline()
	return f
}

// newPipeline is a pipeline over the fixture's store and core, as a new
// process would build it.
func (f *replyFixture) newPipeline() *Pipeline {
	p := NewPipeline(f.s, slog.New(slog.NewTextHandler(f.logs, nil)))
	p.AllowedSenders = []string{"koordinator@kr-ustecky.example"}
	p.Now = func() time.Time { return testNow }
	p.Actions = f.core
	return p
}

func (f *replyFixture) file(t *testing.T, name string) Outcome {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "replies", name))
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.p.File(context.Background(), Incoming{Raw: raw, Size: int64(len(raw)), Source: name})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rsvp is a member's current answer to a meeting, nil for none.
func (f *replyFixture) rsvp(t *testing.T, meetingID, memberID int64) *store.RSVP {
	t.Helper()
	all, err := f.s.RSVPs(context.Background(), meetingID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.MemberID == memberID {
			return r
		}
	}
	return nil
}

// notices returns the subjects of the coordinator notices pending on a
// meeting, with the archive message each is about.
func (f *replyFixture) notices(t *testing.T, meetingID int64) []outbox.Notice {
	t.Helper()
	var out []outbox.Notice
	err := f.s.Write(context.Background(), func(tx *store.Tx) error {
		rows, err := tx.PendingNotifications(meetingID)
		if err != nil {
			return err
		}
		for _, n := range rows {
			if outbox.Kind(n.Kind) != outbox.KindNotice {
				continue
			}
			var no outbox.Notice
			if err := json.Unmarshal([]byte(n.Payload), &no); err != nil {
				return err
			}
			out = append(out, no)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hasNotice(ns []outbox.Notice, subject string, archiveID int64) bool {
	return slices.ContainsFunc(ns, func(n outbox.Notice) bool {
		return n.Subject == subject && (archiveID == 0 || n.ArchiveID == archiveID)
	})
}

func TestRepliesRecordAnswersThroughTheCore(t *testing.T) {
	f := newReplyFixture(t)
	ctx := context.Background()
	type want struct {
		state, kind, action      string // archive row; action is the action's state
		reason                   string // a part of the quarantine or refusal reason
		member                   *store.Member
		meetingID                int64
		answer, note, substitute string // the member's RSVP after filing; answer "" for none
		notice                   string // a notice about this message
	}
	for _, tc := range []struct {
		name, file string
		want       want
	}{
		{"outlook accepted (Přijato) records yes with the comment", "outlook-prijato.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionDone, member: f.jana,
				meetingID: f.open.ID, answer: store.AnswerYes, note: "Těším se."}},
		{"outlook tentative from the member's second address records maybe", "outlook-predbezne.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionDone, member: f.jana,
				meetingID: f.open.ID, answer: store.AnswerMaybe}},
		{"outlook declined (Odmítnuto) records no", "outlook-odmitnuto.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionDone, member: f.jana,
				meetingID: f.open.ID, answer: store.AnswerNo, note: "Jsem na dovolené."}},
		{"thunderbird attachment with delegation records the substitute", "thunderbird-delegated.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionDone, member: f.jana,
				meetingID: f.open.ID, answer: store.AnswerNo, substitute: "Marie Dvořáková <marie.dvorakova@mesto-most.example>"}},
		{"gmail with METHOD only inside records yes", "gmail-accepted.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionDone, member: f.petr,
				meetingID: f.open.ID, answer: store.AnswerYes}},
		{"forged reply is quarantined and records nothing", "forged-reply.eml",
			want{state: store.ArchiveQuarantined, kind: store.ArchiveReply, member: f.jana, meetingID: f.open.ID,
				reason: "answer refused: From podvodnik@spam.example is not an address of the attendee jana.novakova@mesto-most.example",
				answer: store.AnswerNo, substitute: "Marie Dvořáková <marie.dvorakova@mesto-most.example>"}},
		{"reply for an unknown UID is quarantined", "unknown-uid.eml",
			want{state: store.ArchiveQuarantined, kind: store.ArchiveReply, member: f.jana,
				reason: ReasonUnknownMeeting, answer: store.AnswerNo, substitute: "Marie Dvořáková <marie.dvorakova@mesto-most.example>"}},
		{"reply for a cancelled meeting is kept, refused, and the coordinator told", "cancelled-meeting.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionRefused, member: f.petr,
				meetingID: f.cancelled.ID, reason: "answer refused", answer: store.AnswerYes, notice: outbox.NoticeRefusedAnswer}},
		{"plain reply with the word after a quoted block", "plain-bottom-posted.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionDone, member: f.jana,
				meetingID: f.open.ID, answer: store.AnswerNo, note: "omlouvám se.\nJsem na školení."}},
		{"outlook reply in windows-1250 above the original", "outlook-cp1250.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionDone, member: f.jana,
				meetingID: f.open.ID, answer: store.AnswerYes}},
		{"html-only reply to a reminder", "html-only.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionDone, member: f.petr,
				meetingID: f.open.ID, answer: store.AnswerMaybe, note: "podle situace v práci."}},
		{"unreadable reply is kept and the coordinator told", "unreadable-reply.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionDone, member: f.petr,
				meetingID: f.open.ID, answer: store.AnswerMaybe, note: "podle situace v práci.", notice: outbox.NoticeUnreadableAnswer}},
		{"reply from another address than the member's is quarantined", "plain-wrong-sender.eml",
			want{state: store.ArchiveQuarantined, kind: store.ArchiveReply, member: f.jana, meetingID: f.open.ID,
				reason: "answer refused: From sekretariat@mesto-most.example", answer: store.AnswerYes}},
		{"english top-posted yes", "english-top-posted.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionDone, member: f.karel,
				meetingID: f.open.ID, answer: store.AnswerYes, note: "I'll be there."}},
		{"agenda reply proposes an item", "agenda-reply.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveReply, action: store.ActionDone, member: f.jana,
				meetingID: f.open.ID, answer: store.AnswerYes}},
		{"delayed DSN is kept as a bounce and does nothing", "dsn-delayed.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveBounce, member: f.karel, meetingID: f.open.ID,
				answer: store.AnswerYes, note: "I'll be there."}},
		{"DSN 5.1.1 for sent mail marks the address and tells the coordinator", "dsn-5.1.1.eml",
			want{state: store.ArchiveArchived, kind: store.ArchiveBounce, action: store.ActionDone, member: f.karel,
				meetingID: f.open.ID, answer: store.AnswerYes, note: "I'll be there.", notice: outbox.NoticeBounce}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.want
			out := f.file(t, tc.file)
			if out.Duplicate {
				t.Fatalf("outcome %+v: duplicate", out)
			}
			row, err := f.s.ArchiveMessageByID(ctx, out.ID)
			if err != nil {
				t.Fatal(err)
			}
			if row.State != w.state || row.Kind != w.kind || row.ActionState != w.action || row.MeetingID != w.meetingID {
				t.Errorf("row state %q kind %q action %q meeting %d, want %q %q %q %d (reason %q, action %s)",
					row.State, row.Kind, row.ActionState, row.MeetingID, w.state, w.kind, w.action, w.meetingID, row.Reason, row.Action)
			}
			if !strings.Contains(row.Reason, w.reason) || (w.reason == "" && row.Reason != "") {
				t.Errorf("reason %q, want one with %q", row.Reason, w.reason)
			}
			if !bytes.Equal(row.Raw, mustRead(t, tc.file)) {
				t.Error("raw bytes not kept")
			}
			meetingID := w.meetingID
			if meetingID == 0 || meetingID == f.cancelled.ID {
				meetingID = f.open.ID
			}
			got := f.rsvp(t, meetingID, w.member.ID)
			switch {
			case w.answer == "" && got != nil:
				t.Errorf("%s answered %+v, want no answer", w.member.DisplayName, got)
			case w.answer != "" && got == nil:
				t.Errorf("%s has no answer, want %q", w.member.DisplayName, w.answer)
			case got != nil && (got.Answer != w.answer || got.Note != w.note || got.Substitute != w.substitute || got.Via != store.ViaEmail):
				t.Errorf("%s answered %q note %q substitute %q via %q, want %q %q %q via email", w.member.DisplayName,
					got.Answer, got.Note, got.Substitute, got.Via, w.answer, w.note, w.substitute)
			}
			if w.meetingID == f.cancelled.ID {
				if r := f.rsvp(t, f.cancelled.ID, w.member.ID); r != nil {
					t.Errorf("answer recorded for the cancelled meeting: %+v", r)
				}
			}
			about := out.ID
			if w.notice == outbox.NoticeBounce {
				about = 0 // the core's bounce notice names the address, not the report
			}
			if w.notice != "" && !hasNotice(f.notices(t, w.meetingID), w.notice, about) {
				t.Errorf("no %s notice on meeting %d: %+v", w.notice, w.meetingID, f.notices(t, w.meetingID))
			}
		})
	}

	items, err := f.s.Agenda(ctx, f.open.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Title != "Financování adiktologických služeb v roce 2028" || items[0].AuthorID != f.jana.ID ||
		items[0].Details != "Navrhuji projednat, jak kraj pokryje výpadek dotací.\nPodklady pošlu do pátku." {
		t.Errorf("agenda %+v, want Jana's one item without closing and quote", items)
	}
	karel, err := f.s.Member(ctx, f.karel.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(karel.Bounced, "karel.hruby@obec-lom.example") {
		t.Errorf("Karel's bounced addresses %v, want his address", karel.Bounced)
	}

	t.Run("filing a reply again changes nothing", func(t *testing.T) {
		out := f.file(t, "agenda-reply.eml")
		if !out.Duplicate {
			t.Errorf("outcome %+v, want duplicate", out)
		}
		if err := f.newPipeline().FinishPending(ctx); err != nil {
			t.Fatal(err)
		}
		if items, _ := f.s.Agenda(ctx, f.open.ID); len(items) != 1 {
			t.Errorf("%d agenda items, want 1", len(items))
		}
	})
	t.Run("replies and bounces are not listed as minutes", func(t *testing.T) {
		minutes, err := f.s.ArchiveMessages(ctx, store.ArchiveFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range minutes {
			t.Errorf("listed as minutes: %s (%s)", m.Subject, m.Kind)
		}
		all, err := f.s.ArchiveMessages(ctx, store.ArchiveFilter{Kind: store.ArchiveAnyKind})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) == 0 {
			t.Error("no messages with kind any")
		}
	})
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "replies", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A process that stopped between storing a reply and acting on it leaves
// the action pending; the next start finishes it, once.
func TestFinishPendingAfterACrash(t *testing.T) {
	f := newReplyFixture(t)
	ctx := context.Background()
	crashed := f.newPipeline()
	crashed.Actions = nil // stores, then "dies" before acting
	for _, name := range []string{"agenda-reply.eml", "plain-bottom-posted.eml"} {
		raw := mustRead(t, name)
		if _, err := crashed.File(ctx, Incoming{Raw: raw, Source: name}); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := f.s.PendingMailActions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 {
		t.Fatalf("pending actions %v, want 2", pending)
	}
	if items, _ := f.s.Agenda(ctx, f.open.ID); len(items) != 0 {
		t.Fatalf("agenda items before the restart: %+v", items)
	}
	if err := crashed.FinishPending(ctx); err == nil {
		t.Error("FinishPending without a core succeeded")
	}
	for range 2 {
		if err := f.newPipeline().FinishPending(ctx); err != nil {
			t.Fatal(err)
		}
	}
	items, err := f.s.Agenda(ctx, f.open.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Errorf("%d agenda items after two restarts, want exactly 1", len(items))
	}
	if r := f.rsvp(t, f.open.ID, f.jana.ID); r == nil || r.Answer != store.AnswerNo || r.Via != store.ViaEmail {
		t.Errorf("Jana's answer after the restart: %+v, want no by e-mail", r)
	}
	if pending, _ := f.s.PendingMailActions(ctx); len(pending) != 0 {
		t.Errorf("still pending: %v", pending)
	}
	// The core itself does nothing for a message whose action is done.
	if err := f.core.MailAction(ctx, pending0(t, f)); err != nil {
		t.Fatal(err)
	}
	if items, _ := f.s.Agenda(ctx, f.open.ID); len(items) != 1 {
		t.Errorf("%d agenda items after a repeated action, want 1", len(items))
	}
}

// pending0 is the id of the first stored reply.
func pending0(t *testing.T, f *replyFixture) int64 {
	t.Helper()
	all, err := f.s.ArchiveMessages(context.Background(), store.ArchiveFilter{Kind: store.ArchiveAnyKind})
	if err != nil || len(all) == 0 {
		t.Fatalf("stored messages: %v, %v", all, err)
	}
	return all[0].ID
}

// Minutes still go the old way: a message from an allowed sender that
// answers nothing coordbot sent is minutes, and a DSN about mail nobody
// here sent is not a bounce.
func TestMinutesAreNotReplies(t *testing.T) {
	f := newReplyFixture(t)
	out, err := f.p.File(context.Background(), Incoming{Raw: msg("koordinator@kr-ustecky.example", "archiv@kr-ustecky.example",
		"Zápis [pracovni-skupina]", "Fri, 12 Nov 2027 10:00:00 +0100", "zapis@kr", "In-Reply-To: <unknown@elsewhere>"), Source: "t"})
	if err != nil {
		t.Fatal(err)
	}
	row, err := f.s.ArchiveMessageByID(context.Background(), out.ID)
	if err != nil {
		t.Fatal(err)
	}
	if row.Kind != store.ArchiveMinutes || row.State != store.ArchiveArchived || row.Action != "" {
		t.Errorf("minutes filed as kind %q state %q action %q", row.Kind, row.State, row.Action)
	}
	foreign := bytes.ReplaceAll(mustRead(t, "dsn-5.1.1.eml"), []byte("inv-1.karel@coordbot.example"), []byte("other@elsewhere"))
	foreign = bytes.ReplaceAll(foreign, []byte("karel.hruby@obec-lom.example"), []byte("nobody@elsewhere.example"))
	foreign = bytes.ReplaceAll(foreign, []byte("Karel.Hruby@obec-lom.example"), []byte("nobody@elsewhere.example"))
	out, err = f.p.File(context.Background(), Incoming{Raw: foreign, Source: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if row, _ := f.s.ArchiveMessageByID(context.Background(), out.ID); row.Kind != store.ArchiveMinutes || row.State != store.ArchiveQuarantined {
		t.Errorf("foreign DSN filed as kind %q state %q, want minutes quarantined (sender not allowed)", row.Kind, row.State)
	}

	// A report on a member's address about mail coordbot did not send
	// (anyone can write one) is kept as a bounce but stops nothing.
	forged := bytes.ReplaceAll(mustRead(t, "dsn-5.1.1.eml"), []byte("inv-1.karel@coordbot.example"), []byte("other@elsewhere"))
	out, err = f.p.File(context.Background(), Incoming{Raw: forged, Source: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if row, _ := f.s.ArchiveMessageByID(context.Background(), out.ID); row.Kind != store.ArchiveBounce || row.Action != "" {
		t.Errorf("forged DSN filed as kind %q action %q, want a bounce without action", row.Kind, row.Action)
	}
	karel, err := f.s.MemberByEmail(context.Background(), "karel.hruby@obec-lom.example")
	if err != nil {
		t.Fatal(err)
	}
	if len(karel.Bounced) != 0 {
		t.Errorf("a forged DSN marked %q as bouncing", karel.Bounced)
	}
}
