package store_test

import (
	"context"
	"testing"

	"coordbot/store"
)

// TestFromFilterFoldsLikeTheText: from: finds a sender whatever the case,
// the diacritics or the Unicode form of the query (NFD, as some macOS
// keyboards type it), by name or by address.
func TestFromFilterFoldsLikeTheText(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	m := archiveMsg("z1@kr", "Zápis z jednání", "Projednán rozpočet.") // from Jana Nováková <Jana@Example.cz>
	if _, err := s.AddArchiveMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	other := archiveMsg("z2@kr", "Zápis z kulatého stolu", "Projednán rozpočet.")
	other.FromName, other.FromAddr = "Petr Dvořák", "petr@obec.cz"
	if _, err := s.AddArchiveMessage(ctx, other); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{"Nováková", "novakova", "NOVÁKOVÁ", "Nova\u0301kova\u0301", "jana@", "jana@example.cz", "Jana Nov"} {
		hits, err := s.SearchArchive(ctx, store.SearchQuery{From: from})
		if err != nil || len(hits) != 1 || hits[0].ID != m.ID {
			t.Errorf("from:%s = %d hits, %v; want Jana's message", from, len(hits), err)
		}
		hits, err = s.SearchArchive(ctx, store.SearchQuery{Text: "rozpocet", From: from})
		if err != nil || len(hits) != 1 || hits[0].ID != m.ID {
			t.Errorf("rozpocet from:%s = %d hits, %v; want Jana's message", from, len(hits), err)
		}
	}
	for _, from := range []string{"dvorakova", "@@", "petra"} {
		if hits, err := s.SearchArchive(ctx, store.SearchQuery{From: from}); err != nil || len(hits) != 0 {
			t.Errorf("from:%s = %d hits, %v; want none", from, len(hits), err)
		}
	}
}
