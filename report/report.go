// Package report drafts a group's annual report from the store: how often
// and when the group met, which meetings were cancelled, who the group is
// made of and how many of its organisations came, what was discussed, who
// came as a guest, and for each meeting who came, who was excused, who
// promised to come but was never recorded, who never answered, its topics
// and the minutes filed under it.
//
// # The model
//
// Build gathers a [Report]: the year's meetings that took place
// ([MeetingReport], by start) and the cancelled ones apart; the group's
// member organisations, the organisations represented (with how many
// meetings each) and the [Coverage] "15 of 16 municipalities"; the year's
// topics and guests.
//
// Attendance per meeting falls in four groups, each person in exactly one:
// Came (recorded present, a deputy in Person.Substitute), Excused
// (recorded absent, or without a record answered no), YesNotRecorded
// (answered yes but nobody recorded them), NeverAnswered (members at the
// time with neither a record nor an answer); Maybe holds a "maybe" without
// a record. A record always wins over an answer. Guests are the people who
// came without being members.
//
// Topics of a meeting are its accepted agenda items; a meeting without any
// takes the numbered program of its archived minutes ([ProgramTopics]).
// Minutes lists the messages filed under the meeting with routing tags
// stripped from subjects; replies and forwards count as Correspondence.
//
// Markdown writes the draft for the coordinator to paste into the annual
// report, in the group's language; HTML one printable page with a chart of
// attendance by organisation; CSV one row per meeting for a spreadsheet
// (WriteCSV with Excel for Czech Excel); XLSX a workbook.
package report

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"coordbot/i18n"
	"coordbot/store"
)

// Report is one group's year: the data of the annual-report paragraph.
type Report struct {
	Group *store.Group
	Year  int
	// Lang is the language Markdown and CSV write; Build sets the group's
	// locale.
	Lang i18n.Lang
	// Meetings are the meetings that took place in the year, by start.
	Meetings []*MeetingReport
	// Cancelled are the year's cancelled meetings, by start.
	Cancelled []*store.Meeting
	// MemberOrganisations are the distinct organisations of the group's
	// current members, in Czech alphabetical order: who the group is
	// made of.
	MemberOrganisations []string
	// Organisations are those represented at the meetings (members who
	// came, in person or by deputy) with how many meetings each, most
	// meetings first. Guests' organisations are not counted.
	Organisations []OrgCount
	// Coverage compares Organisations with MemberOrganisations.
	Coverage Coverage
	// Topics are the meetings' topics in order of meetings, each once.
	Topics []string
	// Guests are the year's guests, each once (by name and
	// organisation), in the order they first came.
	Guests []Person
	// zones are the meetings' time zones by name, loaded once by BuildAt
	// (time.LoadLocation reads a file each time) and only read after.
	zones map[string]*time.Location
}

// loadZones loads the time zones of the report's meetings.
func (r *Report) loadZones() {
	r.zones = map[string]*time.Location{}
	for _, m := range r.Cancelled {
		r.loadZone(m.TimeZone)
	}
	for _, mr := range r.Meetings {
		r.loadZone(mr.Meeting.TimeZone)
	}
}

func (r *Report) loadZone(name string) {
	if _, ok := r.zones[name]; ok || name == "" {
		return
	}
	if loc, err := time.LoadLocation(name); err == nil {
		r.zones[name] = loc
	}
}

// Coverage is how many of the group's member organisations were
// represented at least once in the year.
type Coverage struct {
	Represented, Of int
	// Municipalities reports that every member organisation is a
	// municipality (its name starts with Město, Obec, Městys, Statutární
	// město, Magistrát města, Městský úřad, Obecní úřad or Úřad městyse):
	// the prose then says "obcí" instead of "organizací".
	Municipalities bool
}

// MeetingReport is what the report says about one meeting that took place.
// Every person lists is sorted by organisation (none last) and name.
type MeetingReport struct {
	Meeting *store.Meeting
	// Recorded reports that a coordinator recorded who came.
	Recorded bool
	// Came are the members recorded present; Substitute names the deputy
	// who came instead.
	Came []Person
	// Excused are the members recorded absent, and those without a record
	// who answered no.
	Excused []Person
	// YesNotRecorded are the members who answered yes (Substitute: the
	// deputy they announced) and have no record: a promise, not a head
	// count.
	YesNotRecorded []Person
	// Maybe are the members who answered maybe and have no record.
	Maybe []Person
	// NeverAnswered are the members at the time of the meeting with
	// neither a record nor an answer (members who joined later are left
	// out).
	NeverAnswered []Person
	// Guests came without being members of the group.
	Guests []Person
	// Agenda are the accepted agenda items' titles in agenda order.
	Agenda []string
	// Topics are what was discussed: Agenda, or when that is empty the
	// numbered program found in the minutes (TopicsFromMinutes).
	Topics            []string
	TopicsFromMinutes bool
	// Minutes are the archived messages filed under the meeting that are
	// not replies or forwards, oldest first.
	Minutes []MinutesRef
	// Correspondence counts the replies and forwards filed under the
	// meeting (a guest's "RE: Zápis…"): mail about the minutes, not
	// minutes.
	Correspondence int
}

// Present returns who came: the members recorded present.
func (mr *MeetingReport) Present() []Person { return mr.Came }

// Person is a member or guest as the report names them.
type Person struct {
	Name         string
	Organisation string
	// Substitute is the deputy who came instead ("" for none).
	Substitute string
}

// OrgCount is an organisation and the number of meetings it attended.
type OrgCount struct {
	Organisation string
	Meetings     int
}

// MinutesRef is an archived message filed under a meeting as its minutes.
type MinutesRef struct {
	// Subject is the message's subject without routing tags.
	Subject string
	// Attachments are the file names, in the message's order.
	Attachments []string
}

// Build gathers the report of the group with groupSlug for a calendar year,
// as of now. See BuildAt.
func Build(ctx context.Context, s *store.Store, groupSlug string, year int) (*Report, error) {
	return BuildAt(ctx, s, groupSlug, year, time.Now())
}

// BuildAt gathers the report of the group with groupSlug for a calendar
// year in the group's time zone. A meeting took place if it is marked held,
// or is still scheduled but started before now (nobody marked it); a
// scheduled meeting still to come is left out, and cancelled ones are listed
// apart. A year without meetings gives a report without meetings, not an
// error; an unknown group gives an error wrapping store.ErrNotFound.
func BuildAt(ctx context.Context, s *store.Store, groupSlug string, year int, now time.Time) (*Report, error) {
	g, err := s.GroupBySlug(ctx, groupSlug)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	loc, err := g.Location()
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	lang, err := i18n.ParseLang(string(g.Locale))
	if err != nil {
		lang = i18n.Czech
	}
	meetings, err := s.Meetings(ctx, store.MeetingFilter{
		GroupID: g.ID,
		From:    time.Date(year, time.January, 1, 0, 0, 0, 0, loc),
		To:      time.Date(year+1, time.January, 1, 0, 0, 0, 0, loc),
	})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r := &Report{Group: g, Year: year, Lang: lang}
	var held []*store.Meeting
	var heldIDs []int64
	for _, m := range meetings {
		switch {
		case m.Status == store.MeetingCancelled:
			r.Cancelled = append(r.Cancelled, m)
		case m.Status == store.MeetingHeld, m.Start.Before(now):
			held = append(held, m)
			heldIDs = append(heldIDs, m.ID)
		}
	}
	// The whole year in a few queries (members, attendance, answers,
	// guests, agenda, minutes' subjects), not several per meeting.
	reads, err := s.ReadReport(ctx, g.ID, heldIDs, minutesPerMeeting)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	b := &builder{reads: reads, coll: collate.New(language.Czech), minutesIDs: map[*MeetingReport][]int64{}}
	r.MemberOrganisations = b.memberOrgs()
	for _, m := range held {
		r.Meetings = append(r.Meetings, b.meeting(m))
	}
	if err := b.topicsFromMinutes(ctx, s, r.Meetings); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}

	orgMeetings := map[string]int{}
	seenTopic := map[string]bool{}
	seenGuest := map[Person]bool{}
	for _, mr := range r.Meetings {
		for _, org := range distinctOrgs(mr.Came) {
			orgMeetings[org]++
		}
		for _, t := range mr.Topics {
			key := strings.ToLower(t)
			if !seenTopic[key] {
				seenTopic[key] = true
				r.Topics = append(r.Topics, t)
			}
		}
		for _, gp := range mr.Guests {
			if !seenGuest[gp] {
				seenGuest[gp] = true
				r.Guests = append(r.Guests, gp)
			}
		}
	}
	for org, n := range orgMeetings {
		r.Organisations = append(r.Organisations, OrgCount{Organisation: org, Meetings: n})
	}
	sort.Slice(r.Organisations, func(i, j int) bool {
		a, c := r.Organisations[i], r.Organisations[j]
		if a.Meetings != c.Meetings {
			return a.Meetings > c.Meetings
		}
		return b.coll.CompareString(a.Organisation, c.Organisation) < 0
	})
	r.Coverage = coverage(r.MemberOrganisations, orgMeetings)
	r.loadZones()
	return r, nil
}

// minutesPerMeeting caps the messages listed under one meeting.
const minutesPerMeeting = 1000

// coverage counts the member organisations represented at least once.
func coverage(memberOrgs []string, came map[string]int) Coverage {
	c := Coverage{Of: len(memberOrgs), Municipalities: len(memberOrgs) > 0}
	for _, org := range memberOrgs {
		if came[org] > 0 {
			c.Represented++
		}
		if !IsMunicipality(org) {
			c.Municipalities = false
		}
	}
	return c
}

// municipalPrefixes start the names of Czech municipalities and their
// offices as coordinators write them in member lists.
var municipalPrefixes = []string{
	"město ", "obec ", "městys ", "statutární město ", "magistrát města ", "magistrát statutárního města ",
	"městský úřad ", "obecní úřad ", "úřad městyse ",
}

// IsMunicipality reports whether an organisation's name is that of a
// municipality or its office ("Město Děčín", "Obec Malšovice", "Městský
// úřad Rumburk"): a group of them is counted in "obcí" rather than
// "organizací".
func IsMunicipality(org string) bool {
	lower := strings.ToLower(strings.TrimSpace(org)) + " "
	for _, p := range municipalPrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return false
}

// builder makes one report's meetings from the year's reads.
type builder struct {
	reads *store.ReportReads
	// coll sorts names the Czech way (ch after h, č after c); not safe
	// for concurrent use, which a builder never is.
	coll *collate.Collator
	// current indexes reads.Members by id.
	current map[int64]*store.ReportMember
	// minutesIDs are the ids of each meeting's Minutes, in their order.
	minutesIDs map[*MeetingReport][]int64
}

// memberOrgs lists the current members' distinct organisations in Czech
// order.
func (b *builder) memberOrgs() []string {
	var out []string
	seen := map[string]bool{}
	for _, gm := range b.reads.Members {
		org := strings.TrimSpace(gm.Organisation)
		if org != "" && !seen[org] {
			seen[org] = true
			out = append(out, org)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return b.coll.CompareString(out[i], out[j]) < 0 })
	return out
}

// person names a member, current or former.
func (b *builder) person(memberID int64, substitute string) Person {
	if b.current == nil {
		b.current = make(map[int64]*store.ReportMember, len(b.reads.Members))
		for _, gm := range b.reads.Members {
			b.current[gm.ID] = gm
		}
	}
	var m *store.Member
	if gm := b.current[memberID]; gm != nil {
		m = &gm.Member
	} else if m = b.reads.People[memberID]; m == nil {
		// A record names a member row, which is never deleted while
		// referenced; an unnamed person still counts.
		m = &store.Member{}
	}
	return Person{Name: m.DisplayName, Organisation: m.Organisation, Substitute: substitute}
}

// meeting makes a meeting's report, its topics from the agenda; a
// meeting without agenda items gets them from its minutes later
// (topicsFromMinutes).
func (b *builder) meeting(m *store.Meeting) *MeetingReport {
	mr := &MeetingReport{Meeting: m}
	b.attendance(mr)
	for _, it := range b.reads.Agenda[m.ID] {
		if it.Status == store.AgendaAccepted {
			mr.Agenda = append(mr.Agenda, it.Title)
		}
	}
	mr.Topics = mr.Agenda
	b.minutes(mr)
	return mr
}

// attendance sorts the group's members into the four groups: a record
// wins over an answer, an answer over silence.
func (b *builder) attendance(mr *MeetingReport) {
	m := mr.Meeting
	att := b.reads.Attendance[m.ID]
	mr.Recorded = len(att) > 0
	placed := map[int64]bool{}
	for _, a := range att {
		placed[a.MemberID] = true
		sub := a.Substitute
		if !a.Attended {
			sub = ""
		}
		p := b.person(a.MemberID, sub)
		if a.Attended {
			mr.Came = append(mr.Came, p)
		} else {
			mr.Excused = append(mr.Excused, p)
		}
	}
	for _, rs := range b.reads.RSVPs[m.ID] {
		if placed[rs.MemberID] {
			continue
		}
		placed[rs.MemberID] = true
		sub := rs.Substitute
		if rs.Answer == store.AnswerNo {
			sub = "" // a deputy named with "no" does not come
		}
		p := b.person(rs.MemberID, sub)
		switch rs.Answer {
		case store.AnswerYes:
			mr.YesNotRecorded = append(mr.YesNotRecorded, p)
		case store.AnswerNo:
			mr.Excused = append(mr.Excused, p)
		default:
			mr.Maybe = append(mr.Maybe, p)
		}
	}
	for _, gm := range b.reads.Members {
		if !placed[gm.ID] && !gm.JoinedAt.After(m.Start) {
			mr.NeverAnswered = append(mr.NeverAnswered, Person{Name: gm.DisplayName, Organisation: gm.Organisation})
		}
	}
	for _, g := range b.reads.Guests[m.ID] {
		mr.Guests = append(mr.Guests, Person{Name: g.Name, Organisation: g.Organisation})
	}
	for _, ps := range [][]Person{mr.Came, mr.Excused, mr.YesNotRecorded, mr.Maybe, mr.NeverAnswered, mr.Guests} {
		b.sortPeople(ps)
	}
}

// minutes lists the messages filed under the meeting as minutes, oldest
// first, or counts them as correspondence.
func (b *builder) minutes(mr *MeetingReport) {
	msgs := b.reads.Minutes[mr.Meeting.ID]
	// The reads list newest first; minutes read better in the order they
	// came.
	for i := len(msgs) - 1; i >= 0; i-- {
		msg := msgs[i]
		subject := CleanSubject(msg.Subject)
		if replyPrefix().MatchString(subject) { // IsCorrespondence
			mr.Correspondence++
			continue
		}
		mr.Minutes = append(mr.Minutes, MinutesRef{Subject: subject, Attachments: msg.Attachments})
		b.minutesIDs[mr] = append(b.minutesIDs[mr], msg.ID)
	}
}

// topicsFromMinutes gives each meeting without agenda items the numbered
// program of the first of its minutes (oldest first; body, then each
// attachment's text) that has one. Texts are read for all such meetings
// at once, one message of each in the first round, then twice as many
// in each next round, so that the usual year, whose first minutes hold
// the program, costs one query and a meeting whose minutes have none
// costs a few.
func (b *builder) topicsFromMinutes(ctx context.Context, s *store.Store, mrs []*MeetingReport) error {
	type pending struct {
		mr  *MeetingReport
		ids []int64 // minutes still to look at, oldest first
	}
	var todo []*pending
	for _, mr := range mrs {
		if len(mr.Topics) > 0 {
			continue
		}
		if ids := b.minutesIDs[mr]; len(ids) > 0 {
			todo = append(todo, &pending{mr: mr, ids: ids})
		}
	}
	for round := 1; len(todo) > 0; round *= 2 {
		var ids []int64
		for _, p := range todo {
			ids = append(ids, p.ids[:min(round, len(p.ids))]...)
		}
		texts, err := s.ReportTexts(ctx, ids)
		if err != nil {
			return err
		}
		var next []*pending
		for _, p := range todo {
			n := min(round, len(p.ids))
			if !findTopics(p.mr, p.ids[:n], texts) && n < len(p.ids) {
				p.ids = p.ids[n:]
				next = append(next, p)
			}
		}
		todo = next
	}
	return nil
}

// findTopics sets the meeting's topics from the first message of ids
// whose texts hold a program and reports whether one did.
func findTopics(mr *MeetingReport, ids []int64, texts map[int64][]string) bool {
	for _, id := range ids {
		for _, text := range texts[id] {
			if topics := ProgramTopics(text); len(topics) > 0 {
				mr.Topics, mr.TopicsFromMinutes = topics, true
				return true
			}
		}
	}
	return false
}

// sortPeople orders people by organisation (those without one last), then
// name.
func (b *builder) sortPeople(ps []Person) {
	sort.SliceStable(ps, func(i, j int) bool {
		if c := compareOrgs(b.coll, ps[i].Organisation, ps[j].Organisation); c != 0 {
			return c < 0
		}
		return b.coll.CompareString(ps[i].Name, ps[j].Name) < 0
	})
}

// distinctOrgs lists the distinct non-empty organisations of people, in
// the order they come.
func distinctOrgs(ps []Person) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range ps {
		if p.Organisation != "" && !seen[p.Organisation] {
			seen[p.Organisation] = true
			out = append(out, p.Organisation)
		}
	}
	return out
}

// compareOrgs orders organisation names with "" (none given) last.
func compareOrgs(coll *collate.Collator, a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	return coll.CompareString(a, b)
}

// lazyRegexp compiles expr on first use: the patterns of this package
// serve the report only, and every coordbot command would otherwise
// compile them at start-up (issue 14).
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// replyPrefix starts the subject of a reply or forward: English and
// German clients write "Re:", "Fwd:", "FW:", "AW:", "WG:", Czech Outlook
// "Odp:" and "PŘ:" (přeposlat), some clients "RE[2]:".
var replyPrefix = lazyRegexp(`(?i)^(re|fw|fwd|odp|př|pr|aw|wg|sv|vs|tr)(\[\d+\])?\s*:`)

// CleanSubject strips routing tags ("[pracovni-skupina] ", or any other
// bracketed tag a mailing list or a coordinator's rule puts before a
// subject) from the start of a subject and trims it. It is called for
// every message of a year, so it scans the bytes rather than running a
// regular expression.
func CleanSubject(s string) string {
	for {
		t := strings.TrimLeft(s, asciiSpace)
		if !strings.HasPrefix(t, "[") {
			return strings.TrimSpace(s)
		}
		end := strings.IndexByte(t, ']')
		if end < 0 {
			return strings.TrimSpace(s)
		}
		s = strings.TrimLeft(t[end+1:], asciiSpace)
	}
}

// asciiSpace is what \s matches in a Go regular expression.
const asciiSpace = " \t\n\f\r"

// IsCorrespondence reports whether a subject is that of a reply or a
// forward ("RE: Zápis…", "Odp: [ps] Zápis…"), routing tags before the
// prefix included: mail about minutes rather than minutes.
func IsCorrespondence(subject string) bool {
	return replyPrefix().MatchString(CleanSubject(subject))
}

var (
	// programHeading is the line that opens a meeting's program in its
	// minutes: "Program:", "Program jednání:", "PROGRAM SETKÁNÍ:".
	programHeading = lazyRegexp(`(?i)^\s*program(\s+(jednání|setkání|schůze|porady))?\s*:\s*$`)
	// programItem is one numbered line: "1. Plnění…", "2) Financování…".
	programItem = lazyRegexp(`^\s*(\d{1,2})\s*[.)]\s+(\S.*)$`)
)

// ProgramTopics returns the numbered lines after the first "Program:" or
// "Program jednání:" line of minutes' text, without their numbers and
// trailing dots or ellipses. Blank lines may come before the first item;
// the list ends at the first other line or when the numbering does not go
// on by one. Text without such a program gives nil.
func ProgramTopics(text string) []string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, line := range lines {
		// Most lines do not start with "program": skip the regular
		// expression for them (minutes of a year are read line by line).
		t := strings.TrimLeft(line, asciiSpace)
		if len(t) < len("program") || !strings.EqualFold(t[:len("program")], "program") ||
			!programHeading().MatchString(line) {
			continue
		}
		var topics []string
		next := 0
		for _, l := range lines[i+1:] {
			if strings.TrimSpace(l) == "" {
				if len(topics) == 0 {
					continue
				}
				break
			}
			m := programItem().FindStringSubmatch(l)
			if m == nil {
				break
			}
			n, _ := strconv.Atoi(m[1])
			if next != 0 && n != next {
				break
			}
			next = n + 1
			if t := strings.TrimRight(strings.TrimSpace(m[2]), ".…: "); t != "" {
				topics = append(topics, t)
			}
		}
		if len(topics) > 0 {
			return topics
		}
	}
	return nil
}
