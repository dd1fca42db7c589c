package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot/discordtest"
	"coordbot/internal/testutil"
)

// The same use case called from the bot and from the shell writes the same
// rows: each use case runs once through the Discord door (the real Main
// against the Discord fake) and once through the shell door (the command
// line on another database), from the same state, and the rows each wrote
// are compared, normalised.

// doorsTOML is the group of discordConfig, for the shell's database.
const doorsTOML = `
[[groups]]
slug = "pracovni-skupina"
name = "Pracovní skupina protidrogové politiky"
discord_channel_id = "5001"
coordinator_role_id = "7001"
`

// runCLIAt is the command line with -config and -db and the clock at now:
// runCLI's clock is fixed, and recording who came needs a clock past the
// meeting, the same in both doors.
func runCLIAt(t *testing.T, cfgPath, dbPath string, now time.Time, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdout: &out, stderr: &errb, now: func() time.Time { return now }}
	code := exitOK
	if err := e.dispatch(context.Background(), append([]string{"-config", cfgPath, "-db", dbPath}, args...)); err != nil {
		code = exitCode(err)
		errb.WriteString("coordbot: " + err.Error() + "\n")
	}
	return result{code, out.String(), errb.String()}
}

// doorsPerson is someone in both doors: a Discord user and the member the
// coordinator registered for them.
type doorsPerson struct {
	user         discordtest.User
	email, name  string
	organisation string
	coordinator  bool
}

var (
	doorsJana = doorsPerson{discordtest.User{ID: "100", Username: "jana", GlobalName: "Jana", Roles: []string{"7001"}},
		"jana@obec.cz", "Mgr. Jana Nováková", "Městský úřad Šumperk", true}
	doorsPetr = doorsPerson{discordtest.User{ID: "200", Username: "petr", GlobalName: "Petr"},
		"petr@obec.cz", "Petr Svoboda", "Krajský úřad Olomouckého kraje", false}
	doorsEva = doorsPerson{discordtest.User{ID: "300", Username: "eva", GlobalName: "Eva"},
		"eva@obec.cz", "Eva Dvořáková", "Město Zábřeh", false}
)

// doorsState is a database's rows, normalised: per table, one string per
// row, sorted.
type doorsState map[string][]string

// doorsMeetingKey and doorsMemberKey find the meeting id of an idempotency
// key ("m12:...") and the member id of a fan-out key (":u7"), to be named
// as in the rest of the state.
var (
	doorsMeetingKey = regexp.MustCompile(`^m(\d+)`)
	doorsMemberKey  = regexp.MustCompile(`:u(\d+)`)
)

// readDoorsState reads the rows the use cases write, without ids and
// timestamps; meetings are named by their order of creation, members by
// their Discord id. Left out on purpose: meetings.coordinator_id (the bot
// records the coordinator who acted, the shell's operator is nobody; see
// TestDoorsWriteTheSameRows), discord_event_id and announcement_* (set by
// delivery, which is stopped), rsvps.via (differs by design and is
// checked on its own), and every *_at stamp (the store's clock).
func readDoorsState(t *testing.T, path string) doorsState {
	t.Helper()
	db := openReadOnly(t, path)
	defer db.Close()
	st := doorsState{}
	query := func(table, q string, scan func(*sql.Rows) (string, error)) {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		defer rows.Close()
		st[table] = []string{}
		for rows.Next() {
			s, err := scan(rows)
			if err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			st[table] = append(st[table], s)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		slices.Sort(st[table])
	}
	meetingRef, memberRef := map[int64]string{}, map[int64]string{}
	ref := func(m map[int64]string, id sql.NullInt64) string {
		if !id.Valid {
			return "-"
		}
		if r, ok := m[id.Int64]; ok {
			return r
		}
		return "?" + strconv.FormatInt(id.Int64, 10)
	}
	query("members", `SELECT m.id, coalesce(m.discord_user_id, ''), m.display_name, m.organisation,
			coalesce((SELECT group_concat(address, ',') FROM (SELECT address FROM member_emails e WHERE e.member_id = m.id ORDER BY address)), '')
		FROM members m ORDER BY m.id`, func(r *sql.Rows) (string, error) {
		var id int64
		var discord, name, org, emails string
		err := r.Scan(&id, &discord, &name, &org, &emails)
		memberRef[id] = "d" + discord
		if discord == "" {
			memberRef[id] = emails
		}
		return strings.Join([]string{discord, name, org, emails}, "|"), err
	})
	n := 0
	query("meetings", `SELECT id, title, starts_at, time_zone, duration_minutes, place, online_url, status,
			coalesce(reminder_offsets, '-'), coalesce(agenda_call_offset, -1), coalesce(agenda_deadline_offset, -1)
		FROM meetings ORDER BY id`, func(r *sql.Rows) (string, error) {
		var id, start, dur, call, deadline int64
		var title, zone, place, link, status, reminders string
		err := r.Scan(&id, &title, &start, &zone, &dur, &place, &link, &status, &reminders, &call, &deadline)
		n++
		meetingRef[id] = "M" + strconv.Itoa(n)
		return fmt.Sprintf("%s|%s|%s|%s|%dmin|%s|%s|%s|%s|%d|%d", meetingRef[id], title, time.Unix(start, 0).UTC().Format(time.RFC3339),
			zone, dur, place, link, status, reminders, call, deadline), err
	})
	query("groups", `SELECT slug, name, discord_channel_id, coordinator_role_id, member_role_id, time_zone, locale,
			reminder_offsets, agenda_call_offset, agenda_deadline_offset, nudge_offset, minutes_nudge_offset FROM groups`,
		func(r *sql.Rows) (string, error) {
			var v [12]string
			p := make([]any, len(v))
			for i := range v {
				p[i] = &v[i]
			}
			err := r.Scan(p...)
			return strings.Join(v[:], "|"), err
		})
	query("memberships", `SELECT g.slug, ms.member_id, ms.role FROM memberships ms JOIN groups g ON g.id = ms.group_id`,
		func(r *sql.Rows) (string, error) {
			var slug, role string
			var member sql.NullInt64
			err := r.Scan(&slug, &member, &role)
			return strings.Join([]string{slug, ref(memberRef, member), role}, "|"), err
		})
	query("notifications", `SELECT meeting_id, kind, due_at, state, channel, channel_id, member_id, idempotency_key, payload,
			attempts, last_error FROM notifications`, func(r *sql.Rows) (string, error) {
		var meeting, member sql.NullInt64
		var kind, state, channel, channelID, key, payload, lastErr string
		var due, attempts int64
		err := r.Scan(&meeting, &kind, &due, &state, &channel, &channelID, &member, &key, &payload, &attempts, &lastErr)
		key = doorsMeetingKey.ReplaceAllStringFunc(key, func(s string) string {
			id, _ := strconv.ParseInt(s[1:], 10, 64)
			return ref(meetingRef, sql.NullInt64{Int64: id, Valid: true})
		})
		key = doorsMemberKey.ReplaceAllStringFunc(key, func(s string) string {
			id, _ := strconv.ParseInt(s[2:], 10, 64)
			return ":" + ref(memberRef, sql.NullInt64{Int64: id, Valid: true})
		})
		return strings.Join([]string{ref(meetingRef, meeting), kind, time.Unix(due, 0).UTC().Format(time.RFC3339), state, channel,
			channelID, ref(memberRef, member), key, payload, strconv.FormatInt(attempts, 10), lastErr}, "|"), err
	})
	query("rsvps", `SELECT meeting_id, member_id, answer, note, substitute FROM rsvps`, func(r *sql.Rows) (string, error) {
		var meeting, member sql.NullInt64
		var answer, note, subst string
		err := r.Scan(&meeting, &member, &answer, &note, &subst)
		return strings.Join([]string{ref(meetingRef, meeting), ref(memberRef, member), answer, note, subst}, "|"), err
	})
	query("rsvp_history", `SELECT meeting_id, member_id, answer, note, substitute FROM rsvp_history`, func(r *sql.Rows) (string, error) {
		var meeting, member sql.NullInt64
		var answer, note, subst string
		err := r.Scan(&meeting, &member, &answer, &note, &subst)
		return strings.Join([]string{ref(meetingRef, meeting), ref(memberRef, member), answer, note, subst}, "|"), err
	})
	query("agenda_items", `SELECT meeting_id, author_id, title, details, position, status FROM agenda_items`, func(r *sql.Rows) (string, error) {
		var meeting, author sql.NullInt64
		var title, details, status string
		var pos int64
		err := r.Scan(&meeting, &author, &title, &details, &pos, &status)
		return fmt.Sprintf("%s|%s|%s|%s|%d|%s", ref(meetingRef, meeting), ref(memberRef, author), title, details, pos, status), err
	})
	query("attendance", `SELECT meeting_id, member_id, attended, substitute FROM attendance`, func(r *sql.Rows) (string, error) {
		var meeting, member sql.NullInt64
		var attended int64
		var subst string
		err := r.Scan(&meeting, &member, &attended, &subst)
		return fmt.Sprintf("%s|%s|%d|%s", ref(meetingRef, meeting), ref(memberRef, member), attended, subst), err
	})
	return st
}

// changes are the rows a step wrote: "table +row" for a row that is new
// (or changed into this), "table -row" for one that is gone (or changed
// from this), sorted.
func changes(before, after doorsState) []string {
	var out []string
	for table, rows := range after {
		old := slices.Clone(before[table])
		for _, r := range rows {
			if i := slices.Index(old, r); i >= 0 {
				old = slices.Delete(old, i, i+1)
				continue
			}
			out = append(out, table+" +"+r)
		}
		for _, r := range old {
			out = append(out, table+" -"+r)
		}
	}
	slices.Sort(out)
	return out
}

// listDiff shows the lines only in a and only in b.
func listDiff(aName string, a []string, bName string, b []string) string {
	var sb strings.Builder
	for _, s := range a {
		if !slices.Contains(b, s) {
			fmt.Fprintf(&sb, "only %s: %s\n", aName, s)
		}
	}
	for _, s := range b {
		if !slices.Contains(a, s) {
			fmt.Fprintf(&sb, "only %s: %s\n", bName, s)
		}
	}
	return sb.String()
}

// viaOf returns the distinct doors recorded in a table with a via column.
func viaOf(t *testing.T, path, table string) []string {
	t.Helper()
	db := openReadOnly(t, path)
	defer db.Close()
	rows, err := db.Query(`SELECT DISTINCT via FROM ` + table + ` ORDER BY via`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// selectValues returns the option values of the first select menu of an
// interaction response, by label.
func selectValues(resp *discordgo.InteractionResponse) map[string]string {
	out := map[string]string{}
	if resp == nil || resp.Data == nil {
		return out
	}
	for _, row := range resp.Data.Components {
		var comps []discordgo.MessageComponent
		switch r := row.(type) {
		case discordgo.ActionsRow:
			comps = r.Components
		case *discordgo.ActionsRow:
			comps = r.Components
		}
		for _, c := range comps {
			var opts []discordgo.SelectMenuOption
			switch s := c.(type) {
			case discordgo.SelectMenu:
				opts = s.Options
			case *discordgo.SelectMenu:
				opts = s.Options
			}
			for _, o := range opts {
				out[o.Label] = o.Value
			}
		}
	}
	return out
}

func TestDoorsWriteTheSameRows(t *testing.T) {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	cfg := discordConfig(t, fake, "")
	shellDir := t.TempDir()
	cfgPath := writeFile(t, shellDir, "coordbot.toml", doorsTOML)
	botDB, shellDB := cfg.Database.Path, filepath.Join(shellDir, "coordbot.db")

	// runCLI's moment: the meetings lie well ahead of it.
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	// Both doors' use cases run on this clock.
	clock := testutil.NewClock(t0)
	shell := func(t *testing.T, db string, args ...string) result {
		t.Helper()
		r := runCLIAt(t, cfgPath, db, clock.Now(), args...)
		if r.code != exitOK {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
		return r
	}

	// The same starting state: the coordinator registered the same people
	// in both databases, with the Discord ids the bot will see, so the
	// bot finds them instead of creating members of its own.
	for _, db := range []string{botDB, shellDB} {
		for _, p := range []doorsPerson{doorsJana, doorsPetr, doorsEva} {
			args := []string{"member", "add", "-group", "pracovni-skupina", "-email", p.email, "-name", p.name,
				"-organisation", p.organisation, "-discord-id", p.user.ID}
			if p.coordinator {
				args = append(args, "-coordinator")
			}
			shell(t, db, args...)
		}
	}

	var logs testutil.SyncBuffer
	m := NewMain(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	m.Now = clock.Now
	// The scheduler's clock stays before everything is due, so it
	// delivers nothing: delivery changes rows (state, attempts, a coalesced
	// edit sent and enqueued anew), and what is compared here is what the
	// use case wrote, which the shell door leaves undelivered too.
	m.Clock = testutil.NewClock(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
	defer m.Close()

	// interact sends an interaction and fails on a callback error.
	interact := func(t *testing.T, in *discordgo.Interaction) *discordgo.InteractionResponse {
		t.Helper()
		resp, _, err := fake.Interact(ctx, in)
		if err != nil {
			t.Fatalf("interaction: %v\n%s", err, logs.String())
		}
		return resp
	}
	content := func(resp *discordgo.InteractionResponse) string {
		if resp == nil || resp.Data == nil {
			return ""
		}
		return resp.Data.Content
	}
	slash := func(p doorsPerson, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
		return fake.SlashCommand(p.user, "5001", name, opts...)
	}
	str := discordtest.StringOpt

	// Both doors are given the same wall-clock text.
	const (
		startA  = "15. 1. 2027 10:00"
		movedA  = "22. 1. 2027 13:30"
		startB  = "29. 1. 2027 9:00"
		titleA  = "Jednání pracovní skupiny"
		titleA2 = "Jednání pracovní skupiny o prevenci"
		titleB  = "Mimořádné jednání"
		placeA  = "Krajský úřad, Jeremenkova 40a"
		placeA2 = "Městský úřad Šumperk, zasedací místnost"
		linkA   = "https://meet.example.cz/pracovni-skupina"
		item    = "Primární prevence ve školách"
		details = "Návrh krajského programu na rok 2027"
	)

	steps := []struct {
		name string
		// at, when set, moves both doors' clock first.
		at time.Time
		// tables must change.
		tables []string
		bot    func(t *testing.T)
		shell  func(t *testing.T)
	}{
		{
			name: "create", tables: []string{"meetings", "notifications"},
			bot: func(t *testing.T) {
				resp := interact(t, slash(doorsJana, "meeting", discordtest.SubCommand("create", str("title", titleA), str("when", startA),
					str("place", placeA), str("link", linkA), discordtest.IntOpt("duration", 90))))
				if !strings.Contains(content(resp), "je naplánována") {
					t.Errorf("bot answered %q", content(resp))
				}
			},
			shell: func(t *testing.T) {
				shell(t, shellDB, "meeting", "add", "-group", "pracovni-skupina", "-title", titleA, "-start", startA,
					"-place", placeA, "-url", linkA, "-duration", "90m")
			},
		},
		{
			name: "edit", tables: []string{"meetings", "notifications"},
			bot: func(t *testing.T) {
				interact(t, slash(doorsJana, "meeting", discordtest.SubCommand("edit", str("meeting", "1"), str("title", titleA2),
					str("when", movedA), str("place", placeA2))))
			},
			shell: func(t *testing.T) {
				shell(t, shellDB, "meeting", "edit", "1", "-title", titleA2, "-start", movedA, "-place", placeA2)
			},
		},
		{
			name: "answer", tables: []string{"rsvps", "rsvp_history"},
			bot: func(t *testing.T) {
				interact(t, slash(doorsPetr, "rsvp", str("status", "yes"), str("meeting", "1"), str("note", "pozdě"),
					str("substitute", "Bc. Karel Malý")))
			},
			shell: func(t *testing.T) {
				shell(t, shellDB, "rsvp", "1", doorsPetr.email, "yes", "-note", "pozdě", "-substitute", "Bc. Karel Malý")
			},
		},
		{
			name: "answer_no", tables: []string{"rsvps", "rsvp_history"},
			bot: func(t *testing.T) {
				interact(t, slash(doorsEva, "rsvp", str("status", "no"), str("meeting", "1"), str("note", "dovolená")))
			},
			shell: func(t *testing.T) {
				shell(t, shellDB, "rsvp", "1", doorsEva.email, "no", "-note", "dovolená")
			},
		},
		{
			name: "propose", tables: []string{"agenda_items"},
			bot: func(t *testing.T) {
				// The command opens a form; its submission proposes.
				resp := interact(t, slash(doorsPetr, "agenda", discordtest.SubCommand("add", str("meeting", "1"))))
				if resp.Type != discordgo.InteractionResponseModal || resp.Data == nil || resp.Data.CustomID != "agenda-modal:1" {
					t.Fatalf("/agenda add answered %+v, want the agenda form of meeting 1", resp)
				}
				interact(t, fake.ModalSubmit(doorsPetr.user, "5001", resp.Data.CustomID, map[string]string{"title": item, "details": details}))
			},
			shell: func(t *testing.T) {
				shell(t, shellDB, "agenda", "add", "1", "-title", item, "-details", details, "-by", doorsPetr.email)
			},
		},
		{
			name: "accept", tables: []string{"agenda_items"},
			bot: func(t *testing.T) {
				interact(t, slash(doorsJana, "agenda", discordtest.SubCommand("accept", discordtest.IntOpt("item", 1))))
			},
			shell: func(t *testing.T) { shell(t, shellDB, "agenda", "accept", "1") },
		},
		{
			name: "create_another", tables: []string{"meetings", "notifications"},
			bot: func(t *testing.T) {
				interact(t, slash(doorsJana, "meeting", discordtest.SubCommand("create", str("title", titleB), str("when", startB))))
			},
			shell: func(t *testing.T) {
				shell(t, shellDB, "meeting", "add", "-group", "pracovni-skupina", "-title", titleB, "-start", startB)
			},
		},
		{
			name: "cancel", tables: []string{"meetings", "notifications"},
			bot: func(t *testing.T) {
				interact(t, slash(doorsJana, "meeting", discordtest.SubCommand("cancel", str("meeting", "2"))))
			},
			shell: func(t *testing.T) { shell(t, shellDB, "meeting", "cancel", "2") },
		},
		{
			// After the moved meeting: Jana and Petr's deputy came, Eva did
			// not. The bot records everyone not ticked as absent; at the
			// shell the coordinator names them with -absent.
			name: "attendance", at: time.Date(2027, 1, 22, 16, 0, 0, 0, time.UTC), tables: []string{"attendance", "meetings"},
			bot: func(t *testing.T) {
				in := slash(doorsJana, "attendance", discordtest.SubCommand("confirm", str("meeting", "1")))
				resp := interact(t, in)
				values := selectValues(resp)
				jana := values[doorsJana.name+" – "+doorsJana.organisation]
				petr := values[doorsPetr.name+" – "+doorsPetr.organisation]
				if len(values) != 3 || jana == "" || petr == "" {
					t.Fatalf("/attendance confirm offered %v (%q), want the three members", values, content(resp))
				}
				prompt, err := fake.WaitOriginal(ctx, in.Token)
				if err != nil {
					t.Fatal(err)
				}
				interact(t, fake.Select(doorsJana.user, "5001", prompt.ID, "attended:1", jana, petr))
			},
			shell: func(t *testing.T) {
				shell(t, shellDB, "meeting", "attended", "1", doorsJana.email, doorsPetr.email, "-absent", doorsEva.email)
			},
		},
	}

	before := readDoorsState(t, botDB)
	if shellBefore := readDoorsState(t, shellDB); len(changes(before, shellBefore)) > 0 {
		t.Fatalf("the doors start from different states:\n%s", strings.Join(changes(before, shellBefore), "\n"))
	}
	for _, step := range steps {
		ok := t.Run(step.name, func(t *testing.T) {
			if !step.at.IsZero() {
				clock.Set(step.at)
			}
			step.bot(t)
			step.shell(t)
			afterBot, afterShell := readDoorsState(t, botDB), readDoorsState(t, shellDB)
			wroteBot, wroteShell := changes(before, afterBot), changes(before, afterShell)
			if !slices.Equal(wroteBot, wroteShell) {
				t.Errorf("the doors wrote different rows:\n%s", listDiff("bot", wroteBot, "shell", wroteShell))
			}
			for _, table := range step.tables {
				if !slices.ContainsFunc(wroteBot, func(s string) bool { return strings.HasPrefix(s, table+" ") }) {
					t.Errorf("the bot wrote nothing to %s; it wrote:\n%s\nlogs:\n%s", table, strings.Join(wroteBot, "\n"), logs.String())
				}
			}
			if d := changes(afterBot, afterShell); len(d) > 0 {
				t.Errorf("the databases differ after %s:\n%s", step.name, strings.Join(d, "\n"))
			}
			before = afterBot
		})
		if !ok {
			return // the next step would not start from the same state
		}
	}

	// What differs by design.
	if got := viaOf(t, botDB, "rsvps"); !slices.Equal(got, []string{"discord"}) {
		t.Errorf("bot's answers came via %v, want [discord]", got)
	}
	if got := viaOf(t, shellDB, "rsvps"); !slices.Equal(got, []string{"cli"}) {
		t.Errorf("shell's answers came via %v, want [cli]", got)
	}
	if got := viaOf(t, botDB, "rsvp_history"); !slices.Equal(got, []string{"discord"}) {
		t.Errorf("bot's answer history via %v, want [discord]", got)
	}
	if got := viaOf(t, shellDB, "rsvp_history"); !slices.Equal(got, []string{"cli"}) {
		t.Errorf("shell's answer history via %v, want [cli]", got)
	}
	// The bot records the coordinator who planned a meeting (they get the
	// minutes nudge); the shell's operator is nobody, so the group's
	// coordinators do.
	coordinatorOf := func(path string) []string {
		db := openReadOnly(t, path)
		defer db.Close()
		rows, err := db.Query(`SELECT coalesce(mb.discord_user_id, '-') FROM meetings m
			LEFT JOIN members mb ON mb.id = m.coordinator_id ORDER BY m.id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	if got := coordinatorOf(botDB); !slices.Equal(got, []string{doorsJana.user.ID, doorsJana.user.ID}) {
		t.Errorf("bot's meetings have coordinators %v, want Jana's", got)
	}
	if got := coordinatorOf(shellDB); !slices.Equal(got, []string{"-", "-"}) {
		t.Errorf("shell's meetings have coordinators %v, want none", got)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}
