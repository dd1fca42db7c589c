package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportDirectoryGoesOnPastWhatItCannotRead: importing a folder reads
// everything it can, an extensionless mbox (a Thunderbird folder)
// included, counts what it cannot read and what is not mail, and exits 1
// when something could not be read. (The test runs as root, whom chmod
// 000 does not stop, so the unreadable entry is a dangling symbolic link;
// mail's TestImportWalkSkipsAndCountsWhatItCannotRead covers a directory
// that cannot be listed.)
func TestImportDirectoryGoesOnPastWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML+mailTOML)
	env := map[string]string{"COORDBOT_IMAP_PASSWORD": "heslo"}
	walk := filepath.Join(dir, "walk")
	for _, sub := range []string{"a", "b", "c"} {
		if err := os.MkdirAll(filepath.Join(walk, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	mail := func(id string) string {
		return "From: koordinatorka@kr-ustecky.example\r\nSubject: Zapis " + id + "\r\nMessage-ID: <" + id +
			"@kr-ustecky.example>\r\nDate: Thu, 25 Mar 2027 14:00:00 +0100\r\n\r\nText.\r\n"
	}
	writeFile(t, filepath.Join(walk, "a"), "first.eml", mail("first"))
	if err := os.Symlink(filepath.Join(walk, "gone"), filepath.Join(walk, "b", "broken.eml")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(walk, "c"), "Inbox", "From - Thu Mar 25 14:00:00 2027\n"+mail("thunderbird"))
	writeFile(t, filepath.Join(walk, "c"), "Inbox.msf", "// <!-- <mdb:mork:z v=\"1.4\"/> -->\n")

	r := runCLI(t, dir, env, "import", walk)
	if r.code != exitError || r.stdout != "archived 2, duplicates 0, quarantined 0, failed 0, unreadable 1\n" {
		t.Fatalf("import: %+v", r)
	}
	if !strings.Contains(r.stderr, "broken.eml") || !strings.Contains(r.stderr, "1 files or folders could not be read") {
		t.Errorf("stderr does not name the unreadable file: %s", r.stderr)
	}
	if !strings.Contains(r.stderr, "Inbox.msf") || !strings.Contains(r.stderr, "skipped=1") {
		t.Errorf("stderr does not count and name the skipped file: %s", r.stderr)
	}
}

// TestImportKeepsOversizedMessageWhole: a message over
// mail.max_message_size is quarantined with its header in the database and
// its whole bytes in DB.d/quarantine/<sha256>.eml (mode 0600), and the
// reason says so.
func TestImportKeepsOversizedMessageWhole(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML+mailTOML+"max_message_size = 65536\n")
	env := map[string]string{"COORDBOT_IMAP_PASSWORD": "heslo"}
	big := "From: koordinatorka@kr-ustecky.example\r\nSubject: Velka priloha\r\nMessage-ID: <big@kr-ustecky.example>\r\n" +
		"Date: Thu, 25 Mar 2027 14:00:00 +0100\r\n\r\n" + strings.Repeat(strings.Repeat("x", 76)+"\r\n", 2000)
	writeFile(t, dir, "big.mbox", "From - Thu Mar 25 14:00:00 2027\n"+big+"\n")

	r := runCLI(t, dir, env, "import", "big.mbox")
	if r.code != 0 || r.stdout != "archived 0, duplicates 0, quarantined 1, failed 0\n" {
		t.Fatalf("import: %+v", r)
	}
	sum := sha256.Sum256([]byte(big))
	kept := filepath.Join(dir, "coordbot.db.d", "quarantine", hex.EncodeToString(sum[:])+".eml")
	got, err := os.ReadFile(kept)
	if err != nil || string(got) != big {
		t.Fatalf("whole message not kept at %s (%d bytes, %v)", kept, len(got), err)
	}
	if fi, _ := os.Stat(kept); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", kept, fi.Mode())
	}
	r = runCLI(t, dir, env, "minutes", "list", "-quarantined")
	if r.code != 0 || !strings.Contains(r.stdout, "kept at "+kept) || strings.Contains(r.stdout, "quarantine mailbox") {
		t.Errorf("quarantined list does not say where the message is kept: %+v", r)
	}
}
