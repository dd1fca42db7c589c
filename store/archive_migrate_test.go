package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"coordbot/store"
)

// TestMigration9RebuildsArchiveKeepingEverything fills an archive at schema
// 8 (kind, action and action_state after the large columns), migrates it,
// and checks that migration 0009 kept every message, attachment and index
// entry (foreign keys are off while it drops the old table: with them on,
// the attachments would be deleted by ON DELETE CASCADE), that foreign keys
// are on again and still cascade, and that reading the kind of every
// message no longer reads their raw bytes.
func TestMigration9RebuildsArchiveKeepingEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coordbot.db")
	s, err := store.OpenNoMigrate(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MigrateTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	g := mustGroup(t, s, "pracovni-skupina")
	meeting := mustMeeting(t, s, g, t0)
	const n = 40
	var want []*store.ArchiveMessage
	var rawBytes int
	for i := range n {
		body := fmt.Sprintf("Zápis č. %d. Projednáno financování služeb ve věznicích.", i)
		// 20 KB of raw bytes: the row's overflow pages.
		raw := []byte(fmt.Sprintf("Subject: Zápis %d\r\n\r\n%s\r\n%s", i, body, strings.Repeat("x", 20<<10)))
		sum := sha256.Sum256(raw)
		m := &store.ArchiveMessage{MessageID: fmt.Sprintf("zapis-%d@obec.cz", i), ContentHash: hex.EncodeToString(sum[:]),
			FromAddr: "jana@obec.cz", FromName: "Jana Nováková", Subject: fmt.Sprintf("Zápis %d", i), BodyText: body,
			Raw: raw, Sent: t0.Add(-24 * time.Hour), Source: "test"}
		switch {
		case i%10 == 9:
			m.State, m.Reason = store.ArchiveQuarantined, "sender not allowed"
		case i%10 == 8:
			m.Kind, m.Action = store.ArchiveReply, `{"answer":"yes"}`
		default:
			m.MeetingID, m.GroupID = meeting.ID, g.ID
		}
		if i%2 == 0 {
			m.Attachments = []*store.Attachment{
				{Filename: fmt.Sprintf("zápis-%d.docx", i), Content: bytes.Repeat([]byte{byte(i)}, 5000), SHA256: "a",
					Text: fmt.Sprintf("Harmonogram %d", i)},
				{Filename: "prezenční listina.pdf", Content: []byte("%PDF"), SHA256: "b", TextError: "no text"},
			}
		}
		if _, err := s.AddArchiveMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		want = append(want, m)
		rawBytes += len(raw)
	}
	before := kindReadBytes(t, path)
	s.Close()

	s, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatalf("migrate from 8: %v", err)
	}
	defer s.Close()
	if v, _ := s.Version(ctx); v != store.SchemaVersion() || v < 9 {
		t.Fatalf("version %d after migrating, want %d", v, store.SchemaVersion())
	}

	for _, m := range want {
		got, err := s.ArchiveMessageByID(ctx, m.ID)
		if err != nil {
			t.Fatalf("message %d after the migration: %v", m.ID, err)
		}
		if !bytes.Equal(got.Raw, m.Raw) || got.BodyText != m.BodyText || got.Subject != m.Subject ||
			got.MessageID != m.MessageID || got.ContentHash != m.ContentHash || got.State != m.State ||
			got.Reason != m.Reason || got.Kind != m.Kind || got.Action != m.Action || got.ActionState != m.ActionState ||
			got.MeetingID != m.MeetingID || got.GroupID != m.GroupID || !got.Sent.Equal(m.Sent) || got.Size != m.Size {
			t.Errorf("message %d changed:\n got %+v\nwant %+v", m.ID, got, m)
		}
		if len(got.Attachments) != len(m.Attachments) {
			t.Fatalf("message %d: %d attachments after the migration, want %d", m.ID, len(got.Attachments), len(m.Attachments))
		}
		for i, a := range got.Attachments {
			w := m.Attachments[i]
			if a.ID != w.ID || a.Filename != w.Filename || !bytes.Equal(a.Content, w.Content) || a.Text != w.Text ||
				a.TextError != w.TextError {
				t.Errorf("message %d attachment %d changed: %+v, want %+v", m.ID, i, a, w)
			}
		}
	}
	// The full-text index still points at the messages: a word of the
	// body, one of an attachment's text, the kind filter.
	hits, err := s.SearchArchive(ctx, store.SearchQuery{Text: "veznicich", Limit: 100})
	if err != nil || len(hits) != n-n/10*2 {
		t.Errorf("search after the migration: %d hits, %v; want the %d archived minutes", len(hits), err, n-n/10*2)
	}
	hits, err = s.SearchArchive(ctx, store.SearchQuery{Text: "harmonogram 4"})
	if err != nil || len(hits) != 1 || hits[0].ID != want[4].ID || len(hits[0].Attachments) != 2 ||
		!strings.Contains(hits[0].Snippet, "[Harmonogram]") {
		t.Errorf("attachment text after the migration: %+v, %v", hits, err)
	}
	if hits, err := s.SearchArchive(ctx, store.SearchQuery{Text: "financovani", Kind: store.ArchiveReply}); err != nil ||
		len(hits) != n/10 || hits[0].Kind != store.ArchiveReply {
		t.Errorf("replies after the migration: %+v, %v", hits, err)
	}
	if pending, err := s.PendingMailActions(ctx); err != nil || len(pending) != n/10 {
		t.Errorf("%d pending actions after the migration, %v; want %d", len(pending), err, n/10)
	}

	db := openRaw(t, path)
	var broken int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pragma_foreign_key_check").Scan(&broken); err != nil || broken != 0 {
		t.Errorf("foreign_key_check: %d rows, %v", broken, err)
	}
	// The large columns last again.
	cid := map[string]int{}
	rows, err := db.QueryContext(ctx, "SELECT cid, name FROM pragma_table_info('archive_messages')")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c int
		var name string
		if err := rows.Scan(&c, &name); err != nil {
			t.Fatal(err)
		}
		cid[name] = c
	}
	rows.Close()
	for _, small := range []string{"kind", "action", "action_state", "state", "meeting_id"} {
		if cid[small] > cid["body_text"] || cid["body_text"] > cid["raw"] {
			t.Errorf("column %s is number %d, body_text %d, raw %d: want the large columns last", small, cid[small],
				cid["body_text"], cid["raw"])
		}
	}
	for _, index := range []string{"archive_messages_meeting", "archive_messages_sent", "archive_messages_action_pending",
		"archive_messages_kind", "archive_messages_date"} {
		var found int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ? AND tbl_name = 'archive_messages'",
			index).Scan(&found); err != nil || found != 1 {
			t.Errorf("index %s: %d, %v", index, found, err)
		}
	}
	db.Close()

	// Reading every message's kind read their raw bytes before (kind came
	// after them); now it reads a page or so a message.
	if before >= 0 {
		after := kindReadBytes(t, path)
		t.Logf("bytes read for the kind of %d messages of %d raw bytes: %d before, %d after the migration", n, rawBytes, before, after)
		if before < int64(rawBytes) || after > int64(rawBytes)/4 {
			t.Errorf("reading the kinds read %d bytes before and %d after the migration; want more than the %d raw bytes before, under a quarter of them after",
				before, after, rawBytes)
		}
	}

	// Foreign keys are on again for the store's writer, and the
	// attachments still belong to the rebuilt table: a missing message is
	// refused, deleting a message deletes its attachments.
	if err := s.ExecForTest(ctx, `INSERT INTO archive_attachments (message_id, position, size, sha256, content)
		VALUES (999999, 1, 0, 'x', x'')`); err == nil {
		t.Error("an attachment of a missing message was stored: foreign keys are off")
	}
	if err := s.ExecForTest(ctx, `DELETE FROM archive_messages WHERE id = ?`, want[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Attachment(ctx, want[0].Attachments[0].ID); err == nil {
		t.Error("deleting a message left its attachment")
	}
}

// openRaw opens the database file read-only beside the store, with a cold
// page cache.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

// kindReadBytes is how many bytes this process read from files while a
// fresh connection read the kind of every stored message from the table
// (not its index), or -1 where /proc/self/io does not tell.
func kindReadBytes(t *testing.T, path string) int64 {
	t.Helper()
	db := openRaw(t, path)
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	start := readChars()
	var minutes int
	if err := db.QueryRow(`SELECT count(*) FROM archive_messages NOT INDEXED WHERE kind = 'minutes'`).Scan(&minutes); err != nil {
		t.Fatal(err)
	}
	end := readChars()
	if start < 0 || end < 0 {
		return -1
	}
	return end - start
}

// readChars is rchar of /proc/self/io: bytes the process read, or -1.
func readChars() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}
