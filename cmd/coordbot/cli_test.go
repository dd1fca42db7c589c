package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver of the read-only looks at the database
)

// The shell commands as a coordinator uses them, each through the real
// command line (runCLI, clock 25. 11. 2026 12:00 UTC) on a real database.

const cliGroup = "pracovni-skupina"

// openReadOnly opens a coordbot database read-only, to check what the
// commands wrote without going through the code under test.
func openReadOnly(t *testing.T, path string) *sql.DB {
	t.Helper()
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// countRows counts the rows of a query like "SELECT count(*) FROM ...".
func countRows(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// mustRun runs a command that must succeed and returns its stdout.
func mustRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := runCLI(t, dir, nil, args...)
	if r.code != exitOK {
		t.Fatalf("%v: exit %d\nstdout %q\nstderr %q", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// mustRefuse runs a command that must exit 2 naming want on stderr.
func mustRefuse(t *testing.T, dir, want string, args ...string) {
	t.Helper()
	r := runCLI(t, dir, nil, args...)
	if r.code != exitUsage || !strings.Contains(r.stderr, want) {
		t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", args, r.code, r.stderr, want)
	}
}

// cliMember is one element of `member list -json`, with the fields a
// script relies on.
type cliMember struct {
	Email        string   `json:"email"`
	Emails       []string `json:"emails"`
	Name         string   `json:"name"`
	Organisation string   `json:"organisation"`
	Role         string   `json:"role"`
	DiscordID    string   `json:"discord_id"`
}

// memberList runs `member list -json` and decodes the array, checking
// that every object carries the documented keys.
func memberList(t *testing.T, dir, group string) []cliMember {
	t.Helper()
	out := mustRun(t, dir, "member", "list", "-group", group, "-json")
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("member list -json is not a JSON array of objects: %v\n%s", err, out)
	}
	for i, obj := range raw {
		for _, k := range []string{"email", "name", "organisation", "role", "discord_id"} {
			if _, ok := obj[k].(string); !ok {
				t.Errorf("member %d: key %q is %v, want a string", i, k, obj[k])
			}
		}
		if r := obj["role"]; r != "member" && r != "coordinator" {
			t.Errorf("member %d: role %v, want member or coordinator", i, r)
		}
	}
	var list []cliMember
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	return list
}

func memberByName(list []cliMember, name string) *cliMember {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// cliTOML has the groups of groupsTOML, the first with a Discord channel:
// a group without one gets no outbox rows at all, so "nothing to send"
// would hold trivially.
const cliTOML = `
[[groups]]
slug = "pracovni-skupina"
name = "Pracovní skupina protidrogové politiky"
discord_channel_id = "5001"

[[groups]]
slug = "working-group"
name = "Working group"
locale = "en"
`

func newCLIDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "coordbot.toml", cliTOML)
	return dir
}

func TestMemberAddUpdatesTheSamePersonAndRemoves(t *testing.T) {
	dir := newCLIDir(t)
	out := mustRun(t, dir, "member", "add", "-group", cliGroup, "-email", "jana@obec.cz", "-name", "Mgr. Jana Nováková",
		"-organisation", "Městský úřad Šumperk", "-coordinator")
	if !strings.Contains(out, "added") || !strings.Contains(out, "coordinator of pracovni-skupina") {
		t.Errorf("first add: %q", out)
	}
	// The known address finds her; the second is added to hers.
	out = mustRun(t, dir, "member", "add", "-group", cliGroup, "-email", "jana@obec.cz,jana.novakova@sumperk.cz",
		"-organisation", "Městský úřad Šumperk, odbor sociálních věcí")
	if !strings.Contains(out, "updated") {
		t.Errorf("second add: %q", out)
	}
	// A Discord id finds a person too, under a new address.
	mustRun(t, dir, "member", "add", "-group", cliGroup, "-email", "petr@obec.cz", "-name", "Petr Svoboda",
		"-discord-id", "1203456789012345678")
	mustRun(t, dir, "member", "add", "-group", cliGroup, "-email", "petr.svoboda@olkraj.cz", "-discord-id", "1203456789012345678")

	list := memberList(t, dir, cliGroup)
	if len(list) != 2 {
		t.Fatalf("%d members, want 2 (updates must not duplicate): %+v", len(list), list)
	}
	// The addresses are listed sorted; email is the first of them.
	jana := memberByName(list, "Mgr. Jana Nováková")
	if jana == nil || jana.Organisation != "Městský úřad Šumperk, odbor sociálních věcí" || jana.DiscordID != "" ||
		strings.Join(jana.Emails, ",") != "jana.novakova@sumperk.cz,jana@obec.cz" || jana.Email != jana.Emails[0] {
		t.Errorf("jana = %+v", jana)
	} else if jana.Role != "coordinator" {
		t.Errorf("role %q: an update without -coordinator took the coordinator role away", jana.Role)
	}
	petr := memberByName(list, "Petr Svoboda")
	if petr == nil || petr.Role != "member" || petr.DiscordID != "1203456789012345678" ||
		strings.Join(petr.Emails, ",") != "petr.svoboda@olkraj.cz,petr@obec.cz" {
		t.Errorf("petr = %+v", petr)
	}

	out = mustRun(t, dir, "member", "list", "-group", cliGroup)
	if !strings.Contains(out, "Mgr. Jana Nováková") || !strings.Contains(out, "jana.novakova@sumperk.cz, jana@obec.cz") ||
		!strings.Contains(out, "2 members") {
		t.Errorf("member list:\n%s", out)
	}
	if out := mustRun(t, dir, "member", "list", "-group", "working-group"); !strings.Contains(out, "working-group has no members yet") {
		t.Errorf("member list of an empty group: %q", out)
	}
	if out := mustRun(t, dir, "member", "list", "-group", "working-group", "-json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("member list -json of an empty group: %q, want []", out)
	}

	mustRefuse(t, dir, "not a valid e-mail", "member", "add", "-group", cliGroup, "-email", "jana@", "-name", "X")
	mustRefuse(t, dir, "already belongs", "member", "add", "-group", cliGroup, "-email", "jana@obec.cz", "-discord-id", "1203456789012345678")

	out = mustRun(t, dir, "member", "remove", "-group", cliGroup, "jana@obec.cz")
	if !strings.Contains(out, "removed from pracovni-skupina: Mgr. Jana Nováková") {
		t.Errorf("remove: %q", out)
	}
	list = memberList(t, dir, cliGroup)
	if len(list) != 1 || list[0].Name != "Petr Svoboda" {
		t.Errorf("after remove: %+v", list)
	}
	mustRefuse(t, dir, "not a member", "member", "remove", "-group", cliGroup, "jana@obec.cz")
	mustRefuse(t, dir, "no member", "member", "remove", "-group", cliGroup, "nikdo@obec.cz")
}

func TestMemberImport(t *testing.T) {
	fixture := func(name string) string {
		p, err := filepath.Abs(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	utf8File, badFile, cp1250File := fixture("members-excel-utf8.csv"), fixture("members-bad.csv"), fixture("members-excel-cp1250.csv")

	t.Run("excel_utf8_then_again", func(t *testing.T) {
		dir := newCLIDir(t)
		out := mustRun(t, dir, "member", "import", "-group", cliGroup, utf8File)
		if !strings.HasSuffix(out, ": 16 added, 0 updated in pracovni-skupina\n") {
			t.Errorf("import: %q", out)
		}
		list := memberList(t, dir, cliGroup)
		if len(list) != 16 {
			t.Fatalf("%d members, want 16", len(list))
		}
		k := memberByName(list, "Mgr. Kateřina Procházková")
		if k == nil || k.Organisation != `Spolek "Most k naději", z. s.` || k.Role != "member" || k.DiscordID != "987654321098765432" {
			t.Errorf("quoted organisation: %+v", k)
		}
		if z := memberByName(list, "Ing. Zdeňka Horáková, Ph.D."); z == nil || z.Role != "coordinator" {
			t.Errorf("koordinátorka: %+v", z)
		}
		if p := memberByName(list, "Ing. Petr Svoboda"); p == nil || p.Email != "petr.svoboda@olkraj.cz" {
			t.Errorf("address not lower-cased: %+v", p)
		}
		// The same list again updates everyone and adds nobody.
		out = mustRun(t, dir, "member", "import", "-group", cliGroup, utf8File)
		if !strings.HasSuffix(out, ": 0 added, 16 updated in pracovni-skupina\n") {
			t.Errorf("second import: %q", out)
		}
		if n := len(memberList(t, dir, cliGroup)); n != 16 {
			t.Errorf("%d members after the second import, want 16", n)
		}

		// A bad list names its line and changes nothing.
		r := runCLI(t, dir, nil, "member", "import", "-group", cliGroup, badFile)
		if r.code != exitUsage || !strings.Contains(r.stderr, "members-bad.csv:7:") {
			t.Errorf("bad list: exit %d, stderr %q; want exit 2 naming line 7", r.code, r.stderr)
		}
		if n := len(memberList(t, dir, cliGroup)); n != 16 {
			t.Errorf("%d members after the bad list, want 16", n)
		}

		// A row the core refuses (her address, another person's Discord
		// id) is reported by its line, and the good row before it is not
		// imported either.
		conflict := writeFile(t, t.TempDir(), "conflict.csv", "name;organisation;email;discord_id\r\n"+
			"Hana Nová;Obec Bludov;hana@bludov.cz;\r\n"+
			"Mgr. Jana Nováková;Městský úřad Šumperk;jana.novakova@sumperk.cz;1203456789012345679\r\n")
		r = runCLI(t, dir, nil, "member", "import", "-group", cliGroup, conflict)
		if r.code != exitUsage || !strings.Contains(r.stderr, "conflict.csv:3:") || !strings.Contains(r.stderr, "nothing imported") {
			t.Errorf("conflicting row: exit %d, stderr %q; want exit 2 naming line 3", r.code, r.stderr)
		}
		list = memberList(t, dir, cliGroup)
		if len(list) != 16 || memberByName(list, "Hana Nová") != nil {
			t.Errorf("after a refused row: %d members, Hana %+v", len(list), memberByName(list, "Hana Nová"))
		}
	})

	t.Run("bad_list_in_a_fresh_database", func(t *testing.T) {
		dir := newCLIDir(t)
		mustRun(t, dir, "migrate")
		r := runCLI(t, dir, nil, "member", "import", "-group", cliGroup, badFile)
		if r.code != exitUsage || !strings.Contains(r.stderr, "members-bad.csv:7:") {
			t.Errorf("exit %d, stderr %q; want exit 2 naming line 7", r.code, r.stderr)
		}
		// Lines 2 and 3 are good; they are not imported either.
		if list := memberList(t, dir, cliGroup); len(list) != 0 {
			t.Errorf("%d members imported from a bad list: %+v", len(list), list)
		}
	})

	t.Run("excel_windows_1250", func(t *testing.T) {
		dir := newCLIDir(t)
		out := mustRun(t, dir, "member", "import", "-group", cliGroup, cp1250File)
		if !strings.Contains(out, "16 added") {
			t.Errorf("import: %q", out)
		}
		list := memberList(t, dir, cliGroup)
		if len(list) != 16 {
			t.Fatalf("%d members, want 16", len(list))
		}
		for name, org := range map[string]string{
			"Mgr. Jana Nováková":        "Městský úřad Šumperk",
			"Mgr. et Mgr. Štěpán Říha":  "Městský úřad Šumperk",
			"Pavel Růžička":             "Policie ČR, OOP Šumperk",
			"Bc. Markéta Šťastná":       "Městský úřad Jeseník",
			"Mgr. Kateřina Procházková": `Spolek "Most k naději", z. s.`,
		} {
			if m := memberByName(list, name); m == nil || m.Organisation != org {
				t.Errorf("%s: %+v, want organisation %q", name, m, org)
			}
		}
	})
}

// cliMeetingList returns the lines of `meeting list` with args.
func cliMeetingLines(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	out := mustRun(t, dir, append([]string{"meeting", "list"}, args...)...)
	return strings.Split(strings.TrimRight(out, "\n"), "\n")
}

func TestMeetingAddPastIsHeldWithNothingToSend(t *testing.T) {
	dir := newCLIDir(t)
	out := mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Jednání pracovní skupiny",
		"-start", "10. 11. 2026 10:00", "-past")
	if out != "meeting 1 recorded as held: Jednání pracovní skupiny, 10. 11. 2026 10:00 (pracovni-skupina)\n" {
		t.Errorf("add -past: %q", out)
	}
	db := openReadOnly(t, filepath.Join(dir, "coordbot.db"))
	var status string
	if err := db.QueryRow(`SELECT status FROM meetings WHERE id = 1`).Scan(&status); err != nil || status != "held" {
		t.Errorf("stored status %q, %v; want held", status, err)
	}
	if n := countRows(t, db, `SELECT count(*) FROM notifications WHERE meeting_id = 1`); n != 0 {
		t.Errorf("%d outbox rows for a meeting recorded as held, want none", n)
	}
	lines := cliMeetingLines(t, dir, "-all")
	if len(lines) != 2 || !strings.Contains(lines[1], "held") || !strings.Contains(lines[1], "Jednání pracovní skupiny") {
		t.Errorf("meeting list -all: want the header and one held meeting without pending messages:\n%s", strings.Join(lines, "\n"))
	}
	if lines := cliMeetingLines(t, dir); len(lines) != 1 || lines[0] != "no meetings" {
		t.Errorf("meeting list (upcoming): %q", lines)
	}

	// A planned meeting does list its pending messages, so the check above
	// would see them.
	mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Příští jednání", "-start", "15. 1. 2027 10:00")
	if lines := cliMeetingLines(t, dir, "-all"); len(lines) < 4 || !strings.Contains(strings.Join(lines[2:], "\n"), "pending") {
		t.Errorf("a planned meeting lists no pending messages:\n%s", strings.Join(lines, "\n"))
	}

	mustRefuse(t, dir, "in the past", "meeting", "add", "-group", cliGroup, "-title", "Bez -past", "-start", "10. 11. 2026 10:00")
	mustRefuse(t, dir, "has not come yet", "meeting", "add", "-group", cliGroup, "-title", "Budoucí", "-start", "10. 12. 2026 10:00", "-past")
	if n := countRows(t, db, `SELECT count(*) FROM meetings`); n != 2 {
		t.Errorf("%d meetings, want 2: a refused add stored one", n)
	}
}

// cliShow is `meeting show -json`.
type cliShow struct {
	ID     int64  `json:"id"`
	Group  string `json:"group"`
	Title  string `json:"title"`
	Start  string `json:"start"`
	Status string `json:"status"`
	Place  string `json:"place"`
	RSVPs  []struct {
		Email        string `json:"email"`
		Name         string `json:"name"`
		Organisation string `json:"organisation"`
		Answer       string `json:"answer"`
		Note         string `json:"note"`
		Substitute   string `json:"substitute"`
		Via          string `json:"via"`
	} `json:"rsvps"`
	Agenda []struct {
		ID    int64  `json:"id"`
		Title string `json:"title"`
		State string `json:"state"`
		By    string `json:"by"`
	} `json:"agenda"`
	Minutes []json.RawMessage `json:"minutes"`
}

// showMeeting runs `meeting show ID -json`, checks that it printed exactly
// one JSON object whose lists are arrays (never null), and decodes it.
func showMeeting(t *testing.T, dir, id string) cliShow {
	t.Helper()
	out := mustRun(t, dir, "meeting", "show", id, "-json")
	dec := json.NewDecoder(strings.NewReader(out))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("meeting show -json: %v\n%s", err, out)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Errorf("meeting show -json printed more than one object:\n%s", out)
	}
	for _, k := range []string{"rsvps", "agenda", "minutes"} {
		if v := obj[k]; len(v) == 0 || v[0] != '[' {
			t.Errorf("%s = %s, want an array", k, v)
		}
	}
	var v cliShow
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMeetingEdit(t *testing.T) {
	dir := newCLIDir(t)
	mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Jednání", "-start", "15. 1. 2027 10:00", "-place", "Krajský úřad")
	out := mustRun(t, dir, "meeting", "edit", "1", "-start", "22. 1. 2027 13:30", "-title", "Jednání o prevenci")
	if out != "meeting 1 changed: Jednání o prevenci, 22. 1. 2027 13:30\n" {
		t.Errorf("edit: %q", out)
	}
	v := showMeeting(t, dir, "1")
	if v.ID != 1 || v.Group != cliGroup || v.Title != "Jednání o prevenci" || v.Start != "2027-01-22T13:30:00+01:00" ||
		v.Status != "scheduled" || v.Place != "Krajský úřad" {
		t.Errorf("after edit: %+v", v)
	}
	if _, err := time.Parse(time.RFC3339, v.Start); err != nil {
		t.Errorf("start %q is not RFC 3339: %v", v.Start, err)
	}
	mustRefuse(t, dir, "in the past", "meeting", "edit", "1", "-start", "1. 11. 2026 10:00")
	mustRefuse(t, dir, "nothing to change", "meeting", "edit", "1")
	mustRefuse(t, dir, "no meeting 99", "meeting", "edit", "99", "-title", "x")
	mustRun(t, dir, "meeting", "cancel", "1")
	mustRefuse(t, dir, "already cancelled", "meeting", "edit", "1", "-title", "Po zrušení")
	if v := showMeeting(t, dir, "1"); v.Title != "Jednání o prevenci" || v.Status != "cancelled" {
		t.Errorf("a refused edit changed the meeting: %+v", v)
	}
}

// addCLIMembers registers a coordinator and a member of pracovni-skupina,
// and a member of the other group only.
func addCLIMembers(t *testing.T, dir string) {
	t.Helper()
	mustRun(t, dir, "member", "add", "-group", cliGroup, "-email", "jana@obec.cz", "-name", "Mgr. Jana Nováková",
		"-organisation", "Městský úřad Šumperk", "-coordinator")
	mustRun(t, dir, "member", "add", "-group", cliGroup, "-email", "petr@obec.cz", "-name", "Petr Svoboda",
		"-organisation", "Krajský úřad Olomouckého kraje")
	mustRun(t, dir, "member", "add", "-group", cliGroup, "-email", "other@obec.cz", "-name", "Eva Dvořáková",
		"-organisation", "Město Zábřeh")
	mustRun(t, dir, "member", "add", "-group", "working-group", "-email", "outsider@obec.cz", "-name", "Karel Cizí")
}

func TestRSVPAndAgenda(t *testing.T) {
	dir := newCLIDir(t)
	addCLIMembers(t, dir)
	mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Jednání pracovní skupiny", "-start", "15. 1. 2027 10:00")

	// Flags after the positional arguments, as people type them.
	out := mustRun(t, dir, "rsvp", "1", "petr@obec.cz", "yes", "-note", "pozdě", "-substitute", "Bc. Petr Malý")
	if out != "meeting 1: Petr Svoboda answered yes\n" {
		t.Errorf("rsvp: %q", out)
	}
	v := showMeeting(t, dir, "1")
	if v.ID != 1 || v.Group != cliGroup || v.Title != "Jednání pracovní skupiny" || v.Start != "2027-01-15T10:00:00+01:00" || v.Status != "scheduled" {
		t.Errorf("show: %+v", v)
	}
	if len(v.RSVPs) != 1 {
		t.Fatalf("rsvps = %+v, want one", v.RSVPs)
	}
	if r := v.RSVPs[0]; r.Email != "petr@obec.cz" || r.Name != "Petr Svoboda" || r.Organisation != "Krajský úřad Olomouckého kraje" ||
		r.Answer != "yes" || r.Note != "pozdě" || r.Substitute != "Bc. Petr Malý" || r.Via != "cli" {
		t.Errorf("rsvp = %+v", r)
	}
	if len(v.Agenda) != 0 || len(v.Minutes) != 0 {
		t.Errorf("agenda %+v, minutes %+v, want none", v.Agenda, v.Minutes)
	}
	out = mustRun(t, dir, "meeting", "show", "1")
	for _, want := range []string{"#1 Jednání pracovní skupiny (pracovni-skupina)", "ANSWERS (1)", "Petr Svoboda",
		"pozdě (instead: Bc. Petr Malý)", "AGENDA (0)", "MINUTES (0)"} {
		if !strings.Contains(out, want) {
			t.Errorf("meeting show lacks %q:\n%s", want, out)
		}
	}
	// Czech answers and a changed mind: still one answer per member.
	mustRun(t, dir, "rsvp", "-note", "nemoc", "1", "petr@obec.cz", "ne")
	if v := showMeeting(t, dir, "1"); len(v.RSVPs) != 1 || v.RSVPs[0].Answer != "no" || v.RSVPs[0].Note != "nemoc" || v.RSVPs[0].Substitute != "" {
		t.Errorf("changed answer: %+v", v.RSVPs)
	}

	mustRefuse(t, dir, `no member "nikdo@obec.cz"`, "rsvp", "1", "nikdo@obec.cz", "yes")
	mustRefuse(t, dir, "is not a member of", "rsvp", "1", "outsider@obec.cz", "yes")
	mustRefuse(t, dir, "want yes, no or maybe", "rsvp", "1", "petr@obec.cz", "snad")
	mustRefuse(t, dir, "no meeting 9", "rsvp", "9", "petr@obec.cz", "yes")
	if v := showMeeting(t, dir, "1"); len(v.RSVPs) != 1 {
		t.Errorf("a refused answer was stored: %+v", v.RSVPs)
	}

	out = mustRun(t, dir, "agenda", "add", "1", "-title", "Primární prevence ve školách", "-details", "Návrh krajského programu", "-by", "petr@obec.cz")
	if out != "agenda item 1 added to meeting 1: Primární prevence ve školách\n" {
		t.Errorf("agenda add: %q", out)
	}
	mustRefuse(t, dir, "-title is required", "agenda", "add", "1", "-details", "bez názvu")
	mustRefuse(t, dir, "is not a member of", "agenda", "add", "1", "-title", "Cizí bod", "-by", "outsider@obec.cz")
	out = mustRun(t, dir, "agenda", "list", "1")
	if out != "1. #1 Primární prevence ve školách (proposed) — Petr Svoboda\n" {
		t.Errorf("agenda list: %q", out)
	}
	out = mustRun(t, dir, "agenda", "accept", "1")
	if out != "agenda item 1 accepted: Primární prevence ve školách\n" {
		t.Errorf("agenda accept: %q", out)
	}
	v = showMeeting(t, dir, "1")
	if len(v.Agenda) != 1 || v.Agenda[0].ID != 1 || v.Agenda[0].Title != "Primární prevence ve školách" ||
		v.Agenda[0].State != "accepted" || v.Agenda[0].By != "Petr Svoboda" {
		t.Errorf("agenda after accept: %+v", v.Agenda)
	}
	mustRefuse(t, dir, "no. 7", "agenda", "accept", "7")
}

func TestMeetingAttended(t *testing.T) {
	dir := newCLIDir(t)
	addCLIMembers(t, dir)
	mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Listopadové jednání", "-start", "20. 11. 2026 10:00", "-past")
	mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Lednové jednání", "-start", "15. 1. 2027 10:00")
	mustRefuse(t, dir, "has not taken place yet", "meeting", "attended", "2", "jana@obec.cz")

	out := mustRun(t, dir, "meeting", "attended", "1", "petr@obec.cz=Bc. Karel Malý", "jana@obec.cz", "-absent", "other@obec.cz")
	if out != "meeting 1: attendance recorded, 2 of 3 came\n" {
		t.Errorf("attended: %q", out)
	}
	if v := showMeeting(t, dir, "1"); v.Status != "held" {
		t.Errorf("status %q, want held", v.Status)
	}
	db := openReadOnly(t, filepath.Join(dir, "coordbot.db"))
	rows, err := db.Query(`SELECT e.address, a.attended, a.substitute FROM attendance a
		JOIN member_emails e ON e.member_id = a.member_id WHERE a.meeting_id = 1 ORDER BY e.address`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got bytes.Buffer
	for rows.Next() {
		var addr, subst string
		var attended int
		if err := rows.Scan(&addr, &attended, &subst); err != nil {
			t.Fatal(err)
		}
		got.WriteString(addr + " " + string(rune('0'+attended)) + " " + subst + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := "jana@obec.cz 1 \nother@obec.cz 0 \npetr@obec.cz 1 Bc. Karel Malý\n"
	if got.String() != want {
		t.Errorf("attendance rows:\n%s\nwant:\n%s", got.String(), want)
	}
	mustRefuse(t, dir, `no member "nikdo@obec.cz"`, "meeting", "attended", "1", "nikdo@obec.cz")
}

func TestHelpOnEveryCommandNeedsNoSecrets(t *testing.T) {
	for _, args := range [][]string{
		{"meeting", "add"}, {"meeting", "list"}, {"meeting", "show"}, {"meeting", "edit"}, {"meeting", "cancel"}, {"meeting", "attended"},
		{"member", "add"}, {"member", "list"}, {"member", "remove"}, {"member", "import"},
		{"rsvp"}, {"agenda", "add"}, {"agenda", "list"}, {"agenda", "accept"},
		{"search"}, {"report"}, {"ics"}, {"import"}, {"fetch-mail"}, {"migrate"}, {"serve"},
		{"meeting"}, {"member"}, {"agenda"},
	} {
		name := strings.Join(args, " ")
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			// runSecrets: a configuration with [discord] and [mail] and no
			// secrets in the environment.
			r, _ := runSecrets(t, nil, append(args, "-h")...)
			if r.code != exitOK {
				t.Fatalf("exit %d, want 0; stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			if !strings.HasPrefix(r.stdout, "Usage: coordbot "+name) {
				t.Errorf("stdout = %q, want the usage of %s", r.stdout, name)
			}
			if r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
		})
	}
}
