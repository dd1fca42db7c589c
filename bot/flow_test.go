package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot/discordtest"
	"coordbot/store"
)

func TestCoordinatorCreatesMeetingWithAnnouncementAndEvent(t *testing.T) {
	e := newEnv(t, "cs")
	m := e.createMeeting("23. 3. 2027 10:00")
	if want := time.Date(2027, 3, 23, 9, 0, 0, 0, time.UTC); !m.Start.Equal(want) || m.Place == "" {
		t.Errorf("stored meeting %+v, want start %v", m, want)
	}
	ann := e.announcement(func(em *discordgo.MessageEmbed) bool { return em.Title == "Jednání pracovní skupiny" })
	if got := field(ann.Embeds[0], "Kdy"); !strings.Contains(got, "út 23. 3. 2027 10:00") {
		t.Errorf("Kdy = %q", got)
	}
	if len(ann.Components) != 1 {
		t.Fatalf("announcement components: %+v", ann.Components)
	}
	var labels []string
	for _, c := range ann.Components[0].(*discordgo.ActionsRow).Components {
		labels = append(labels, c.(*discordgo.Button).Label)
	}
	if got := strings.Join(labels, "|"); got != "Přijdu|Nepřijdu|Možná|Navrhnout bod programu" {
		t.Errorf("buttons %q", got)
	}
	// The card and the scheduled event are recorded on the meeting by the
	// scheduler as it delivers the announcement and event_sync rows, after
	// the card is visible on the fake; Bot.Stop does not wait for the
	// scheduler, settled does.
	e.settled()
	got, err := e.store.Meeting(context.Background(), m.ID)
	if err != nil || got.AnnouncementMessageID != ann.ID || got.AnnouncementChannelID != channelID || got.DiscordEventID == "" {
		t.Errorf("ids not recorded: %+v %v", got, err)
	}
	evs := e.fake.ScheduledEvents()
	if len(evs) != 1 || evs[0].Name != "Jednání pracovní skupiny" || !evs[0].ScheduledStartTime.Equal(m.Start) {
		t.Errorf("scheduled events %+v", evs)
	}
}

func TestRefusalsAreClearAndStoreNothing(t *testing.T) {
	e := newEnv(t, "cs")
	count := func() int {
		ms, _ := e.store.Meetings(context.Background(), store.MeetingFilter{})
		return len(ms)
	}
	for name, tc := range map[string]struct {
		user discordtest.User
		when string
		want string
	}{
		"not a coordinator": {member, "23. 3. 2027 10:00", "jen koordinátor"},
		"no such date":      {coordinator, "31. 2. 2027 10:00", "31. 2. 2027"},
		"past":              {coordinator, "1. 2. 2027 10:00", "v minulosti"},
		"dst gap":           {coordinator, "28. 3. 2027 2:30", "neexistuje"},
		"gibberish":         {coordinator, "příští úterý", "nerozumím"},
	} {
		t.Run(name, func(t *testing.T) {
			resp := e.do(e.fake.SlashCommand(tc.user, channelID, "meeting", discordtest.SubCommand("create",
				str("title", "Jednání"), str("when", tc.when))))
			if text := e.text(resp, true); !strings.Contains(text, tc.want) {
				t.Errorf("answer %q lacks %q", text, tc.want)
			}
		})
	}
	resp := e.do(e.fake.SlashCommand(coordinator, channelID, "meeting", discordtest.SubCommand("create",
		str("title", "   "), str("when", "23. 3. 2027 10:00"))))
	if text := e.text(resp, true); !strings.Contains(text, "Název nesmí být prázdný") {
		t.Errorf("empty title: %q", text)
	}
	resp = e.do(e.fake.SlashCommand(coordinator, "9999", "meeting", discordtest.SubCommand("list")))
	if text := e.text(resp, true); !strings.Contains(text, "nepatří žádné skupině") {
		t.Errorf("foreign channel: %q", text)
	}
	if n := count(); n != 0 {
		t.Errorf("%d meetings stored after refusals", n)
	}
}

func TestRSVPByCommandButtonAndModalUpdatesTheAnnouncement(t *testing.T) {
	e := newEnv(t, "cs")
	m := e.createMeeting("23. 3. 2027 10:00")
	ann := e.announcement(func(em *discordgo.MessageEmbed) bool { return true })

	resp := e.do(e.fake.SlashCommand(member, channelID, "rsvp", str("status", "yes"), str("note", "dorazím později")))
	if text := e.text(resp, true); !strings.Contains(text, "Přijdu") || !strings.Contains(text, "Jednání pracovní skupiny") {
		t.Errorf("rsvp answer %q", text)
	}
	// Change of mind by button.
	resp = e.do(e.fake.Button(member, channelID, ann.ID, fmt.Sprintf("rsvp-no:%d", m.ID)))
	if text := e.text(resp, true); !strings.Contains(text, "Nepřijdu") {
		t.Errorf("button answer %q", text)
	}
	// "Možná" opens a modal; its submit records a deputy.
	resp = e.do(e.fake.Button(coordinator, channelID, ann.ID, fmt.Sprintf("rsvp-maybe:%d", m.ID)))
	if resp.Type != discordgo.InteractionResponseModal || resp.Data.CustomID != fmt.Sprintf("rsvp-modal:%d", m.ID) {
		t.Fatalf("maybe button answered %+v", resp)
	}
	resp = e.do(e.fake.ModalSubmit(coordinator, channelID, resp.Data.CustomID,
		map[string]string{"note": "možná odpoledne", "substitute": "Mgr. Eva Malá"}))
	if text := e.text(resp, true); !strings.Contains(text, "Mgr. Eva Malá") {
		t.Errorf("modal answer %q", text)
	}
	pm, _ := e.store.MemberByDiscordID(context.Background(), member.ID)
	hist, _ := e.store.RSVPHistory(context.Background(), m.ID, pm.ID)
	if len(hist) != 2 || hist[0].Answer != "yes" || hist[1].Answer != "no" {
		t.Errorf("history %+v", hist)
	}
	e.announcement(func(em *discordgo.MessageEmbed) bool {
		return field(em, "Odpovědi") == "Přijdu: 0 · Možná: 1 · Nepřijdu: 1"
	})

	// Someone without the member role cannot answer.
	resp = e.do(e.fake.Button(outsider, channelID, ann.ID, fmt.Sprintf("rsvp-yes:%d", m.ID)))
	if text := e.text(resp, true); !strings.Contains(text, "Nejste členem") {
		t.Errorf("outsider: %q", text)
	}
	// After the start, answers are closed.
	e.clock.Set(m.Start.Add(time.Minute))
	resp = e.do(e.fake.SlashCommand(member, channelID, "rsvp", str("status", "yes"), str("meeting", fmt.Sprint(m.ID))))
	if text := e.text(resp, true); !strings.Contains(text, "už začala") {
		t.Errorf("after start: %q", text)
	}
}

func TestAgendaProposeAcceptReorderAndLimits(t *testing.T) {
	e := newEnv(t, "cs")
	m := e.createMeeting("23. 3. 2027 10:00")
	ann := e.announcement(func(em *discordgo.MessageEmbed) bool { return true })
	propose := func(u discordtest.User, title, details string) string {
		resp := e.do(e.fake.Button(u, channelID, ann.ID, fmt.Sprintf("agenda-add:%d", m.ID)))
		if resp.Type != discordgo.InteractionResponseModal {
			t.Fatalf("propose button: %+v", resp)
		}
		return e.text(e.do(e.fake.ModalSubmit(u, channelID, resp.Data.CustomID, map[string]string{"title": title, "details": details})), true)
	}
	if text := propose(member, "Financování adiktologických služeb", "Stav dotací 2027."); !strings.Contains(text, "je navržen") {
		t.Errorf("propose: %q", text)
	}
	if text := propose(member, "Situace ve věznicích", ""); !strings.Contains(text, "je navržen") {
		t.Errorf("propose 2: %q", text)
	}
	if text := propose(member, "Příliš dlouhé", strings.Repeat("ž", 4001)); !strings.Contains(text, "nejvýše 4000") {
		t.Errorf("5000 characters: %q", text)
	}
	items, _ := e.store.Agenda(context.Background(), m.ID)
	if len(items) != 2 {
		t.Fatalf("items %d", len(items))
	}
	resp := e.do(e.fake.SlashCommand(member, channelID, "agenda", discordtest.SubCommand("accept", discordtest.IntOpt("item", items[0].ID))))
	if text := e.text(resp, true); !strings.Contains(text, "jen koordinátor") {
		t.Errorf("member accepting: %q", text)
	}
	resp = e.do(e.fake.SlashCommand(coordinator, channelID, "agenda", discordtest.SubCommand("accept", discordtest.IntOpt("item", items[0].ID))))
	if text := e.text(resp, true); !strings.Contains(text, "přijat") {
		t.Errorf("accept: %q", text)
	}
	resp = e.do(e.fake.SlashCommand(coordinator, channelID, "agenda", discordtest.SubCommand("reorder",
		str("order", fmt.Sprintf("%d, %d", items[1].ID, items[0].ID)))))
	text := e.text(resp, true)
	if !strings.Contains(text, "1. Situace ve věznicích _(návrh)_") || !strings.Contains(text, "2. Financování adiktologických služeb `") {
		t.Errorf("reordered list: %q", text)
	}
	// The author withdraws their own item; a late proposal is marked late.
	resp = e.do(e.fake.SlashCommand(member, channelID, "agenda", discordtest.SubCommand("withdraw", discordtest.IntOpt("item", items[1].ID))))
	if text := e.text(resp, true); !strings.Contains(text, "stažen") {
		t.Errorf("withdraw: %q", text)
	}
	e.clock.Set(time.Date(2027, 3, 21, 9, 0, 0, 0, time.UTC))
	if text := propose(member, "Pozdní bod", ""); !strings.Contains(text, "pozdní") {
		t.Errorf("late proposal: %q", text)
	}
	e.announcement(func(em *discordgo.MessageEmbed) bool {
		p := field(em, "Program")
		return strings.Contains(p, "1. Financování adiktologických služeb") && strings.Contains(p, "2. Pozdní bod _(návrh, pozdě)_") &&
			!strings.Contains(p, "věznicích")
	})
}

func TestAttendanceGroupsByOrganisationWithCzechPlurals(t *testing.T) {
	e := newEnv(t, "cs")
	m := e.createMeeting("23. 3. 2027 10:00")
	orgs := []string{"Most k naději", "Most k naději", "Krajský úřad", "Magistrát Ústí nad Labem", "Magistrát Ústí nad Labem", "Město Děčín"}
	answers := []string{"yes", "yes", "yes", "no", "maybe", ""}
	for i, org := range orgs {
		u := discordtest.User{ID: fmt.Sprint(400 + i), Username: fmt.Sprint("u", i), GlobalName: fmt.Sprint("Člen ", i), Roles: []string{memberRole}}
		e.do(e.fake.SlashCommand(u, channelID, "member", discordtest.SubCommand("set", str("organisation", org))))
		if answers[i] != "" {
			e.do(e.fake.SlashCommand(u, channelID, "rsvp", str("status", answers[i]), str("meeting", fmt.Sprint(m.ID))))
		}
	}
	text := e.text(e.do(e.fake.SlashCommand(coordinator, channelID, "attendance", discordtest.SubCommand("show"))), true)
	for _, want := range []string{"přijdou: 3 účastníci", "možná: 1 účastník", "nepřijdou: 1 účastník", "neodpověděli: 2 účastníci",
		"**Most k naději**\n  přijdou: Člen 0, Člen 1", "**Město Děčín**\n  neodpověděli: Člen 5"} {
		if !strings.Contains(text, want) {
			t.Errorf("attendance lacks %q:\n%s", want, text)
		}
	}
}

func TestEnglishGroupAnswersInEnglish(t *testing.T) {
	e := newEnv(t, "en")
	e.do(e.fake.SlashCommand(coordinator, channelID, "meeting", discordtest.SubCommand("create",
		str("title", "Round table"), str("when", "2027-03-23 10:00"))))
	ann := e.announcement(func(em *discordgo.MessageEmbed) bool { return em.Title == "Round table" })
	if got := field(ann.Embeds[0], "When"); !strings.Contains(got, "Tue 23 Mar 2027") {
		t.Errorf("When = %q", got)
	}
	text := e.text(e.do(e.fake.SlashCommand(member, channelID, "rsvp", str("status", "maybe"))), true)
	if !strings.Contains(text, "Your answer") || !strings.Contains(text, "Maybe") {
		t.Errorf("rsvp in English: %q", text)
	}
}

func TestCommandsAreRegisteredOnceWhileUnchanged(t *testing.T) {
	e := newEnv(t, "cs")
	cmds := e.fake.Commands()
	names := map[string]bool{}
	for _, c := range cmds {
		names[c.Name] = true
		if c.NameLocalizations == nil || (*c.NameLocalizations)[discordgo.Czech] == "" {
			t.Errorf("command %s has no Czech name", c.Name)
		}
	}
	for _, n := range []string{"meeting", "rsvp", "agenda", "attendance", "minutes", "member"} {
		if !names[n] {
			t.Errorf("command %s not registered", n)
		}
	}
	puts := func() int {
		n := 0
		for _, r := range e.fake.Requests() {
			if r.Method == "PUT" && strings.Contains(r.Path, "/commands") {
				n++
			}
		}
		return n
	}
	if n := puts(); n != 1 {
		t.Errorf("%d registrations at first start", n)
	}
	e.bot.Stop(context.Background())
	e.startBot()
	if n := puts(); n != 1 {
		t.Errorf("%d registrations after a restart with unchanged commands, want still 1", n)
	}
}

func TestSurvivesGatewayDropsAndRateLimits(t *testing.T) {
	e := newEnv(t, "cs")
	m := e.createMeeting("23. 3. 2027 10:00")
	e.announcement(func(em *discordgo.MessageEmbed) bool { return true })
	e.fake.CloseGateway()
	text := e.text(e.do(e.fake.SlashCommand(member, channelID, "rsvp", str("status", "yes"))), true)
	if !strings.Contains(text, "Přijdu") {
		t.Errorf("after a dropped gateway: %q", text)
	}
	e.fake.SendReconnect()
	e.fake.Inject(discordtest.Fault{Method: "PATCH", PathPrefix: "/api/v9/channels/", Status: 429, RetryAfter: 0.05, Times: 5})
	text = e.text(e.do(e.fake.SlashCommand(coordinator, channelID, "rsvp", str("status", "maybe"))), true)
	if !strings.Contains(text, "Možná") {
		t.Errorf("after reconnect: %q", text)
	}
	// The edit made it through the 429s.
	e.announcement(func(em *discordgo.MessageEmbed) bool {
		return field(em, "Odpovědi") == "Přijdu: 1 · Možná: 1 · Nepřijdu: 0"
	})
	got, _ := e.store.CountRSVPs(context.Background(), m.ID)
	if got.Yes != 1 || got.Maybe != 1 {
		t.Errorf("counts %+v", got)
	}
}

func TestMinutesCommandsAndAnnouncement(t *testing.T) {
	e := newEnv(t, "cs")
	m := e.createMeeting("23. 3. 2027 10:00")
	raw := []byte("Subject: Zápis\r\n\r\nPrimární prevence ve věznicích.\r\n")
	am := &store.ArchiveMessage{MessageID: "z@x", ContentHash: "h1", FromAddr: "jana@kr-ustecky.example", Subject: "Zápis z jednání",
		BodyText: "Primární prevence ve věznicích.", Raw: raw, GroupID: e.group.ID,
		Attachments: []*store.Attachment{{Filename: "Zápis z jednání 23.3.2027.docx", Content: []byte("x"), SHA256: "x"}}}
	if _, err := e.store.AddArchiveMessage(context.Background(), am); err != nil {
		t.Fatal(err)
	}
	text := e.text(e.do(e.fake.SlashCommand(member, channelID, "minutes", discordtest.SubCommand("search", str("query", "veznicich")))), true)
	if !strings.Contains(text, fmt.Sprintf("#%d", am.ID)) || !strings.Contains(text, "[věznicích]") {
		t.Errorf("search: %q", text)
	}
	text = e.text(e.do(e.fake.SlashCommand(member, channelID, "minutes", discordtest.SubCommand("assign",
		discordtest.IntOpt("message", am.ID), str("meeting", fmt.Sprint(m.ID))))), true)
	if !strings.Contains(text, "jen koordinátor") {
		t.Errorf("member assigning: %q", text)
	}
	text = e.text(e.do(e.fake.SlashCommand(coordinator, channelID, "minutes", discordtest.SubCommand("assign",
		discordtest.IntOpt("message", am.ID), str("meeting", fmt.Sprint(m.ID))))), true)
	if !strings.Contains(text, "přiřazen") {
		t.Errorf("assign: %q", text)
	}
	// The mail intake files the same minutes again: the notice has the
	// same outbox key, so the channel hears of them once.
	if err := e.core.MinutesArchived(context.Background(), m.ID, am.ID); err != nil {
		t.Fatal(err)
	}
	isNotice := func(msg *discordgo.Message) bool {
		return strings.Contains(msg.Content, "Zápis ze schůzky „Jednání pracovní skupiny“") && strings.Contains(msg.Content, "23.3.2027.docx")
	}
	if _, err := e.fake.WaitMessages(ctx(t), channelID, func(ms []*discordgo.Message) bool {
		return slices.ContainsFunc(ms, isNotice)
	}); err != nil {
		t.Fatalf("no minutes announcement in %s", dump(e.fake.Messages(channelID)))
	}
	e.settled()
	notices := 0
	for _, msg := range e.fake.Messages(channelID) {
		if isNotice(msg) {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d minutes notices, want 1: %s", notices, dump(e.fake.Messages(channelID)))
	}
}

func TestEditAndCancelKeepTheAnnouncementAndEventInStep(t *testing.T) {
	e := newEnv(t, "cs")
	m := e.createMeeting("23. 3. 2027 10:00")
	e.announcement(func(em *discordgo.MessageEmbed) bool { return true })

	// Autocomplete offers the meeting by its Czech date.
	resp := e.do(e.fake.Autocomplete(member, channelID, "rsvp", str("status", "yes"), discordtest.Focused(str("meeting", "23. 3."))))
	if resp.Type != discordgo.InteractionApplicationCommandAutocompleteResult || len(resp.Data.Choices) != 1 ||
		resp.Data.Choices[0].Value != fmt.Sprint(m.ID) || !strings.Contains(resp.Data.Choices[0].Name, "23. 3. 2027 10:00") {
		t.Errorf("autocomplete %+v", resp.Data)
	}

	text := e.text(e.do(e.fake.SlashCommand(coordinator, channelID, "meeting", discordtest.SubCommand("edit",
		str("meeting", fmt.Sprint(m.ID)), str("when", "24. 3. 2027 13:30"), str("place", "Online")))), true)
	if !strings.Contains(text, "st 24. 3. 2027 13:30") {
		t.Errorf("edit answer %q", text)
	}
	e.announcement(func(em *discordgo.MessageEmbed) bool {
		return strings.Contains(field(em, "Kdy"), "st 24. 3. 2027 13:30") && field(em, "Kde") == "Online"
	})
	// The move's event sync is claimed with the card edit and reads the
	// meeting only after the card is out: let it run before the cancel, or
	// it would find the meeting cancelled and only cancel the event.
	e.settled()
	moved := time.Date(2027, 3, 24, 12, 30, 0, 0, time.UTC)
	if evs := e.fake.ScheduledEvents(); len(evs) != 1 || evs[0].Status != discordgo.GuildScheduledEventStatusScheduled ||
		!evs[0].ScheduledStartTime.Equal(moved) || evs[0].EntityMetadata.Location != "Online" {
		t.Errorf("events after the move: %s", dumpEvents(evs))
	}
	text = e.text(e.do(e.fake.SlashCommand(member, channelID, "meeting", discordtest.SubCommand("cancel", str("meeting", fmt.Sprint(m.ID))))), true)
	if !strings.Contains(text, "jen koordinátor") {
		t.Errorf("member cancelling: %q", text)
	}
	text = e.text(e.do(e.fake.SlashCommand(coordinator, channelID, "meeting", discordtest.SubCommand("cancel", str("meeting", fmt.Sprint(m.ID))))), false)
	if !strings.Contains(text, "je zrušena") {
		t.Errorf("cancel answer %q", text)
	}
	ann := e.announcement(func(em *discordgo.MessageEmbed) bool { return strings.HasPrefix(em.Title, "ZRUŠENO: ") })
	for _, c := range ann.Components[0].(*discordgo.ActionsRow).Components {
		if !c.(*discordgo.Button).Disabled {
			t.Errorf("button %q still enabled on a cancelled meeting", c.(*discordgo.Button).Label)
		}
	}
	// The cancelled card is the cancel's announcement_edit row; its
	// event_sync row comes after it. Bot.Stop does not wait for the
	// scheduler, settled does.
	e.settled()
	evs := e.fake.ScheduledEvents()
	if len(evs) != 1 || evs[0].Status != discordgo.GuildScheduledEventStatusCanceled ||
		!evs[0].ScheduledStartTime.Equal(moved) {
		t.Errorf("events %s", dumpEvents(evs))
	}
	got, _ := e.store.Meeting(context.Background(), m.ID)
	if got.Status != store.MeetingCancelled {
		t.Errorf("status %s", got.Status)
	}
}

func TestMemberSetForSelfAndByCoordinator(t *testing.T) {
	e := newEnv(t, "cs")
	text := e.text(e.do(e.fake.SlashCommand(member, channelID, "member", discordtest.SubCommand("set",
		str("organisation", "Most k naději, z. s."), str("email", "Petr.Dvorak@mostknadeji.example")))), true)
	if !strings.Contains(text, "petr.dvorak@mostknadeji.example") {
		t.Errorf("self: %q", text)
	}
	m, err := e.store.MemberByEmail(context.Background(), "petr.dvorak@MOSTKNADEJI.example")
	if err != nil || m.Organisation != "Most k naději, z. s." {
		t.Errorf("stored %+v %v", m, err)
	}
	text = e.text(e.do(e.fake.SlashCommand(member, channelID, "member", discordtest.SubCommand("set",
		discordtest.UserOpt("user", outsider.ID), str("organisation", "X")))), true)
	if !strings.Contains(text, "jen koordinátor") {
		t.Errorf("member setting others: %q", text)
	}
	text = e.text(e.do(e.fake.SlashCommand(coordinator, channelID, "member", discordtest.SubCommand("set",
		discordtest.UserOpt("user", outsider.ID), str("organisation", "Krajská hygienická stanice")))), true)
	if !strings.Contains(text, "Krajská hygienická stanice") {
		t.Errorf("coordinator setting others: %q", text)
	}
	text = e.text(e.do(e.fake.SlashCommand(member, channelID, "member", discordtest.SubCommand("set", str("email", "není-adresa")))), true)
	if !strings.Contains(text, "není platný e-mail") {
		t.Errorf("bad e-mail: %q", text)
	}
}

func TestAttendanceConfirmAndYearReport(t *testing.T) {
	e := newEnv(t, "cs")
	m := e.createMeeting("23. 3. 2027 10:00")
	// The card goes out before the clock passes the start: an announcement
	// of a meeting that has begun is skipped as stale.
	ann := e.announcement(func(*discordgo.MessageEmbed) bool { return true })
	for i, u := range []discordtest.User{member, {ID: "201", Username: "eva", GlobalName: "Eva Malá", Roles: []string{memberRole}}} {
		e.do(e.fake.SlashCommand(u, channelID, "member", discordtest.SubCommand("set", str("organisation", []string{"Most k naději", "Krajský úřad"}[i]))))
	}
	text := e.text(e.do(e.fake.SlashCommand(coordinator, channelID, "attendance", discordtest.SubCommand("confirm", str("meeting", fmt.Sprint(m.ID))))), true)
	if !strings.Contains(text, "ještě neproběhla") {
		t.Errorf("confirm before the meeting: %q", text)
	}
	e.clock.Set(time.Date(2027, 3, 23, 12, 0, 0, 0, time.UTC))
	text = e.text(e.do(e.fake.SlashCommand(coordinator, channelID, "attendance", discordtest.SubCommand("confirm",
		str("meeting", fmt.Sprint(m.ID)), str("guests", "=Krajský úřad")))), true)
	if !strings.Contains(text, "Jméno=Organizace") {
		t.Errorf("a guest without a name: %q", text)
	}
	resp := e.do(e.fake.SlashCommand(coordinator, channelID, "attendance", discordtest.SubCommand("confirm", str("meeting", fmt.Sprint(m.ID)),
		str("guests", "Mgr. Pavel Hrubý=Krajské ředitelství policie Ústeckého kraje; Ing. Lucie Bílá"))))
	if len(resp.Data.Components) != 1 {
		t.Fatalf("no select: %+v", resp.Data)
	}
	sel := resp.Data.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.SelectMenu)
	if len(sel.Options) != 3 {
		t.Fatalf("select options %+v", sel.Options)
	}
	petr, _ := e.store.MemberByDiscordID(context.Background(), member.ID)
	text = e.text(e.do(e.fake.Select(coordinator, channelID, ann.ID, sel.CustomID, fmt.Sprint(petr.ID))), true)
	if !strings.Contains(text, "bylo 1 účastník z 3") {
		t.Errorf("recorded: %q", text)
	}
	att, _ := e.store.AttendanceOf(context.Background(), m.ID)
	came := 0
	for _, a := range att {
		if a.Attended {
			came++
			if a.MemberID != petr.ID {
				t.Errorf("member %d recorded as present", a.MemberID)
			}
		}
	}
	if len(att) != 3 || came != 1 {
		t.Errorf("attendance %d rows, %d present", len(att), came)
	}
	if got, _ := e.store.Meeting(context.Background(), m.ID); got.Status != store.MeetingHeld {
		t.Errorf("status %s, want held", got.Status)
	}
	guests, err := e.store.Guests(context.Background(), m.ID)
	if err != nil || len(guests) != 2 || guests[0].Name != "Ing. Lucie Bílá" || guests[1].Organisation != "Krajské ředitelství policie Ústeckého kraje" {
		t.Errorf("guests %+v %v", guests, err)
	}
	text = e.text(e.do(e.fake.SlashCommand(member, channelID, "report", discordtest.IntOpt("year", 2027))), true)
	if !strings.Contains(text, "jen koordinátor") {
		t.Errorf("member asking for the report: %q", text)
	}
	// Years beyond the supported range are refused as on the shell.
	for _, year := range []int64{1899, 3000, 9999} {
		if text := e.text(e.do(e.fake.SlashCommand(coordinator, channelID, "report", discordtest.IntOpt("year", year))), true); !strings.Contains(text, "od 1900 do 2999") {
			t.Errorf("report for %d: %q", year, text)
		}
	}
	resp = e.do(e.fake.SlashCommand(coordinator, channelID, "report", discordtest.IntOpt("year", 2027)))
	if text := e.text(resp, true); !strings.Contains(text, "v příloze") {
		t.Errorf("report answer %q", text)
	}
	// The files travel in the callback's multipart body.
	var body string
	for _, r := range e.fake.Requests() {
		if strings.HasSuffix(r.Path, "/callback") {
			body = string(r.Body)
		}
	}
	for _, want := range []string{"pracovni-skupina-2027.md", "pracovni-skupina-2027.csv", "V roce 2027 se konalo 1 setkání"} {
		if !strings.Contains(body, want) {
			t.Errorf("report files lack %q", want)
		}
	}
}
