package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMeetingAddAmbiguousHour: 2:30 on the night the clocks go back
// happens twice in Prague; meeting add says which was taken, meeting edit
// too, and a zone after the time picks the other without a note.
func TestMeetingAddAmbiguousHour(t *testing.T) {
	dir := newCLIDir(t)
	out := mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Noční", "-start", "31. 10. 2027 2:30")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "note: ") || !strings.Contains(lines[1], "occurs twice") ||
		!strings.Contains(lines[1], "2:30 CET") {
		t.Errorf("meeting add printed %q, want the meeting and a note line", out)
	}
	out = mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Zimní", "-start", "31. 10. 2027 2:30 SEČ")
	if strings.Contains(out, "note:") {
		t.Errorf("an explicit zone still gets a note: %q", out)
	}
	out = mustRun(t, dir, "meeting", "edit", "1", "-start", "31. 10. 2027 2:45")
	if !strings.Contains(out, "\nnote: ") {
		t.Errorf("meeting edit printed %q, want a note line", out)
	}
	db := openReadOnly(t, filepath.Join(dir, "coordbot.db"))
	var first, second int64
	if err := db.QueryRow(`SELECT (SELECT starts_at FROM meetings WHERE id = 1), (SELECT starts_at FROM meetings WHERE id = 2)`).Scan(&first, &second); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2027, 10, 31, 0, 45, 0, 0, time.UTC).Unix(); first != want {
		t.Errorf("meeting 1 starts at %v, want summer time %v", time.Unix(first, 0).UTC(), time.Unix(want, 0).UTC())
	}
	if want := time.Date(2027, 10, 31, 1, 30, 0, 0, time.UTC).Unix(); second != want {
		t.Errorf("meeting 2 starts at %v, want winter time %v", time.Unix(second, 0).UTC(), time.Unix(want, 0).UTC())
	}
}
