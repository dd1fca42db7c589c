package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"coordbot/store"
)

// BenchmarkSetRSVP measures the RSVP upsert (current answer + history row in
// one transaction) with members changing their answers on one meeting.
func BenchmarkSetRSVP(b *testing.B) {
	s, _ := MustOpenStore(b)
	ctx := context.Background()
	g := mustGroup(b, s, "g")
	m := mustMeeting(b, s, g, t0.Add(30*24*time.Hour))
	var members []*store.Member
	for i := 0; i < 200; i++ {
		members = append(members, mustMember(b, s, fmt.Sprint(1000+i), fmt.Sprint("Člen ", i)))
	}
	answers := []string{store.AnswerYes, store.AnswerNo, store.AnswerMaybe}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &store.RSVP{MeetingID: m.ID, MemberID: members[i%len(members)].ID, Answer: answers[i%3], Note: "poznámka"}
		if err := s.SetRSVP(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetRSVPParallel is the same with concurrent callers, as when many
// people click at once: writers queue on the single writer connection.
func BenchmarkSetRSVPParallel(b *testing.B) {
	s, _ := MustOpenStore(b)
	ctx := context.Background()
	g := mustGroup(b, s, "g")
	m := mustMeeting(b, s, g, t0.Add(30*24*time.Hour))
	var members []*store.Member
	for i := 0; i < 200; i++ {
		members = append(members, mustMember(b, s, fmt.Sprint(1000+i), fmt.Sprint("Člen ", i)))
	}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1))
			r := &store.RSVP{MeetingID: m.ID, MemberID: members[i%len(members)].ID, Answer: store.AnswerYes}
			if err := s.SetRSVP(ctx, r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAddAgendaItem measures an agenda insert (position computed in
// the write transaction).
func BenchmarkAddAgendaItem(b *testing.B) {
	s, _ := MustOpenStore(b)
	ctx := context.Background()
	g := mustGroup(b, s, "g")
	m := mustMeeting(b, s, g, t0.Add(30*24*time.Hour))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it := &store.AgendaItem{MeetingID: m.ID, Title: "Financování adiktologických služeb", Details: "Aktuální situace v kraji."}
		if err := s.AddAgendaItem(ctx, it); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimDueNotifications measures claiming one due message and
// marking it sent, out of an outbox of 60,000 pending rows (10,000 meetings
// with six messages each), which is the scheduler's hot path.
func BenchmarkClaimDueNotifications(b *testing.B) {
	s, _ := MustOpenStore(b)
	ctx := context.Background()
	g := mustGroup(b, s, "g")
	const rows = 60000
	ns := make([]*store.Notification, 0, rows)
	for i := 0; i < rows; i++ {
		ns = append(ns, &store.Notification{GroupID: g.ID, Kind: "reminder", Due: t0.Add(time.Duration(i) * time.Second),
			ChannelID: "111", IdempotencyKey: fmt.Sprint("bench:", i)})
	}
	if _, err := s.EnqueueNotifications(ctx, ns); err != nil {
		b.Fatal(err)
	}
	if b.N > rows {
		b.Fatalf("b.N = %d exceeds the %d rows; use -benchtime with at most %dx", b.N, rows, rows)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now := t0.Add(time.Duration(i) * time.Second)
		got, err := s.ClaimDueNotifications(ctx, now, time.Minute, 10)
		if err != nil || len(got) != 1 {
			b.Fatalf("claim at %d: %d rows, %v", i, len(got), err)
		}
		if err := s.MarkNotificationSent(ctx, got[0].ID, "m", now); err != nil {
			b.Fatal(err)
		}
	}
}
