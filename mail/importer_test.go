package mail

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// denyFS is the operating system's file system except that the paths in
// deny cannot be opened or listed: tests run as root, whom chmod 000 does
// not stop.
type denyFS struct {
	osFS
	deny map[string]bool
}

func (d denyFS) check(name string) error {
	if d.deny[filepath.Clean(name)] {
		return &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return nil
}

func (d denyFS) Open(name string) (fs.File, error) {
	if err := d.check(name); err != nil {
		return nil, err
	}
	return d.osFS.Open(name)
}

func (d denyFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := d.check(name); err != nil {
		return nil, err
	}
	return d.osFS.ReadDir(name)
}

// TestImportWalkSkipsAndCountsWhatItCannotRead: an unreadable directory or
// file under the walked one is logged, counted and skipped, and the rest
// is still imported; an extensionless mbox (how Thunderbird stores
// folders) is read; files that are not mail are counted as skipped.
func TestImportWalkSkipsAndCountsWhatItCannotRead(t *testing.T) {
	f := newPipeFixture(t)
	ctx := context.Background()
	date := "Thu, 25 Mar 2027 14:00:00 +0100"
	from := "koordinator@kr-ustecky.example"
	dir := filepath.Join(t.TempDir(), "walk")
	for _, sub := range []string{"a", "b", "c", "Thunderbird/Mail"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "a", "first.eml"), msg(from, "a@x", "First", date, "first@x"))
	writeFile(t, filepath.Join(dir, "b", "hidden.eml"), msg(from, "a@x", "Behind a locked door", date, "hidden@x"))
	writeFile(t, filepath.Join(dir, "c", "last.eml"), msg(from, "a@x", "Last", date, "last@x"))
	var mbox bytes.Buffer
	mbox.WriteString("From - Thu Mar 25 14:00:00 2027\n")
	mbox.Write(msg(from, "a@x", "Thunderbird", date, "tb@x"))
	writeFile(t, filepath.Join(dir, "Thunderbird/Mail", "Inbox"), mbox.Bytes())
	writeFile(t, filepath.Join(dir, "Thunderbird/Mail", "Inbox.msf"), []byte("// <!-- <mdb:mork:z v=\"1.4\"/> -->\n"))
	writeFile(t, filepath.Join(dir, "Thunderbird/Mail", "notes"), []byte("not mail\n"))
	writeFile(t, filepath.Join(dir, "c", "readme.txt"), []byte("not mail\n"))
	// A dangling symlink cannot be opened, even by root.
	if err := os.Symlink(filepath.Join(dir, "gone.eml"), filepath.Join(dir, "c", "dangling.eml")); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	im := NewImporter(f.p, slog.New(slog.NewTextHandler(&logs, nil)))
	im.fsys = denyFS{deny: map[string]bool{filepath.Join(dir, "b"): true}}
	sum, err := im.Import(ctx, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Archived: 3, Unreadable: 2, Skipped: 3}); sum != want {
		t.Errorf("summary %v, want %v", sum, want)
	}
	if got, want := sum.String(), "archived 3, duplicates 0, quarantined 0, failed 0, unreadable 2"; got != want {
		t.Errorf("summary line %q, want %q", got, want)
	}
	for _, id := range []string{"first@x", "last@x", "tb@x"} {
		if ref, err := f.s.FindArchiveMessage(ctx, id, ""); err != nil || ref == nil {
			t.Errorf("%s not imported: %v", id, err)
		}
	}
	out := logs.String()
	for _, want := range []string{filepath.Join(dir, "b"), "dangling.eml", "permission denied", "Inbox.msf", "readme.txt"} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not mention %q:\n%s", want, out)
		}
	}
}
