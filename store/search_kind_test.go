package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"coordbot/store"
)

// TestSearchArchiveKinds stores minutes, an e-mail answer and a bounce that
// all hold the same word: a plain search finds the minutes only, Kind
// selects the others, and ArchiveAnyKind finds all three, with and without
// words to match.
func TestSearchArchiveKinds(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenStore(t)
	sent := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	ids := map[string]int64{}
	for i, kind := range []string{store.ArchiveMinutes, store.ArchiveReply, store.ArchiveBounce} {
		m := &store.ArchiveMessage{MessageID: fmt.Sprintf("%s@obec.cz", kind), ContentHash: fmt.Sprintf("hash-%d", i),
			FromAddr: "jana@obec.cz", Subject: "Re: Jednání o věznicích", BodyText: "Přijdu. Věznice " + kind,
			Sent: sent.Add(time.Duration(i) * time.Hour), Received: sent, Raw: []byte(kind),
			State: store.ArchiveArchived, Source: "test", Kind: kind}
		if _, err := s.AddArchiveMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids[kind] = m.ID
	}
	for _, text := range []string{"věznice", ""} {
		for _, tt := range []struct {
			kind string
			want []string // kinds found
		}{
			{"", []string{store.ArchiveMinutes}},
			{store.ArchiveMinutes, []string{store.ArchiveMinutes}},
			{store.ArchiveReply, []string{store.ArchiveReply}},
			{store.ArchiveBounce, []string{store.ArchiveBounce}},
			{store.ArchiveAnyKind, []string{store.ArchiveMinutes, store.ArchiveReply, store.ArchiveBounce}},
		} {
			t.Run(fmt.Sprintf("text %q kind %q", text, tt.kind), func(t *testing.T) {
				hits, err := s.SearchArchive(ctx, store.SearchQuery{Text: text, Kind: tt.kind})
				if err != nil {
					t.Fatal(err)
				}
				found := map[int64]string{}
				for _, h := range hits {
					found[h.ID] = h.Kind
				}
				if len(found) != len(tt.want) {
					t.Errorf("found %v, want kinds %v", found, tt.want)
				}
				for _, k := range tt.want {
					if found[ids[k]] != k {
						t.Errorf("message %d of kind %s: found as %q, want it found with its kind (hits %v)", ids[k], k, found[ids[k]], found)
					}
				}
			})
		}
	}
}
