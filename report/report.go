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
	b := &builder{s: s, people: map[int64]*store.Member{}, joined: map[int64]time.Time{}, coll: collate.New(language.Czech)}
	if err := b.loadMembers(ctx, g.ID); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r.MemberOrganisations = b.memberOrgs()

	var held []*store.Meeting
	for _, m := range meetings {
		switch {
		case m.Status == store.MeetingCancelled:
			r.Cancelled = append(r.Cancelled, m)
		case m.Status == store.MeetingHeld, m.Start.Before(now):
			held = append(held, m)
		}
	}
	orgMeetings := map[string]int{}
	seenTopic := map[string]bool{}
	seenGuest := map[Person]bool{}
	for _, m := range held {
		mr, err := b.meeting(ctx, m)
		if err != nil {
			return nil, fmt.Errorf("report: meeting %d: %w", m.ID, err)
		}
		r.Meetings = append(r.Meetings, mr)
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
	return r, nil
}

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

// builder reads one report's data, remembering members between meetings.
type builder struct {
	s *store.Store
	// members are the group's current members.
	members []*store.GroupMember
	// people caches every member met so far, former members included.
	people map[int64]*store.Member
	// joined is when each current member joined the group.
	joined map[int64]time.Time
	// coll sorts names the Czech way (ch after h, č after c); not safe
	// for concurrent use, which a builder never is.
	coll *collate.Collator
}

func (b *builder) loadMembers(ctx context.Context, groupID int64) error {
	var err error
	if b.members, err = b.s.GroupMembers(ctx, groupID); err != nil {
		return err
	}
	for _, gm := range b.members {
		b.people[gm.ID] = &gm.Member
		ms, err := b.s.MembershipOf(ctx, groupID, gm.ID)
		if err != nil {
			return err
		}
		b.joined[gm.ID] = ms.JoinedAt
	}
	return nil
}

// memberOrgs lists the current members' distinct organisations in Czech
// order.
func (b *builder) memberOrgs() []string {
	var out []string
	seen := map[string]bool{}
	for _, gm := range b.members {
		org := strings.TrimSpace(gm.Organisation)
		if org != "" && !seen[org] {
			seen[org] = true
			out = append(out, org)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return b.coll.CompareString(out[i], out[j]) < 0 })
	return out
}

// person names a member; a former member of the group is read on demand.
func (b *builder) person(ctx context.Context, memberID int64, substitute string) (Person, error) {
	m := b.people[memberID]
	if m == nil {
		var err error
		if m, err = b.s.Member(ctx, memberID); err != nil {
			return Person{}, err
		}
		b.people[memberID] = m
	}
	return Person{Name: m.DisplayName, Organisation: m.Organisation, Substitute: substitute}, nil
}

func (b *builder) meeting(ctx context.Context, m *store.Meeting) (*MeetingReport, error) {
	mr := &MeetingReport{Meeting: m}
	if err := b.attendance(ctx, mr); err != nil {
		return nil, err
	}
	items, err := b.s.Agenda(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.Status == store.AgendaAccepted {
			mr.Agenda = append(mr.Agenda, it.Title)
		}
	}
	mr.Topics = mr.Agenda
	if err := b.minutes(ctx, mr); err != nil {
		return nil, err
	}
	return mr, nil
}

// attendance sorts the group's members into the four groups: a record
// wins over an answer, an answer over silence.
func (b *builder) attendance(ctx context.Context, mr *MeetingReport) error {
	m := mr.Meeting
	att, err := b.s.AttendanceOf(ctx, m.ID)
	if err != nil {
		return err
	}
	rsvps, err := b.s.RSVPs(ctx, m.ID)
	if err != nil {
		return err
	}
	mr.Recorded = len(att) > 0
	placed := map[int64]bool{}
	for _, a := range att {
		placed[a.MemberID] = true
		sub := a.Substitute
		if !a.Attended {
			sub = ""
		}
		p, err := b.person(ctx, a.MemberID, sub)
		if err != nil {
			return err
		}
		if a.Attended {
			mr.Came = append(mr.Came, p)
		} else {
			mr.Excused = append(mr.Excused, p)
		}
	}
	for _, rs := range rsvps {
		if placed[rs.MemberID] {
			continue
		}
		placed[rs.MemberID] = true
		sub := rs.Substitute
		if rs.Answer == store.AnswerNo {
			sub = "" // a deputy named with "no" does not come
		}
		p, err := b.person(ctx, rs.MemberID, sub)
		if err != nil {
			return err
		}
		switch rs.Answer {
		case store.AnswerYes:
			mr.YesNotRecorded = append(mr.YesNotRecorded, p)
		case store.AnswerNo:
			mr.Excused = append(mr.Excused, p)
		default:
			mr.Maybe = append(mr.Maybe, p)
		}
	}
	for _, gm := range b.members {
		if !placed[gm.ID] && !b.joined[gm.ID].After(m.Start) {
			mr.NeverAnswered = append(mr.NeverAnswered, Person{Name: gm.DisplayName, Organisation: gm.Organisation})
		}
	}
	guests, err := b.s.Guests(ctx, m.ID)
	if err != nil {
		return err
	}
	for _, g := range guests {
		mr.Guests = append(mr.Guests, Person{Name: g.Name, Organisation: g.Organisation})
	}
	for _, ps := range [][]Person{mr.Came, mr.Excused, mr.YesNotRecorded, mr.Maybe, mr.NeverAnswered, mr.Guests} {
		b.sortPeople(ps)
	}
	return nil
}

// minutes lists the messages filed under the meeting as minutes or counts
// them as correspondence and, for a meeting without agenda items, reads
// its topics from the minutes' numbered program.
func (b *builder) minutes(ctx context.Context, mr *MeetingReport) error {
	// Subjects and attachment names only: a meeting's text is read below,
	// one message at a time, only while its topics are still unknown.
	msgs, err := b.s.ArchiveMessages(ctx, store.ArchiveFilter{MeetingID: mr.Meeting.ID, State: store.ArchiveArchived,
		Limit: 1000, WithoutBody: true})
	if err != nil {
		return err
	}
	// ArchiveMessages lists newest first; minutes read better in the
	// order they came.
	for i := len(msgs) - 1; i >= 0; i-- {
		msg := msgs[i]
		if IsCorrespondence(msg.Subject) {
			mr.Correspondence++
			continue
		}
		ref := MinutesRef{Subject: CleanSubject(msg.Subject)}
		for _, a := range msg.Attachments {
			ref.Attachments = append(ref.Attachments, a.Filename)
		}
		mr.Minutes = append(mr.Minutes, ref)
		if len(mr.Topics) > 0 {
			continue
		}
		// The body first, then each attachment's text.
		texts, err := b.s.ArchiveTexts(ctx, msg.ID)
		if err != nil {
			return err
		}
		for _, text := range texts {
			if topics := ProgramTopics(text); len(topics) > 0 {
				mr.Topics, mr.TopicsFromMinutes = topics, true
				break
			}
		}
	}
	return nil
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

// routingTag is a leading "[pracovni-skupina]" or any other bracketed tag
// a mailing list or a coordinator's rule puts before a subject.
var routingTag = lazyRegexp(`^\s*\[[^\]]*\]\s*`)

// replyPrefix starts the subject of a reply or forward: English and
// German clients write "Re:", "Fwd:", "FW:", "AW:", "WG:", Czech Outlook
// "Odp:" and "PŘ:" (přeposlat), some clients "RE[2]:".
var replyPrefix = lazyRegexp(`(?i)^(re|fw|fwd|odp|př|pr|aw|wg|sv|vs|tr)(\[\d+\])?\s*:`)

// CleanSubject strips routing tags ("[pracovni-skupina] ") from the start
// of a subject and trims it.
func CleanSubject(s string) string {
	for {
		t := routingTag().ReplaceAllString(s, "")
		if t == s {
			return strings.TrimSpace(s)
		}
		s = t
	}
}

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
		if !programHeading().MatchString(line) {
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
