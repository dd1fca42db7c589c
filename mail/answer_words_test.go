package mail

import (
	"strings"
	"testing"

	"coordbot/store"
)

func TestReadAnswer(t *testing.T) {
	for _, tc := range []struct {
		name, body   string
		answer, note string
	}{
		{"czech yes", "Přijdu", store.AnswerYes, ""},
		{"without diacritics", "prijdu", store.AnswerYes, ""},
		{"no with apology", "Nepřijdu, omlouvám se.", store.AnswerNo, "omlouvám se."},
		{"upper case", "NEPŘIJDU", store.AnswerNo, ""},
		{"ano", "Ano.", store.AnswerYes, ""},
		{"ne", "ne - jsem nemocná", store.AnswerNo, "jsem nemocná"},
		{"maybe czech", "Možná\nzáleží na poradě", store.AnswerMaybe, "záleží na poradě"},
		{"maybe without diacritics", "mozna", store.AnswerMaybe, ""},
		{"english", "Yes, I'll be there.", store.AnswerYes, "I'll be there."},
		{"english no", "no", store.AnswerNo, ""},
		{"bottom-posted", "On Mon, 1 Mar 2027, X <x@y> wrote:\n> Pozvánka\n> Odpovězte\n\nNepřijdu, omlouvám se.\n", store.AnswerNo, "omlouvám se."},
		{"wrapped attribution", "Dne 1. 3. 2027 v 10:00 Pracovní skupina\n<archiv@x> napsal(a):\n> text\n\nAno", store.AnswerYes, ""},
		{"top-posted above gmail quote", "Možná\n\nOn Mon, 1 Mar 2027 at 10:00 X <x@y> wrote:\nPozvánka (html, no > marks)\nPřijdu", store.AnswerMaybe, ""},
		{"outlook original", "Přijdu\n\n-----Original Message-----\nFrom: X\nSent: now\n\nNepřijdu", store.AnswerYes, ""},
		{"czech outlook header block", "Ne\n\nOd: Pracovní skupina <x@y>\nOdesláno: pondělí\nKomu: Jana\n\nPřijdu", store.AnswerNo, ""},
		{"signature is not the note", "Přijdu\n\nS pozdravem\nJana", store.AnswerYes, ""},
		{"blank lines first", "\n\n  Přijdu  \n", store.AnswerYes, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer, note, ok := readAnswer(ownText(tc.body))
			if !ok || answer != tc.answer || note != tc.note {
				t.Errorf("read %q, %q, %v; want %q, %q", answer, note, ok, tc.answer, tc.note)
			}
		})
	}
	for _, body := range []string{"", "> Přijdu\n", "Nevím, ozvu se.", "Děkuji za pozvání. Přijdu.", "Anonymní dotaz", "Nobody", "-- \nPřijdu"} {
		if answer, _, ok := readAnswer(ownText(body)); ok {
			t.Errorf("%q read as %q, want no answer", body, answer)
		}
	}
}

func TestReadProposal(t *testing.T) {
	title, details, ok := readProposal(ownText("Bod: rozpočet\nDetail 1\nDetail 2\n\n-- \nJana\n"))
	if !ok || title != "Bod: rozpočet" || details != "Detail 1\nDetail 2" {
		t.Errorf("got %q %q %v", title, details, ok)
	}
	long := strings.Repeat("slovo ", 60)
	title, details, ok = readProposal([]string{long})
	if !ok || len([]rune(title)) > store.MaxAgendaTitle || !strings.Contains(details, strings.TrimSpace(long)) {
		t.Errorf("long title: %q (%d runes), details %q", title, len([]rune(title)), details)
	}
	if _, _, ok := readProposal(ownText("> only quoted\n")); ok {
		t.Error("a reply with only quoted text read as a proposal")
	}
}

func TestMeetingOfUID(t *testing.T) {
	for uid, want := range map[string]int64{
		"meeting-42@coordbot": 42, "meeting-1@coordbot": 1, "meeting-0@coordbot": 0, "meeting-42@elsewhere": 0,
		"meeting-x@coordbot": 0, "meeting-042@coordbot": 0, "040000008200E00074C5B7101A82E008": 0, "": 0,
	} {
		got, ok := MeetingOfUID(uid)
		if got != want || ok != (want != 0) {
			t.Errorf("MeetingOfUID(%q) = %d, %v; want %d", uid, got, ok, want)
		}
	}
}

func TestParseDeliveryStatus(t *testing.T) {
	ds := "Reporting-MTA: dns; mx.example\r\n\r\n" +
		"Final-Recipient: rfc822; ok@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n" +
		"Final-Recipient: rfc822; Gone@Example.org\r\nAction: failed\r\nStatus: 5.1.1 (user unknown)\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 user\r\n unknown\r\n"
	rs := parseDeliveryStatus([]byte(ds))
	if len(rs) != 2 {
		t.Fatalf("reports %+v, want 2", rs)
	}
	if r := rs[0]; r.Address != "gone@example.org" || r.Status != "5.1.1" || !r.Failed() || r.Diagnostic != "550 5.1.1 user unknown" {
		t.Errorf("first report %+v, want the failure first", r)
	}
	if rs[1].Failed() {
		t.Errorf("delivered report %+v counts as failed", rs[1])
	}
	if rs := parseDeliveryStatus([]byte("Reporting-MTA: dns; x\n\nAction: failed\n")); len(rs) != 0 {
		t.Errorf("report without recipient: %+v", rs)
	}
}
