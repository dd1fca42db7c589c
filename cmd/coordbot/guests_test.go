package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMeetingAttendedRecordsGuests writes up a past meeting with a member
// and two guests who are not members; meeting show lists the guests, and
// a guest without a name is refused before anything is written.
func TestMeetingAttendedRecordsGuests(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", groupsTOML)
	for _, args := range [][]string{
		{"member", "add", "-group", "pracovni-skupina", "-email", "jana@usti.example", "-name", "Jana Nováková"},
		{"meeting", "add", "-past", "-group", "pracovni-skupina", "-title", "Kulatý stůl k primární prevenci", "-start", "2. 11. 2022 10:00"},
	} {
		if r := runCLI(t, dir, nil, args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	if r := runCLI(t, dir, nil, "meeting", "attended", "1", "jana@usti.example", "-guest", "=Policie"); r.code != exitUsage ||
		!strings.Contains(r.stderr, "needs a name") {
		t.Errorf("nameless guest: %+v", r)
	}
	r := runCLI(t, dir, nil, "meeting", "attended", "1", "jana@usti.example",
		"-guest", "Mgr. Pavel Hrubý=Krajské ředitelství policie Ústeckého kraje", "-guest", "Ing. Lucie Bílá")
	if r.code != 0 || !strings.Contains(r.stdout, "1 of 1 came, 2 guests") {
		t.Fatalf("attended: %+v", r)
	}
	r = runCLI(t, dir, nil, "meeting", "show", "1", "-json")
	var v struct {
		Status string `json:"status"`
		Guests []struct {
			Name, Organisation string
		} `json:"guests"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if v.Status != "held" || len(v.Guests) != 2 || v.Guests[1].Name != "Mgr. Pavel Hrubý" ||
		v.Guests[1].Organisation != "Krajské ředitelství policie Ústeckého kraje" || v.Guests[0].Organisation != "" {
		t.Errorf("show: %+v", v)
	}
}
