package mail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"coordbot/store"
)

// bigMsg is a message of at least n bytes from an allowed sender.
func bigMsg(id string, n int) []byte {
	m := msg("koordinator@kr-ustecky.example", "a@x", "Velka priloha "+id, "Thu, 25 Mar 2027 14:00:00 +0100", id)
	line := strings.Repeat("x", 76) + "\r\n"
	var b bytes.Buffer
	b.Write(m)
	for b.Len() < n {
		b.WriteString(line)
	}
	return b.Bytes()
}

// TestImportOversizedKeepsRawBytes: a message over MaxMessageSize, from an
// .eml or an mbox, is quarantined with its header in the database and its
// whole raw bytes in a file of the spool directory named by their SHA-256,
// mode 0600; the reason says where.
func TestImportOversizedKeepsRawBytes(t *testing.T) {
	f := newPipeFixture(t) // MaxMessageSize 64 KiB
	ctx := context.Background()
	dir := t.TempDir()
	spool := filepath.Join(t.TempDir(), "coordbot.db.d", "quarantine")
	eml := bigMsg("big-eml@x", 200<<10)
	writeFile(t, filepath.Join(dir, "big.eml"), eml)
	mboxed := bigMsg("big-mbox@x", 100<<10)
	small := msg("koordinator@kr-ustecky.example", "a@x", "Small", "Thu, 25 Mar 2027 14:00:00 +0100", "small@x")
	var mbox bytes.Buffer
	for _, m := range [][]byte{mboxed, small} {
		mbox.WriteString("From MAILER-DAEMON Thu Mar 25 14:00:00 2027\n")
		mbox.Write(m)
		mbox.WriteString("\n")
	}
	writeFile(t, filepath.Join(dir, "archiv.mbox"), mbox.Bytes())

	im := NewImporter(f.p, slog.New(slog.NewTextHandler(io.Discard, nil)))
	im.MaxMessageSize = f.p.MaxMessageSize
	im.SpoolDir = spool
	sum, err := im.Import(ctx, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 1, Quarantined: 2}); sum != want {
		t.Errorf("summary %v, want %v", sum, want)
	}
	for _, want := range [][]byte{eml, mboxed} {
		sum := sha256.Sum256(want)
		path := filepath.Join(spool, hex.EncodeToString(sum[:])+".eml")
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("raw bytes not kept: %v", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s holds %d bytes, want the %d of the message", path, len(got), len(want))
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", path, fi.Mode())
		}
		id := "big-mbox@x"
		if bytes.Equal(want, eml) {
			id = "big-eml@x"
		}
		ref, err := f.s.FindArchiveMessage(ctx, id, "")
		if err != nil || ref == nil || ref.State != store.ArchiveQuarantined {
			t.Fatalf("%s not quarantined: %+v %v", id, ref, err)
		}
		if !strings.Contains(ref.Reason, "kept at "+path) || strings.Contains(ref.Reason, "mailbox") {
			t.Errorf("reason %q does not say the message is kept at %s", ref.Reason, path)
		}
	}
	if entries, _ := os.ReadDir(spool); len(entries) != 2 {
		t.Errorf("spool holds %d files, want 2", len(entries))
	}
	// Importing again finds duplicates and keeps the same two files.
	again, err := im.Import(ctx, []string{dir})
	if err != nil || again != (Summary{Duplicates: 3}) {
		t.Errorf("second import %v %v", again, err)
	}
	if entries, _ := os.ReadDir(spool); len(entries) != 2 {
		t.Errorf("spool holds %d files after a second import, want 2", len(entries))
	}
}

// TestOversizedReasonByOrigin: the reason of an oversized message says
// where its whole bytes are: in the IMAP quarantine mailbox, in a file, or
// nowhere.
func TestOversizedReasonByOrigin(t *testing.T) {
	f := newPipeFixture(t)
	header := []byte("From: koordinator@kr-ustecky.example\r\nSubject: Big\r\n\r\n")
	for _, tc := range []struct {
		name string
		in   Incoming
		want string
	}{
		{"imap", Incoming{Raw: header, Size: 1 << 20, Source: "imap:INBOX/7", QuarantineMailbox: "Karantena"}, `stays in the quarantine mailbox "Karantena"`},
		{"file", Incoming{Raw: header, Size: 1 << 20, Source: "/x/big.eml", RawFile: "/db.d/quarantine/ab.eml"}, "kept at /db.d/quarantine/ab.eml"},
		{"nowhere", Incoming{Raw: header, Size: 1 << 20, Source: "/x/big2.eml"}, "the rest was not kept"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Raw = append(bytes.Clone(header), tc.name...) // distinct bytes, no duplicate
			out, err := f.p.File(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Disposition != Quarantined || !strings.Contains(out.Reason, tc.want) {
				t.Errorf("outcome %+v, want a reason with %q", out, tc.want)
			}
		})
	}
}
