package meeting_test

import (
	"testing"

	"coordbot/meeting"
	"coordbot/store"
)

// TestByOrganisation groups members and people who left but answered by
// organisation, "" last, with deputies, and counts each answer once.
func TestByOrganisation(t *testing.T) {
	jana := store.GroupMember{Member: store.Member{ID: 1, DisplayName: "Jana", Organisation: "Obec Lom"}}
	petr := store.GroupMember{Member: store.Member{ID: 2, DisplayName: "Petr", Organisation: "Město Most"}}
	eva := store.GroupMember{Member: store.Member{ID: 3, DisplayName: "Eva"}}
	karel := store.GroupMember{Member: store.Member{ID: 4, DisplayName: "Karel", Organisation: "Obec Lom"}}
	left := &store.Member{ID: 9, DisplayName: "Ota", Organisation: "Město Most"}
	answers := []meeting.Answer{
		{Member: &jana.Member, RSVP: &store.RSVP{MemberID: 1, Answer: store.AnswerYes, Substitute: "Alena"}},
		{Member: &eva.Member, RSVP: &store.RSVP{MemberID: 3, Answer: store.AnswerMaybe}},
		{Member: left, RSVP: &store.RSVP{MemberID: 9, Answer: store.AnswerNo}},
	}
	orgs, counts := meeting.ByOrganisation([]*store.GroupMember{&eva, &jana, &petr, &karel}, answers)
	var got []string
	for _, o := range orgs {
		line := o.Organisation + ":"
		for _, part := range []struct {
			label string
			list  []meeting.Answering
		}{{"yes", o.Yes}, {"maybe", o.Maybe}, {"no", o.No}, {"none", o.None}} {
			for _, a := range part.list {
				line += " " + part.label + "=" + a.Member.DisplayName
				if a.Substitute != "" {
					line += "/" + a.Substitute
				}
			}
		}
		got = append(got, line)
	}
	want := []string{"Město Most: no=Ota none=Petr", "Obec Lom: yes=Jana/Alena none=Karel", ": maybe=Eva"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("org %d: %q, want %q", i, got[i], want[i])
		}
	}
	if counts[store.AnswerYes] != 1 || counts[store.AnswerNo] != 1 || counts[store.AnswerMaybe] != 1 || counts[""] != 2 {
		t.Errorf("counts %v", counts)
	}
}
