package report_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/store"
)

// Slugs of the groups seedYear builds.
const (
	seedWorkingGroup = "pracovni-skupina"
	seedLocal        = "mistni-koordinatori"
	seedRoundTable   = "primarni-prevence"
)

// seedNow is when the seed year is written up: mid-January 2023, as a
// regional coordinator does before the annual report is due.
var seedNow = time.Date(2023, time.January, 16, 9, 0, 0, 0, mustLoad("Europe/Prague"))

// seedAt is a wall-clock time in Prague in 2022.
func seedAt(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2022, month, day, hour, minute, 0, 0, mustLoad("Europe/Prague"))
}

// seedYear builds, on a real SQLite file and through the core (package
// meeting) as the shell and the bot would, a year like the one in
// ../shared/seeds/000_*.txt, written up in January 2023:
//
//   - "pracovni-skupina" (Pracovní skupina protidrogové politiky, 7
//     members of 6 organisations, registered in January 2022): met 23. 3.
//     (written up: attendance with a deputy and the others recorded
//     absent, topics added as agenda items, minutes tagged
//     "[pracovni-skupina]" with a guest's "RE:" reply), 23. 6. (written up:
//     partial attendance, a recorded absence, two guests from the police
//     and the public-health office, no agenda items but minutes whose DOCX
//     holds a numbered "Program jednání:", and a "Fwd:") and 2. 11.
//     (planned ahead: answers yes, no, maybe and none, attendance never
//     recorded, a numbered "Program:" in the minutes' body); 15. 9. was
//     cancelled.
//   - "mistni-koordinatori" (Metodická setkání s místními protidrogovými
//     koordinátory, 16 municipal coordinators imported in 2023): met 7. 6.
//     (15 of the 16 municipalities, one by deputy, Šluknov excused) and
//     8. 11. (12 came, a guest from Most k naději).
//   - "primarni-prevence" (Primární prevence v oblasti adiktologie): one
//     round table on 19. 10. with guests from outside the group.
//
// It returns the store and the instant to build reports at.
func seedYear(t testing.TB) (*store.Store, time.Time) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	clock := seedAt(time.January, 10, 9, 0)
	s.Now = func() time.Time { return clock }
	core := meeting.New(s)
	core.Now = func() time.Time { return clock }
	op := meeting.Operator()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	group := func(slug, name string) *store.Group {
		g := &store.Group{Slug: slug, Name: name, TimeZone: "Europe/Prague", Locale: i18n.Czech}
		must(s.UpsertGroup(ctx, g))
		return g
	}
	ps := group(seedWorkingGroup, "Pracovní skupina protidrogové politiky")
	local := group(seedLocal, "Metodická setkání s místními protidrogovými koordinátory")
	prevention := group(seedRoundTable, "Primární prevence v oblasti adiktologie")

	ids := map[string]int64{}
	add := func(g *store.Group, name, org, email string) {
		t.Helper()
		res, err := core.AddMember(ctx, op, g.ID, meeting.MemberInput{Name: name, Organisation: org, Emails: []string{email}})
		must(err)
		ids[name] = res.Member.ID
	}
	past := func(g *store.Group, start time.Time, title, place string) int64 {
		t.Helper()
		res, err := core.Create(ctx, op, g.ID, meeting.Draft{Title: title, Start: start, Duration: 3 * time.Hour, Place: place, Past: true})
		must(err)
		return res.Meeting.ID
	}
	topics := func(meetingID int64, titles ...string) {
		t.Helper()
		for _, title := range titles {
			res, err := core.Propose(ctx, op, meetingID, 0, title, "")
			must(err)
			if res.Item.Status != store.AgendaAccepted {
				t.Fatalf("topic %q of a held meeting is %s, want accepted", title, res.Item.Status)
			}
		}
	}
	present := func(names ...string) []meeting.Presence {
		var out []meeting.Presence
		for _, n := range names {
			out = append(out, meeting.Presence{MemberID: ids[n], Attended: true})
		}
		return out
	}
	attendance := func(meetingID int64, list []meeting.Presence, othersAbsent bool, guests ...store.Guest) {
		t.Helper()
		_, err := core.RecordAttendance(ctx, op, meetingID, 0, list, othersAbsent, guests...)
		must(err)
	}
	serial := 0
	archive := func(g *store.Group, meetingID int64, sent time.Time, fromName, from, subject, body string, atts ...*store.Attachment) int64 {
		t.Helper()
		serial++
		raw := []byte(fmt.Sprintf("From: %s <%s>\r\nSubject: %s\r\nMessage-ID: <seed-%d@kr-ustecky.cz>\r\n\r\n%s\r\n", fromName, from, subject, serial, body))
		sum := sha256.Sum256(raw)
		for _, a := range atts {
			h := sha256.Sum256(a.Content)
			a.SHA256 = hex.EncodeToString(h[:])
		}
		m := &store.ArchiveMessage{MessageID: fmt.Sprintf("seed-%d@kr-ustecky.cz", serial), ContentHash: hex.EncodeToString(sum[:]),
			FromAddr: from, FromName: fromName, Subject: subject, Sent: sent, Received: sent.Add(time.Minute),
			BodyText: body, Raw: raw, GroupID: g.ID, MeetingID: meetingID, Attachments: atts}
		_, err := s.AddArchiveMessage(ctx, m)
		must(err)
		return m.ID
	}
	docx := func(name, text string) *store.Attachment {
		return &store.Attachment{Filename: name, MediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			Content: []byte("PK\x03\x04 " + name), Text: text}
	}

	// The working group's members, registered at the start of the year.
	add(ps, "Jana Nováková", "Krajský úřad Ústeckého kraje", "jana.novakova@kr-ustecky.cz")
	add(ps, "Petr Svoboda", "Krajský úřad Ústeckého kraje", "petr.svoboda@kr-ustecky.cz")
	add(ps, "Lucie Malá", "Most k naději, z. s.", "lucie.mala@mostknadeji.eu")
	add(ps, "Chrudoš Hájek", "White Light I, z. ú.", "hajek@whitelight.cz")
	add(ps, "Tomáš Veselý", "Magistrát města Ústí nad Labem", "tomas.vesely@mag-ul.cz")
	add(ps, "Eva Horáková", "Světlo Kadaň, z. s.", "horakova@svetlokadan.cz")
	add(ps, "Martin Dvořák", "Oblastní charita Most", "dvorak@charitamost.cz")

	// 2. 11. was planned ahead: the invitation went out and people
	// answered, but nobody recorded who came.
	clock = seedAt(time.October, 3, 9, 0)
	res, err := core.Create(ctx, op, ps.ID, meeting.Draft{Title: "Jednání pracovní skupiny", Start: seedAt(time.November, 2, 9, 30),
		Duration: 3 * time.Hour, Place: "Krajský úřad Ústeckého kraje, Velká Hradební 3118/48, Ústí nad Labem"})
	must(err)
	november := res.Meeting.ID
	answer := func(name, ans, substitute string) {
		t.Helper()
		a := meeting.Operator()
		a.MemberID = ids[name]
		_, err := core.Answer(ctx, a, november, 0, ans, "", substitute)
		must(err)
	}
	answer("Jana Nováková", store.AnswerYes, "")
	answer("Petr Svoboda", store.AnswerYes, "Eva Dvořáková")
	answer("Lucie Malá", store.AnswerYes, "")
	answer("Eva Horáková", store.AnswerYes, "")
	answer("Chrudoš Hájek", store.AnswerNo, "")
	answer("Tomáš Veselý", store.AnswerMaybe, "")
	// Martin Dvořák never answers.

	// The rest is written up in January 2023.
	clock = seedNow
	office := "Krajský úřad Ústeckého kraje, zasedací místnost 2"
	march := past(ps, seedAt(time.March, 23, 10, 0), "Jednání pracovní skupiny", office)
	attendance(march, append(present("Jana Nováková", "Lucie Malá", "Chrudoš Hájek", "Tomáš Veselý"),
		meeting.Presence{MemberID: ids["Petr Svoboda"], Attended: true, Substitute: "Eva Dvořáková"}), true)
	topics(march, "Plnění strategického dokumentu a evaluace za rok 2021",
		"Aktuality z Ústeckého kraje a Úřadu vlády z oblasti protidrogové politiky",
		"Situace ohledně uprchlické vlny z Ukrajiny a její dopad na adiktologické služby")
	marchMinutes := archive(ps, 0, seedAt(time.March, 30, 14, 0), "Jana Nováková", "jana.novakova@kr-ustecky.cz",
		"[pracovni-skupina] Zápis z jednání 23. 3. 2022", "Dobrý den, v příloze zasílám zápis z jednání.",
		docx("Zapis_PS_2022-03-23.docx", "Zápis z jednání\n\nProgram:\n1. Úvod\n2. Různé\n"))
	_, err = core.AssignMinutes(ctx, op, marchMinutes, march, 0)
	must(err)
	archive(ps, march, seedAt(time.March, 31, 8, 15), "Karel Procházka", "karel.prochazka@pcr.cz",
		"RE: [pracovni-skupina] Zápis z jednání 23. 3. 2022", "Děkuji, bez připomínek.")

	june := past(ps, seedAt(time.June, 23, 10, 0), "Jednání pracovní skupiny", office)
	attendance(june, append(present("Jana Nováková", "Lucie Malá", "Martin Dvořák"),
		meeting.Presence{MemberID: ids["Tomáš Veselý"], Attended: true, Substitute: "Pavel Král"},
		meeting.Presence{MemberID: ids["Chrudoš Hájek"]}), false,
		store.Guest{Name: "Karel Procházka", Organisation: "Krajské ředitelství policie Ústeckého kraje"},
		store.Guest{Name: "Jan Černý", Organisation: "Krajská hygienická stanice Ústeckého kraje"})
	// Petr Svoboda and Eva Horáková are not on the list and never answered.
	archive(ps, june, seedAt(time.June, 28, 14, 0), "Jana Nováková", "jana.novakova@kr-ustecky.cz",
		"Zápis z jednání PS 23. 6. 2022", "Dobrý den,\nv příloze zasílám zápis.\nS pozdravem\nJana Nováková",
		docx("Zápis_PS_2022-06-23.docx", "ZÁPIS\nz jednání Pracovní skupiny protidrogové politiky dne 23. 6. 2022\n\n"+
			"Přítomni: dle prezenční listiny\n\nProgram jednání:\n"+
			"1. Plnění strategického dokumentu a evaluace za rok 2022\n"+
			"2. Financování služeb v roce 2023\n"+
			"3. Výstupy krajské výroční zprávy za rok 2021\n"+
			"4. Aktuální situace ve službách a sdílení zkušeností z lokalit…\n\n"+
			"Ad 1)\nKoordinátorka informovala o plnění akčního plánu.\n"),
		&store.Attachment{Filename: "Prezenční listina 23. 6. 2022.pdf", MediaType: "application/pdf", Content: []byte("%PDF-1.7"),
			Text: "Prezenční listina"})
	archive(ps, june, seedAt(time.June, 29, 9, 0), "Lucie Malá", "lucie.mala@mostknadeji.eu",
		"Fwd: Zápis z jednání PS 23. 6. 2022", "Přeposílám kolegům.")

	// A meeting cancelled in September, entered as such.
	must(s.CreateMeeting(ctx, &store.Meeting{GroupID: ps.ID, Title: "Jednání pracovní skupiny", Start: seedAt(time.September, 15, 10, 0),
		TimeZone: "Europe/Prague", Duration: 3 * time.Hour, Place: office, Status: store.MeetingCancelled}))

	archive(ps, november, seedAt(time.November, 9, 11, 0), "Jana Nováková", "jana.novakova@kr-ustecky.cz",
		"[pracovni-skupina] Zápis z jednání 2. 11. 2022",
		"Dobrý den,\n\nposílám stručný zápis.\n\nProgram:\n"+
			"1. Aktuality z Ústeckého kraje a Úřadu vlády z oblasti protidrogové politiky\n"+
			"2) Příprava Akčního plánu národní strategie na období 2022–2025\n"+
			"3. Drogová kriminalita a prevence kriminality.\n\nS pozdravem\nJana Nováková")

	// Sixteen municipal coordinators, imported when the year is written up.
	towns := []string{"Bílina", "Děčín", "Chomutov", "Kadaň", "Litoměřice", "Louny", "Lovosice", "Most",
		"Podbořany", "Roudnice nad Labem", "Rumburk", "Šluknov", "Teplice", "Varnsdorf", "Žatec"}
	firstNames := []string{"Alena", "Bohumil", "Dana", "Filip", "Hana", "Ivan", "Jitka", "Kamil",
		"Libuše", "Michal", "Nikola", "Ondřej", "Pavla", "Radek", "Simona", "Zdeněk"}
	var list []meeting.MemberInput
	var coordinators []string
	for i, town := range towns {
		name := fmt.Sprintf("%s Koordinátor %02d", firstNames[i], i+1)
		list = append(list, meeting.MemberInput{Name: name, Organisation: "Město " + town,
			Emails: []string{fmt.Sprintf("koordinator%02d@mesta-ustecko.cz", i+1)}})
		coordinators = append(coordinators, name)
	}
	ustiName := "Zdeněk Koordinátor 16"
	list = append(list, meeting.MemberInput{Name: ustiName, Organisation: "Statutární město Ústí nad Labem",
		Emails: []string{"koordinator16@mesta-ustecko.cz"}})
	coordinators = append(coordinators, ustiName)
	if _, _, err := core.ImportMembers(ctx, op, local.ID, list); err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		m, err := s.MemberByEmail(ctx, in.Emails[0])
		must(err)
		ids[in.Name] = m.ID
	}
	sluknov := coordinators[11]
	june7 := past(local, seedAt(time.June, 7, 9, 0), "Metodické setkání místních protidrogových koordinátorů", office)
	var came []meeting.Presence
	for i, name := range coordinators {
		switch {
		case name == sluknov:
		case i == 2: // Chomutov sent a deputy
			came = append(came, meeting.Presence{MemberID: ids[name], Attended: true, Substitute: "Mgr. Jiří Beneš"})
		default:
			came = append(came, meeting.Presence{MemberID: ids[name], Attended: true})
		}
	}
	attendance(june7, came, true)
	topics(june7, "Aktuální informace z krajské a národní protidrogové politiky",
		"Informace o aktuální situaci na drogové scéně", "Dotační programy")

	nov8 := past(local, seedAt(time.November, 8, 9, 0), "Metodické setkání místních protidrogových koordinátorů", office)
	attendance(nov8, present(coordinators[0], coordinators[1], coordinators[2], coordinators[4], coordinators[5],
		coordinators[6], coordinators[7], coordinators[9], coordinators[10], coordinators[12], coordinators[14], coordinators[15]), true,
		store.Guest{Name: "Lucie Malá", Organisation: "Most k naději, z. s."})
	topics(nov8, "Práce s klienty ve věznicích",
		"Služby Penitenciární péče ve věznicích spolku Most k naději", "Dotační programy")

	// The round table on primary prevention: a few members, most of the
	// room guests.
	add(prevention, "Jana Nováková", "Krajský úřad Ústeckého kraje", "jana.novakova@kr-ustecky.cz")
	add(prevention, "Radka Šimková", "Krajský úřad Ústeckého kraje, odbor školství", "simkova.r@kr-ustecky.cz")
	add(prevention, "Ivana Marková", "Pedagogicko-psychologická poradna Ústeckého kraje", "markova@pppuk.cz")
	roundTable := past(prevention, seedAt(time.October, 19, 13, 0), "Kulatý stůl k primární prevenci", "Krajský úřad Ústeckého kraje")
	attendance(roundTable, present("Jana Nováková", "Radka Šimková", "Ivana Marková"), true,
		store.Guest{Name: "Karel Procházka", Organisation: "Krajské ředitelství policie Ústeckého kraje"},
		store.Guest{Name: "Jan Černý", Organisation: "Krajská hygienická stanice Ústeckého kraje"},
		store.Guest{Name: "Lucie Malá", Organisation: "Most k naději, z. s."},
		store.Guest{Name: "Petra Nová"})
	topics(roundTable, "Aktuální informace z krajského úřadu a Ministerstva školství, mládeže a tělovýchovy",
		"Hodnocení Akčního plánu strategie prevence závislostí za rok 2022")
	return s, seedNow
}
