package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"coordbot/store"
)

// webArchive stores, in two groups, minutes filed under a meeting, an
// unfiled message of each group, one of no group and a quarantined one, all
// holding the word "věznice"; it returns their ids by name.
func webArchive(t *testing.T, s *store.Store) (g1, g2 *store.Group, ids map[string]int64) {
	t.Helper()
	ctx := context.Background()
	g1, g2 = mustGroup(t, s, "prvni"), mustGroup(t, s, "druha")
	m1 := mustMeeting(t, s, g1, time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC))
	m2 := mustMeeting(t, s, g2, time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC))
	ids = map[string]int64{}
	sent := time.Date(2027, 3, 3, 10, 0, 0, 0, time.UTC)
	add := func(name string, group, meeting int64, state string, files ...string) {
		m := &store.ArchiveMessage{MessageID: name + "@obec.cz", ContentHash: "hash-" + name, FromAddr: "jana@obec.cz",
			Subject: "Zápis " + name, BodyText: "Jednání o věznicích " + name, Sent: sent.Add(time.Duration(len(ids)) * time.Hour),
			Raw: []byte("Subject: Zápis " + name + "\r\n\r\nbody"), GroupID: group, MeetingID: meeting, State: state, Source: "test"}
		if state == store.ArchiveQuarantined {
			m.Reason = "unknown sender"
		}
		for _, f := range files {
			m.Attachments = append(m.Attachments, &store.Attachment{Filename: f, MediaType: "text/plain", Content: []byte("obsah " + f)})
		}
		if _, err := s.AddArchiveMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids[name] = m.ID
	}
	add("filed1", g1.ID, m1.ID, store.ArchiveArchived, "a.txt", "b.txt")
	add("filed2", g2.ID, m2.ID, store.ArchiveArchived, "c.txt")
	add("unfiled1", g1.ID, 0, store.ArchiveArchived)
	add("unfiled2", g2.ID, 0, store.ArchiveArchived)
	add("nogroup", 0, 0, store.ArchiveArchived)
	add("quarantined", 0, 0, store.ArchiveQuarantined)
	return g1, g2, ids
}

// TestSearchArchiveScope: GroupIDs with FiledOnly finds a member's groups'
// filed minutes only; UnfiledGroupIDs adds a coordinator's unfiled mail
// and mail of no group, never another group's unfiled mail; an empty
// GroupIDs finds nothing; with and without words.
func TestSearchArchiveScope(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenStore(t)
	g1, g2, ids := webArchive(t, s)
	for _, text := range []string{"veznicich", ""} {
		for _, tt := range []struct {
			name string
			q    store.SearchQuery
			want []string
		}{
			{"member of the first group", store.SearchQuery{GroupIDs: []int64{g1.ID}, FiledOnly: true}, []string{"filed1"}},
			{"member of both", store.SearchQuery{GroupIDs: []int64{g1.ID, g2.ID}, FiledOnly: true}, []string{"filed1", "filed2"}},
			{"coordinator of the first", store.SearchQuery{GroupIDs: []int64{g1.ID, g2.ID}, FiledOnly: true, UnfiledGroupIDs: []int64{g1.ID}},
				[]string{"filed1", "filed2", "unfiled1", "nogroup"}},
			{"coordinator of none", store.SearchQuery{GroupIDs: []int64{g1.ID}, FiledOnly: true, UnfiledGroupIDs: []int64{}},
				[]string{"filed1", "nogroup"}},
			{"no groups", store.SearchQuery{GroupIDs: []int64{}, FiledOnly: true}, nil},
			{"unscoped", store.SearchQuery{}, []string{"filed1", "filed2", "unfiled1", "unfiled2", "nogroup"}},
		} {
			t.Run(fmt.Sprintf("%s %q", tt.name, text), func(t *testing.T) {
				tt.q.Text = text
				hits, err := s.SearchArchive(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range hits {
					for name, id := range ids {
						if h.ID == id {
							got = append(got, name)
						}
					}
				}
				slices.Sort(got)
				want := slices.Clone(tt.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("found %v, want %v", got, want)
				}
			})
		}
	}
}

// TestSearchArchivePagingAndAttachments: Offset pages through the hits
// without repeating one, and every hit carries its own attachment names
// (read in one query for the page).
func TestSearchArchivePagingAndAttachments(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenStore(t)
	_, _, ids := webArchive(t, s)
	seen := map[int64]bool{}
	for page := 0; page < 3; page++ {
		hits, err := s.SearchArchive(ctx, store.SearchQuery{Text: "věznicích", Limit: 2, Offset: page * 2})
		if err != nil {
			t.Fatal(err)
		}
		want := 2
		if page == 2 {
			want = 1
		}
		if len(hits) != want {
			t.Fatalf("page %d: %d hits, want %d", page, len(hits), want)
		}
		for _, h := range hits {
			if seen[h.ID] {
				t.Errorf("page %d repeats message %d", page, h.ID)
			}
			seen[h.ID] = true
			wantNames := map[int64][]string{ids["filed1"]: {"a.txt", "b.txt"}, ids["filed2"]: {"c.txt"}}[h.ID]
			if wantNames == nil {
				wantNames = []string{}
			}
			if !slices.Equal(h.Attachments, wantNames) {
				t.Errorf("message %d: attachments %q, want %q", h.ID, h.Attachments, wantNames)
			}
		}
	}
}

// TestArchiveMessageHeadAndAttachment: the head has the columns, the raw
// header and the attachments without content; Attachment returns one
// file's bytes; GroupsOrNone lists a coordinator's unfiled and
// quarantined mail and not another group's.
func TestArchiveMessageHeadAndAttachment(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenStore(t)
	g1, _, ids := webArchive(t, s)
	m, err := s.ArchiveMessageHead(ctx, ids["filed1"])
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Zápis filed1" || !strings.HasPrefix(string(m.Raw), "Subject: Zápis filed1") || len(m.Attachments) != 2 {
		t.Fatalf("head = %q, raw %q, %d attachments", m.Subject, m.Raw, len(m.Attachments))
	}
	if m.Attachments[1].Filename != "b.txt" || m.Attachments[1].Content != nil || m.Attachments[1].Size != int64(len("obsah b.txt")) {
		t.Errorf("attachment 2 = %+v, want b.txt without content", m.Attachments[1])
	}
	a, err := s.Attachment(ctx, m.Attachments[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Content) != "obsah b.txt" || a.MessageID != m.ID || a.MediaType != "text/plain" {
		t.Errorf("attachment = %q of %d (%s)", a.Content, a.MessageID, a.MediaType)
	}
	if _, err := s.Attachment(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown attachment: %v, want ErrNotFound", err)
	}
	if _, err := s.ArchiveMessageHead(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown message: %v, want ErrNotFound", err)
	}
	list, err := s.ArchiveMessages(ctx, store.ArchiveFilter{Unfiled: true, GroupsOrNone: []int64{g1.ID}})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, m := range list {
		got = append(got, m.ID)
	}
	slices.Sort(got)
	if want := []int64{ids["unfiled1"], ids["nogroup"]}; !slices.Equal(got, want) {
		t.Errorf("unfiled of group 1 = %v, want %v", got, want)
	}
	light, err := s.ArchiveMessages(ctx, store.ArchiveFilter{MeetingID: m.MeetingID, WithoutBody: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(light) != 1 || light[0].BodyText != "" || light[0].Subject != "Zápis filed1" || len(light[0].Attachments) != 2 {
		t.Errorf("list without bodies = %+v", light)
	}
	q, err := s.ArchiveMessages(ctx, store.ArchiveFilter{State: store.ArchiveQuarantined, GroupsOrNone: []int64{g1.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].ID != ids["quarantined"] {
		t.Errorf("quarantined = %v, want the one message", q)
	}
}
