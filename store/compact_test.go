package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"coordbot/search"
	"coordbot/store"
)

// TestCompactIndexMergesSegments files 120 messages one transaction each
// (each adds a segment to the full-text index), compacts, and finds fewer
// segments and every message still.
func TestCompactIndexMergesSegments(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "c.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 120
	for i := range n {
		m := &store.ArchiveMessage{MessageID: fmt.Sprintf("m%d@x", i), ContentHash: fmt.Sprintf("h%d", i),
			FromAddr: "jana@obec.cz", Subject: fmt.Sprintf("Zápis %d", i),
			BodyText: fmt.Sprintf("Financování služeb, slovo%d a primární prevence.", i), Raw: []byte("x")}
		if _, err := s.AddArchiveMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	segments := func() int {
		c, err := s.IndexSegmentsForTest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	before := segments()
	steps, err := s.CompactIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after := segments()
	if steps == 0 || after >= before {
		t.Errorf("compact: %d steps, segments %d → %d", steps, before, after)
	}
	// A second compaction finds nothing more to merge.
	if again, err := s.CompactIndex(ctx); err != nil || again != 0 {
		t.Errorf("second compaction: %d steps, %v", again, err)
	}
	for _, word := range []string{"slovo0", "slovo119", "financovani"} {
		q, err := search.Parse(word, nil)
		if err != nil {
			t.Fatal(err)
		}
		q.Limit = 1000
		hits, err := s.SearchArchive(ctx, q)
		want := 1
		if word == "financovani" {
			want = n
		}
		if err != nil || len(hits) != want {
			t.Errorf("search %s after compaction: %d hits, %v; want %d", word, len(hits), err, want)
		}
	}
}
