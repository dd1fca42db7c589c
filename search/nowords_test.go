package search

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"coordbot/store"
)

func TestParseRefusesQueriesWithoutWords(t *testing.T) {
	for _, in := range []string{"'😀'", "😀", "*", "(", `"`, ":", "* ( ) \" :", "— …", "'😀' group:kraj", "\u0301"} {
		t.Run(in, func(t *testing.T) {
			q, err := Parse(in, time.UTC)
			if !errors.Is(err, ErrNoWords) {
				t.Errorf("Parse(%q) = %+v, %v; want ErrNoWords", in, q, err)
			}
		})
	}
	for _, in := range []string{"", "group:kraj", "has:attachment", "a*", "2027", "věznice 😀"} {
		t.Run("accepts "+in, func(t *testing.T) {
			if _, err := Parse(in, time.UTC); err != nil {
				t.Errorf("Parse(%q): %v", in, err)
			}
		})
	}
}

func TestParseNormalisesToNFC(t *testing.T) {
	nfd := "ve\u030cznici\u0301ch from:Nova\u0301kova\u0301"
	q, err := Parse(nfd, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if q.Text != "věznicích" || q.From != "Nováková" {
		t.Errorf("Parse(NFD): text %+q, from %+q; want NFC", q.Text, q.From)
	}
}

// TestDecomposedTextIsFound runs both spellings of a word, composed (NFC)
// and decomposed (NFD), against messages indexed in both spellings: every
// query finds every message.
func TestDecomposedTextIsFound(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const nfc, nfd = "Zápis o věznicích", "Za\u0301pis o ve\u030cznici\u0301ch"
	sent := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	for i, subj := range []string{nfc, nfd} {
		m := &store.ArchiveMessage{MessageID: subj + "@x", ContentHash: string(rune('a' + i)), FromAddr: "a@example.cz",
			Subject: subj, BodyText: subj, Sent: sent, Received: sent, Raw: []byte(subj), State: store.ArchiveArchived, Source: "test"}
		if _, err := s.AddArchiveMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, query := range []string{"věznicích", "ve\u030cznici\u0301ch", "zápis", "za\u0301pis", "veznicich"} {
		q, err := Parse(query, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		hits, err := s.SearchArchive(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 2 {
			t.Errorf("search %+q found %d messages, want both spellings", query, len(hits))
		}
	}
}
