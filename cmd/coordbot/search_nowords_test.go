package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coordbot/store"
)

// TestSearchWithoutWords: punctuation or emoji alone is refused like an
// empty query instead of listing the whole archive, and a decomposed (NFD)
// query finds what the composed one finds.
func TestSearchWithoutWords(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML)
	if r := runCLI(t, dir, nil, "migrate"); r.code != 0 {
		t.Fatal(r)
	}
	s, err := store.Open(context.Background(), filepath.Join(dir, "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := &store.ArchiveMessage{MessageID: "zapis@x", ContentHash: "h", FromAddr: "jana@example.cz",
		Subject: "Zápis", BodyText: "Primární prevence ve věznicích.", Raw: []byte("x"),
		Sent: time.Date(2027, 3, 24, 8, 30, 0, 0, time.UTC)}
	if _, err := s.AddArchiveMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, q := range []string{"'😀'", "*", "(", `"`, ":"} {
		r := runCLI(t, dir, nil, "search", q)
		if r.code != exitUsage || !strings.Contains(r.stderr, "no words to look for") || r.stdout != "" {
			t.Errorf("search %s: %+v, want exit 2 and no words to look for", q, r)
		}
	}
	r := runCLI(t, dir, nil, "search", "ve\u030cznici\u0301ch")
	if r.code != 0 || !strings.Contains(r.stdout, "Zápis") {
		t.Errorf("NFD search: %+v", r)
	}
}
