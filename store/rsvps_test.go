package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"coordbot/store"
)

// TestSetRSVPsAsOneByOne writes the same answers twice, in one call of
// SetRSVPs and one by one with SetRSVP, on two stores, and finds the same
// current answers and the same history. 150 answers make chunks of 64,
// 64, 16, 4 and 2; members answer again within a chunk and across
// chunks, so the later answer must win in both places.
func TestSetRSVPsAsOneByOne(t *testing.T) {
	ctx := context.Background()
	type state struct {
		current []store.RSVP
		history [][]store.RSVP
	}
	answers := []string{store.AnswerYes, store.AnswerNo, store.AnswerMaybe}
	run := func(batch bool) state {
		s, _ := MustOpenStore(t)
		g := mustGroup(t, s, "pracovni-skupina")
		m := mustMeeting(t, s, g, t0.Add(30*24*time.Hour))
		var members []*store.Member
		for i := range 40 {
			members = append(members, mustMember(t, s, fmt.Sprint(1000+i), fmt.Sprint("Člen ", i)))
		}
		var rs []*store.RSVP
		for i := range 150 {
			// Member i%40 answers up to four times; i%7 varies the rest.
			rs = append(rs, &store.RSVP{MeetingID: m.ID, MemberID: members[(i*7)%40].ID, Answer: answers[i%3],
				Note: fmt.Sprint("poznámka ", i), Substitute: map[bool]string{true: "Mgr. Petr Dvořák"}[i%7 == 0],
				Via: map[bool]string{true: store.ViaEmail}[i%5 == 0]})
		}
		err := s.Write(ctx, func(tx *store.Tx) error {
			if batch {
				return tx.SetRSVPs(rs)
			}
			for _, r := range rs {
				if err := tx.SetRSVP(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var st state
		cur, err := s.RSVPs(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range cur {
			st.current = append(st.current, *r)
		}
		for _, mm := range members {
			hist, err := s.RSVPHistory(ctx, m.ID, mm.ID)
			if err != nil {
				t.Fatal(err)
			}
			var h []store.RSVP
			for _, r := range hist {
				h = append(h, *r)
			}
			st.history = append(st.history, h)
		}
		for _, r := range rs {
			if r.UpdatedAt.IsZero() || r.Via == "" {
				t.Fatalf("answer not completed: %+v", r)
			}
		}
		return st
	}
	one, all := run(false), run(true)
	if len(one.current) != 40 {
		t.Fatalf("%d current answers, want 40", len(one.current))
	}
	if !reflect.DeepEqual(all, one) {
		t.Errorf("SetRSVPs:\n%+v\none by one:\n%+v", all, one)
	}
	if n := len(all.history[0]); n != 4 {
		t.Errorf("member 0 has %d history rows, want 4", n)
	}
}
