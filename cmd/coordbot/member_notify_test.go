package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"coordbot/meeting"
	"coordbot/store"
)

// The e-mail channel's shell side: the channel preference at member add,
// import and list, bouncing addresses, minutes lists and search that keep
// answers and bounces apart, and answers by e-mail in meeting show.

// cliNotify is the channel part of one element of `member list -json`.
type cliNotify struct {
	Name    string   `json:"name"`
	Emails  []string `json:"emails"`
	Bounced []string `json:"bounced"`
	Notify  string   `json:"notify"`
	Reach   []string `json:"reach"`
}

// notifyList runs `member list -json` and returns the members by name.
func notifyList(t *testing.T, dir string) map[string]cliNotify {
	t.Helper()
	out := mustRun(t, dir, "member", "list", "-group", cliGroup, "-json")
	var list []cliNotify
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("member list -json: %v\n%s", err, out)
	}
	by := map[string]cliNotify{}
	for _, m := range list {
		if m.Bounced == nil || m.Reach == nil {
			t.Errorf("%s: bounced %v, reach %v; want arrays, never null", m.Name, m.Bounced, m.Reach)
		}
		by[m.Name] = m
	}
	return by
}

// openCLIStore opens the database the command line in dir uses.
func openCLIStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(dir, "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMemberAddNotifyAndBounced(t *testing.T) {
	dir := newCLIDir(t)
	out := mustRun(t, dir, "member", "add", "-group", cliGroup, "-email", "jana@obec.cz", "-name", "Jana Nováková",
		"-discord-id", "1203456789012345678", "-notify", "email")
	if !strings.HasSuffix(out, "; notify email → email\n") {
		t.Errorf("add: %q, want the preference and the channel used", out)
	}
	mustRun(t, dir, "member", "add", "-group", cliGroup, "-email", "petr@obec.cz", "-name", "Petr Svoboda")
	mustRun(t, dir, "member", "add", "-group", cliGroup, "-name", "Eva Malá", "-discord-id", "1203456789012345679",
		"-email", "eva@obec.cz", "-notify", "oboje")
	// An update without -notify keeps the preference.
	mustRun(t, dir, "member", "add", "-group", cliGroup, "-email", "jana@obec.cz", "-organisation", "Obec Lhota")

	got := notifyList(t, dir)
	for name, want := range map[string]struct {
		notify string
		reach  []string
	}{
		"Jana Nováková": {"email", []string{"email"}},
		"Petr Svoboda":  {"auto", []string{"email"}},
		"Eva Malá":      {"both", []string{"discord", "email"}},
	} {
		if m := got[name]; m.Notify != want.notify || !slices.Equal(m.Reach, want.reach) {
			t.Errorf("%s: notify %q reach %v, want %q %v", name, m.Notify, m.Reach, want.notify, want.reach)
		}
	}

	mustRefuse(t, dir, `-notify "sms": want auto, discord, email or both`,
		"member", "add", "-group", cliGroup, "-email", "x@obec.cz", "-name", "X", "-notify", "sms")
	mustRefuse(t, dir, "has no Discord account",
		"member", "add", "-group", cliGroup, "-email", "x@obec.cz", "-name", "X", "-notify", "discord")
	for addr, want := range map[string]string{
		"jana@":                       "“jana@” is not a valid e-mail address.",
		"jana obec.cz":                "“jana obec.cz” is not a valid e-mail address.",
		"a@b@c":                       "“a@b@c” is not a valid e-mail address.",
		"Jana Nováková <x@obec.cz>":   "“Jana Nováková <x@obec.cz>”: write the address alone, e.g. x@obec.cz.",
		"x@obeccz":                    "(the part after @ is not a domain)",
		"x@obec.cz, Petr <p@obec.cz>": "“Petr <p@obec.cz>”: write the address alone",
	} {
		mustRefuse(t, dir, want, "member", "add", "-group", cliGroup, "-email", addr, "-name", "X")
	}
	if n := len(notifyList(t, dir)); n != 3 {
		t.Errorf("%d members after the refusals, want 3", n)
	}

	// Jana's address bounces: the list marks it and she is reached nowhere.
	s := openCLIStore(t, dir)
	err := s.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.MarkBounced("jana@obec.cz", "550 5.1.1 user unknown")
		return err
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, dir, "member", "list", "-group", cliGroup)
	var jana string
	for line := range strings.Lines(out) {
		if strings.Contains(line, "Jana Nováková") {
			jana = line
		}
	}
	if !strings.Contains(out, "NOTIFY") || !strings.Contains(jana, "jana@obec.cz (vrací se / bouncing)") ||
		!strings.Contains(jana, "email → nowhere") {
		t.Errorf("member list does not mark the bouncing address or the lost channel:\n%s", out)
	}
	if m := notifyList(t, dir)["Jana Nováková"]; !slices.Equal(m.Bounced, []string{"jana@obec.cz"}) || len(m.Reach) != 0 {
		t.Errorf("jana: bounced %v reach %v, want her address bouncing and no channel", m.Bounced, m.Reach)
	}
	// A new address gives her e-mail back.
	mustRun(t, dir, "member", "add", "-group", cliGroup, "-discord-id", "1203456789012345678", "-email", "jana.novakova@obec.cz")
	if m := notifyList(t, dir)["Jana Nováková"]; !slices.Equal(m.Reach, []string{"email"}) {
		t.Errorf("jana after a new address: reach %v, want email", m.Reach)
	}
}

func TestMemberImportNotify(t *testing.T) {
	dir := newCLIDir(t)
	list := writeFile(t, t.TempDir(), "members.csv", "jméno;organizace;e-mail;discord_id;oznámení\r\n"+
		"Jana Nováková;Obec Lhota;jana@obec.cz;1203456789012345678;e-mail\r\n"+
		"Petr Svoboda;Kraj;petr@kraj.cz;;\r\n"+
		"Eva Malá;Obec Bludov;eva@bludov.cz;1203456789012345679;Automaticky\r\n")
	out := mustRun(t, dir, "member", "import", "-group", cliGroup, "-notify", "both", list)
	if !strings.HasSuffix(out, ": 3 added, 0 updated in pracovni-skupina\n") {
		t.Errorf("import: %q", out)
	}
	got := notifyList(t, dir)
	for name, want := range map[string]string{"Jana Nováková": "email", "Petr Svoboda": "both", "Eva Malá": "auto"} {
		if got[name].Notify != want {
			t.Errorf("%s: notify %q, want %q (the file's value, else -notify)", name, got[name].Notify, want)
		}
	}

	for _, tt := range []struct{ name, csv, want string }{
		{"bad address names its line", "name,organisation,email\nA,O,a@obec.cz\nB,O,b@\nC,O,c obec.cz\n",
			"bad.csv:3: “b@” is not a valid e-mail address.\nbad.csv:4: “c obec.cz” is not a valid e-mail address."},
		{"bad preference names its line", "name,organisation,email,notify\nA,O,a@obec.cz,\nB,O,b@obec.cz,sms\n",
			`bad.csv:3: notify "sms": want auto, discord, email or both (automaticky, discord, e-mail, oboje)`},
		{"a preference the core refuses names its line", "name,organisation,email,notify\nA,O,a@obec.cz,\nB,O,b@obec.cz,discord\n",
			"bad.csv:3: B has no Discord account; give it or choose another channel. (nothing imported)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, dir, nil, "member", "import", "-group", cliGroup, writeFile(t, t.TempDir(), "bad.csv", tt.csv))
			for _, want := range strings.Split(tt.want, "\n") {
				if r.code != exitUsage || !strings.Contains(r.stderr, want) {
					t.Errorf("exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, want)
				}
			}
			if n := len(notifyList(t, dir)); n != 3 {
				t.Errorf("%d members, want 3: nothing of a bad list is imported", n)
			}
		})
	}
	mustRefuse(t, dir, `-notify "sometimes"`, "member", "import", "-group", cliGroup, "-notify", "sometimes", list)
}

func TestMinutesListAndSearchKinds(t *testing.T) {
	dir := newCLIDir(t)
	mustRun(t, dir, "migrate")
	s := openCLIStore(t, dir)
	sent := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i, m := range []*store.ArchiveMessage{
		{Subject: "Zápis z jednání o prevenci", Kind: store.ArchiveMinutes, State: store.ArchiveArchived},
		{Subject: "Re: Pozvánka: jednání o prevenci", Kind: store.ArchiveReply, State: store.ArchiveArchived},
		{Subject: "Nedoručitelné: jednání o prevenci", Kind: store.ArchiveBounce, State: store.ArchiveArchived},
		{Subject: "Re: podvržená odpověď o prevenci", Kind: store.ArchiveReply, State: store.ArchiveQuarantined,
			Reason: "From is not the attendee"},
	} {
		m.MessageID = strings.Fields(m.Subject)[0] + string(rune('a'+i)) + "@obec.cz"
		m.ContentHash, m.FromAddr, m.BodyText = string(rune('a'+i)), "jana@obec.cz", m.Subject+". Prevence."
		m.Raw, m.Sent, m.Received, m.Source = []byte(m.Subject), sent.Add(time.Duration(i)*time.Hour), sent, "test"
		if _, err := s.AddArchiveMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	lines := func(args ...string) string { return mustRun(t, dir, append([]string{"minutes", "list"}, args...)...) }
	if out := lines(); !strings.Contains(out, "Zápis z jednání") || strings.Contains(out, "Pozvánka") ||
		strings.Contains(out, "Nedoručitelné") || strings.Contains(out, "KIND") {
		t.Errorf("minutes list shows more than minutes:\n%s", out)
	}
	if out := lines("-kind", "reply"); !strings.Contains(out, "KIND") || !strings.Contains(out, "reply") ||
		!strings.Contains(out, "Re: Pozvánka") || strings.Contains(out, "Zápis z jednání") || strings.Contains(out, "podvržená") {
		t.Errorf("minutes list -kind reply:\n%s", out)
	}
	if out := lines("-kind", "any"); strings.Count(out, "\n") != 4 {
		t.Errorf("minutes list -kind any: want the header and three archived messages:\n%s", out)
	}
	if out := lines("-quarantined"); !strings.Contains(out, "KIND") || !strings.Contains(out, "podvržená") ||
		!strings.Contains(out, "From is not the attendee") {
		t.Errorf("minutes list -quarantined hides a quarantined answer:\n%s", out)
	}
	mustRefuse(t, dir, `-kind "spam"`, "minutes", "list", "-kind", "spam")

	search := func(q string) string { return mustRun(t, dir, "search", q) }
	if out := search("prevence"); !strings.Contains(out, "Zápis z jednání") || strings.Contains(out, "Pozvánka") ||
		strings.Contains(out, "Nedoručitelné") {
		t.Errorf("search prevence finds more than minutes:\n%s", out)
	}
	if out := search("prevence kind:reply"); !strings.Contains(out, "Re: Pozvánka") || strings.Contains(out, "Zápis z jednání") ||
		strings.Contains(out, "podvržená") {
		t.Errorf("search kind:reply:\n%s", out)
	}
	if out := search("druh:vše prevence"); strings.Count(out, "#") != 3 {
		t.Errorf("search druh:vše: want the three archived messages:\n%s", out)
	}
	mustRefuse(t, dir, "want kind:minutes, kind:reply, kind:bounce or kind:any", "search", "prevence", "kind:spam")
}

func TestMeetingShowAnswerByEmail(t *testing.T) {
	dir := newCLIDir(t)
	addCLIMembers(t, dir)
	mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Jednání pracovní skupiny", "-start", "15. 1. 2027 10:00")
	mustRun(t, dir, "rsvp", "1", "jana@obec.cz", "yes")

	s := openCLIStore(t, dir)
	petr, err := s.MemberByEmail(context.Background(), "petr@obec.cz")
	if err != nil {
		t.Fatal(err)
	}
	core := meeting.New(s)
	core.Now = cliNow
	_, err = core.Answer(context.Background(), meeting.Actor{Via: store.ViaEmail, MemberID: petr.ID}, 1, 0,
		store.AnswerNo, "dovolená", "")
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	v := showMeeting(t, dir, "1")
	via := map[string]string{}
	for _, r := range v.RSVPs {
		via[r.Email] = r.Via + "/" + r.Answer + "/" + r.Note
	}
	if via["petr@obec.cz"] != "email/no/dovolená" || via["jana@obec.cz"] != "cli/yes/" {
		t.Errorf("meeting show -json answers %v, want petr's by email and jana's by the shell", via)
	}
}
