package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"coordbot/store"
)

// TestSearchArchiveNewestFirst stores 600 messages with dates in random
// order (some without a Date header: their time of arrival counts), of
// several kinds, groups and senders, some with attachments, and checks
// that every search lists exactly the messages it should, newest first
// (equal dates: the higher id first), page after page: for a word in
// nearly all of them (SearchArchive walks the date index), a word in a
// few (it sorts those) and no word, each with each filter.
func TestSearchArchiveNewestFirst(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenStore(t)
	g1, g2 := mustGroup(t, s, "prvni"), mustGroup(t, s, "druha")
	meeting := mustMeeting(t, s, g1, t0)
	rng := rand.New(rand.NewPCG(3, 4))
	type msg struct {
		m      *store.ArchiveMessage
		when   time.Time
		common bool // has the word in nearly all
		rare   bool
	}
	var all []msg
	var batch []*store.ArchiveMessage
	const n = 600
	for i := range n {
		sent := t0.Add(-time.Duration(rng.IntN(5000)) * time.Hour)
		m := &store.ArchiveMessage{MessageID: fmt.Sprintf("m%d@obec.cz", i), ContentHash: fmt.Sprintf("hash-%d", i),
			FromAddr: []string{"jana@obec.cz", "petr@kraj.cz"}[i%2], FromName: []string{"Jana Nováková", "Petr Černý"}[i%2],
			Subject: fmt.Sprintf("Zápis %d", i), Raw: []byte(fmt.Sprintf("raw %d", i)), Sent: sent,
			Received: t0.Add(time.Duration(i) * time.Minute), Source: "test"}
		x := msg{m: m, when: sent, common: i%50 != 7, rare: i%60 == 1}
		if i%23 == 0 {
			m.Sent, x.when = time.Time{}, m.Received // no Date header
		}
		if i%17 == 0 {
			x.when = sent.Truncate(1000 * time.Hour) // equal dates: by id
			m.Sent = x.when
		}
		var words []string
		if x.common {
			words = append(words, "financování")
		}
		if x.rare {
			words = append(words, "kanabidiolu")
		}
		m.BodyText = "Zápis z jednání. " + strings.Join(words, " ") + "."
		switch i % 5 {
		case 0:
			m.Kind = store.ArchiveReply
		case 1:
			m.GroupID = g2.ID
		case 2:
			m.GroupID, m.MeetingID = g1.ID, meeting.ID
		}
		if i%3 == 0 {
			m.Attachments = []*store.Attachment{{Filename: "zápis.docx", Content: []byte("x"), SHA256: "x"}}
		}
		if i%31 == 0 {
			m.State, m.Reason = store.ArchiveQuarantined, "unknown sender"
		}
		all = append(all, x)
		batch = append(batch, m)
	}
	if _, err := s.AddArchiveMessages(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// What each search should find, in order.
	slices.SortFunc(all, func(a, b msg) int {
		if c := b.when.Compare(a.when); c != 0 {
			return c
		}
		return int(b.m.ID - a.m.ID)
	})
	after, before := t0.Add(-3000*time.Hour), t0.Add(-1000*time.Hour)
	for _, text := range []string{"financovani", "kanabidiolu", ""} {
		for _, f := range []struct {
			name string
			q    store.SearchQuery
			keep func(m *store.ArchiveMessage, when time.Time) bool
		}{
			{"minutes", store.SearchQuery{}, func(m *store.ArchiveMessage, _ time.Time) bool { return m.Kind == store.ArchiveMinutes }},
			{"replies", store.SearchQuery{Kind: store.ArchiveReply}, func(m *store.ArchiveMessage, _ time.Time) bool {
				return m.Kind == store.ArchiveReply
			}},
			{"any kind", store.SearchQuery{Kind: store.ArchiveAnyKind}, func(*store.ArchiveMessage, time.Time) bool { return true }},
			{"group", store.SearchQuery{GroupID: g2.ID}, func(m *store.ArchiveMessage, _ time.Time) bool {
				return m.Kind == store.ArchiveMinutes && m.GroupID == g2.ID
			}},
			{"member's scope", store.SearchQuery{GroupIDs: []int64{g1.ID}, FiledOnly: true}, func(m *store.ArchiveMessage, _ time.Time) bool {
				return m.Kind == store.ArchiveMinutes && m.GroupID == g1.ID && m.MeetingID != 0
			}},
			{"dates", store.SearchQuery{After: after, Before: before}, func(m *store.ArchiveMessage, when time.Time) bool {
				return m.Kind == store.ArchiveMinutes && !when.Before(after) && when.Before(before)
			}},
			{"attachment", store.SearchQuery{HasAttachment: true}, func(m *store.ArchiveMessage, _ time.Time) bool {
				return m.Kind == store.ArchiveMinutes && len(m.Attachments) > 0
			}},
			{"from", store.SearchQuery{From: "novakova"}, func(m *store.ArchiveMessage, _ time.Time) bool {
				return m.Kind == store.ArchiveMinutes && m.FromAddr == "jana@obec.cz"
			}},
		} {
			t.Run(fmt.Sprintf("%q %s", text, f.name), func(t *testing.T) {
				var want []int64
				for _, x := range all {
					if x.m.State == store.ArchiveArchived && f.keep(x.m, x.when) &&
						(text == "" || text == "financovani" && x.common || text == "kanabidiolu" && x.rare) {
						want = append(want, x.m.ID)
					}
				}
				for _, limit := range []int{7, 1000} {
					var got []int64
					for offset := 0; ; offset += limit {
						q := f.q
						q.Text, q.Limit, q.Offset = text, limit, offset
						hits, err := s.SearchArchive(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						for _, h := range hits {
							got = append(got, h.ID)
							if text != "" && !strings.Contains(h.Snippet, "[") {
								t.Errorf("hit %d: snippet %q marks no word", h.ID, h.Snippet)
							}
						}
						if len(hits) < limit {
							break
						}
					}
					if !slices.Equal(got, want) {
						t.Errorf("pages of %d: found %d messages %v,\nwant %d %v", limit, len(got), got, len(want), want)
					}
				}
			})
		}
	}
}
