package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestLargeImportCompactsTheIndex: an import that files compactAfter
// messages or more merges the full-text index's segments at its end (and
// says so in the log); a small one leaves that to the nightly optimize.
func TestLargeImportCompactsTheIndex(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML+mailTOML)
	env := map[string]string{"COORDBOT_IMAP_PASSWORD": "heslo"}
	mbox := func(from, n int) string {
		var b strings.Builder
		for i := from; i < from+n; i++ {
			fmt.Fprintf(&b, "From - Thu Mar 25 14:00:00 2027\nFrom: koordinatorka@kr-ustecky.example\nSubject: Zapis %d\n"+
				"Message-ID: <z%d@kr-ustecky.example>\nDate: Thu, 25 Mar 2027 14:00:00 +0100\n\nFinancovani sluzeb, slovo%d.\n\n", i, i, i)
		}
		return b.String()
	}
	writeFile(t, dir, "small.mbox", mbox(0, 3))
	r := runCLI(t, dir, env, "import", "small.mbox")
	if r.code != 0 || strings.Contains(r.stderr, "index compacted") {
		t.Fatalf("small import: %+v", r)
	}
	writeFile(t, dir, "large.mbox", mbox(3, compactAfter))
	r = runCLI(t, dir, env, "import", "large.mbox")
	if r.code != 0 || r.stdout != fmt.Sprintf("archived %d, duplicates 0, quarantined 0, failed 0\n", compactAfter) {
		t.Fatalf("large import: %+v", r)
	}
	if !strings.Contains(r.stderr, "full-text index compacted") {
		t.Errorf("a large import did not compact the index: %s", r.stderr)
	}
	out := runCLI(t, dir, env, "search", "slovo0")
	if out.code != 0 || !strings.Contains(out.stdout, "Zapis 0") {
		t.Errorf("search after compaction: %+v", out)
	}
}
