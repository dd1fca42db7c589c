package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"testing"
	"time"

	"coordbot/store"
)

// TestReadReportMatchesThePerMeetingReads reads two meetings of a group at
// once and wants what the per-meeting reads give for each: attendance,
// answers, guests, agenda, minutes (newest first, capped, quarantined and
// reply mail left out, attachment names in order), current members in
// GroupMembers' order with their joining time, and a former member named
// by a record.
func TestReadReportMatchesThePerMeetingReads(t *testing.T) {
	ctx := context.Background()
	s, clock := MustOpenStore(t)
	g := mustGroup(t, s, "pracovni-skupina")
	other := mustGroup(t, s, "jina-skupina")
	jana := mustMember(t, s, "1", "Jana Nováková")
	petr := mustMember(t, s, "2", "Petr Svoboda")
	gone := mustMember(t, s, "3", "Ondřej Odešel")
	for _, m := range []*store.Member{jana, petr, gone} {
		if err := s.SetMembership(ctx, g.ID, m.ID, store.RoleMember); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Hour)
	}
	first, second := mustMeeting(t, s, g, t0.Add(48*time.Hour)), mustMeeting(t, s, g, t0.Add(96*time.Hour))
	elsewhere := mustMeeting(t, s, other, t0.Add(48*time.Hour))
	for _, m := range []*store.Meeting{first, second, elsewhere} {
		if err := s.SetRSVP(ctx, &store.RSVP{MeetingID: m.ID, MemberID: petr.ID, Answer: store.AnswerYes, Substitute: "Eva"}); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Minute)
		if err := s.SetRSVP(ctx, &store.RSVP{MeetingID: m.ID, MemberID: gone.ID, Answer: store.AnswerNo}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetAttendances(ctx, []*store.Attendance{{MeetingID: first.ID, MemberID: gone.ID, Attended: true},
		{MeetingID: first.ID, MemberID: jana.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, func(tx *store.Tx) error {
		return tx.AddGuests(second.ID, []store.Guest{{Name: "Zdena Hostová", Organisation: "Policie ČR"}, {Name: "Adam Host"}})
	}); err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{"Financování", "Věznice"} {
		if err := s.AddAgendaItem(ctx, &store.AgendaItem{MeetingID: second.ID, Title: title, Status: store.AgendaAccepted}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RemoveMembership(ctx, g.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	n := 0
	add := func(m *store.Meeting, sent time.Time, edit func(*store.ArchiveMessage)) {
		t.Helper()
		n++
		raw := []byte(fmt.Sprintf("Message-ID: <%d@x>\r\n\r\nZápis %d", n, n))
		sum := sha256.Sum256(raw)
		msg := &store.ArchiveMessage{MessageID: fmt.Sprintf("%d@x", n), ContentHash: hex.EncodeToString(sum[:]),
			Subject: fmt.Sprintf("Zápis %d", n), Sent: sent, Received: sent, BodyText: fmt.Sprintf("Text %d", n), Raw: raw,
			GroupID: m.GroupID, MeetingID: m.ID}
		if edit != nil {
			edit(msg)
		}
		if _, err := s.AddArchiveMessage(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 4 {
		add(first, t0.Add(time.Duration(72-i)*time.Hour), func(m *store.ArchiveMessage) {
			if i == 1 {
				m.Attachments = []*store.Attachment{
					{Filename: "b.pdf", MediaType: "application/pdf", Content: []byte("%PDF"), SHA256: "b", Text: "příloha 1"},
					{Filename: "a.docx", MediaType: "application/msword", Content: []byte("PK"), SHA256: "a", Text: "příloha 2"},
				}
			}
		})
	}
	add(first, t0.Add(80*time.Hour), func(m *store.ArchiveMessage) { m.State, m.Reason = store.ArchiveQuarantined, "neznámý" })
	add(first, t0.Add(81*time.Hour), func(m *store.ArchiveMessage) { m.Kind = store.ArchiveReply })
	add(elsewhere, t0.Add(72*time.Hour), nil)

	const limit = 3
	r, err := s.ReadReport(ctx, g.ID, []int64{first.ID, second.ID}, limit)
	if err != nil {
		t.Fatal(err)
	}
	members, err := s.GroupMembers(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Members) != len(members) {
		t.Fatalf("%d members, want %d", len(r.Members), len(members))
	}
	for i, gm := range members {
		ms, err := s.MembershipOf(ctx, g.ID, gm.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := r.Members[i]
		if got.ID != gm.ID || got.DisplayName != gm.DisplayName || got.Organisation != gm.Organisation ||
			!got.JoinedAt.Equal(ms.JoinedAt) {
			t.Errorf("member %d = %+v joined %s, want %+v joined %s", i, got.Member, got.JoinedAt, gm.Member, ms.JoinedAt)
		}
	}
	if p := r.People[gone.ID]; p == nil || p.DisplayName != "Ondřej Odešel" || len(r.People) != 1 {
		t.Errorf("people = %v, want only Ondřej Odešel", r.People)
	}
	for _, m := range []*store.Meeting{first, second} {
		att, err := s.AttendanceOf(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Attendance[m.ID], att) {
			t.Errorf("meeting %d: attendance %v, want %v", m.ID, r.Attendance[m.ID], att)
		}
		rsvps, err := s.RSVPs(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rsvps) != 2 || !reflect.DeepEqual(r.RSVPs[m.ID], rsvps) {
			t.Errorf("meeting %d: answers %v, want %v", m.ID, r.RSVPs[m.ID], rsvps)
		}
		guests, err := s.Guests(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Guests[m.ID], guests) {
			t.Errorf("meeting %d: guests %v, want %v", m.ID, r.Guests[m.ID], guests)
		}
		agenda, err := s.Agenda(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Agenda[m.ID], agenda) {
			t.Errorf("meeting %d: agenda %v, want %v", m.ID, r.Agenda[m.ID], agenda)
		}
		msgs, err := s.ArchiveMessages(ctx, store.ArchiveFilter{MeetingID: m.ID, State: store.ArchiveArchived,
			Limit: limit, WithoutBody: true})
		if err != nil {
			t.Fatal(err)
		}
		var want []*store.ReportMinutes
		for _, msg := range msgs {
			rm := &store.ReportMinutes{ID: msg.ID, MeetingID: msg.MeetingID, Subject: msg.Subject}
			for _, a := range msg.Attachments {
				rm.Attachments = append(rm.Attachments, a.Filename)
			}
			want = append(want, rm)
		}
		if !reflect.DeepEqual(r.Minutes[m.ID], want) {
			t.Errorf("meeting %d: minutes %+v, want %+v", m.ID, r.Minutes[m.ID], want)
		}
	}
	if len(r.Minutes[first.ID]) != limit || len(r.Minutes[first.ID][1].Attachments) != 2 || len(r.Guests[second.ID]) != 2 ||
		len(r.Agenda[second.ID]) != 2 || len(r.Attendance[first.ID]) != 2 {
		t.Errorf("the fixture lost its point: %+v", r)
	}

	ids := []int64{r.Minutes[first.ID][1].ID, r.Minutes[first.ID][0].ID, 999}
	texts, err := s.ReportTexts(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:2] {
		one, err := s.ArchiveTexts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(texts[id], one) {
			t.Errorf("texts of %d = %q, want %q", id, texts[id], one)
		}
	}
	if len(texts[ids[0]]) != 3 || len(texts) != 2 {
		t.Errorf("texts = %v, want two messages, the first with two attachments", texts)
	}
}

// TestReadReportWithoutMeetings reads the members alone.
func TestReadReportWithoutMeetings(t *testing.T) {
	s, _ := MustOpenStore(t)
	g := mustGroup(t, s, "pracovni-skupina")
	jana := mustMember(t, s, "1", "Jana Nováková")
	if err := s.SetMembership(context.Background(), g.ID, jana.ID, store.RoleCoordinator); err != nil {
		t.Fatal(err)
	}
	r, err := s.ReadReport(context.Background(), g.ID, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Members) != 1 || r.Members[0].DisplayName != "Jana Nováková" || len(r.Minutes) != 0 {
		t.Errorf("read %+v, want Jana alone", r)
	}
}
