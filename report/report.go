// Package report drafts a group's annual report from the store: how often
// and when the group met, which meetings were cancelled, which
// organisations took part, what was discussed, and for each meeting who
// came, who sent apologies, who never answered, its agenda and the minutes
// filed under it.
//
// Build gathers the data into a Report; Markdown writes it as a draft for
// the coordinator to edit into the annual report, in the group's language,
// and CSV writes one row per meeting for a spreadsheet.
package report

import (
	"context"
	"fmt"
	"sort"
	"strings"
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
	// Lang is the language Markdown writes; Build sets the group's locale.
	Lang i18n.Lang
	// Meetings are the meetings that took place in the year, by start.
	Meetings []*MeetingReport
	// Cancelled are the year's cancelled meetings, by start.
	Cancelled []*store.Meeting
	// Organisations are those represented at the meetings (by recorded
	// attendance where there is any, else by RSVP yes) with how many
	// meetings each, most meetings first.
	Organisations []OrgCount
	// Topics are the accepted agenda titles in order of meetings, each
	// once.
	Topics []string
}

// MeetingReport is what the report says about one meeting that took place.
type MeetingReport struct {
	Meeting *store.Meeting
	// Attended answered yes (a substitute, if sent, is in Person.Substitute),
	// Absent answered no, Maybe answered maybe, and NoAnswer are the group's
	// members who never answered (members who joined after the meeting are
	// left out). All four come from the RSVPs, sorted by organisation and
	// name.
	Attended, Absent, Maybe, NoAnswer []Person
	// Recorded reports that a coordinator recorded the real attendance;
	// Confirmed then lists who came (or sent a substitute).
	Recorded  bool
	Confirmed []Person
	// Agenda are the accepted items' titles in agenda order.
	Agenda []string
	// Minutes are the archived messages filed under the meeting, oldest
	// first.
	Minutes []MinutesRef
}

// Present returns who came: the recorded attendance if there is any, else
// those who answered yes.
func (mr *MeetingReport) Present() []Person {
	if mr.Recorded {
		return mr.Confirmed
	}
	return mr.Attended
}

// Person is a member as the report names them.
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

// MinutesRef is an archived message filed under a meeting.
type MinutesRef struct {
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
	for _, m := range meetings {
		switch {
		case m.Status == store.MeetingCancelled:
			r.Cancelled = append(r.Cancelled, m)
		case m.Status == store.MeetingHeld, m.Start.Before(now):
			held = append(held, m)
		}
	}
	if len(held) == 0 {
		return r, nil
	}

	b := &builder{s: s, people: map[int64]*store.Member{}, joined: map[int64]time.Time{}, coll: collate.New(language.Czech)}
	if err := b.loadMembers(ctx, g.ID); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	orgMeetings := map[string]int{}
	seenTopic := map[string]bool{}
	for _, m := range held {
		mr, err := b.meeting(ctx, m)
		if err != nil {
			return nil, fmt.Errorf("report: meeting %d: %w", m.ID, err)
		}
		r.Meetings = append(r.Meetings, mr)
		for _, org := range distinctOrgs(mr.Present()) {
			orgMeetings[org]++
		}
		for _, t := range mr.Agenda {
			key := strings.ToLower(t)
			if !seenTopic[key] {
				seenTopic[key] = true
				r.Topics = append(r.Topics, t)
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
	return r, nil
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
	rsvps, err := b.s.RSVPs(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	answered := map[int64]bool{}
	for _, rs := range rsvps {
		answered[rs.MemberID] = true
		switch rs.Answer {
		case store.AnswerYes, store.AnswerMaybe:
			p, err := b.person(ctx, rs.MemberID, rs.Substitute)
			if err != nil {
				return nil, err
			}
			if rs.Answer == store.AnswerYes {
				mr.Attended = append(mr.Attended, p)
			} else {
				mr.Maybe = append(mr.Maybe, p)
			}
		case store.AnswerNo:
			// A substitute named with "no" does not come: the store
			// does not count it either.
			p, err := b.person(ctx, rs.MemberID, "")
			if err != nil {
				return nil, err
			}
			mr.Absent = append(mr.Absent, p)
		}
	}
	for _, gm := range b.members {
		if !answered[gm.ID] && !b.joined[gm.ID].After(m.Start) {
			mr.NoAnswer = append(mr.NoAnswer, Person{Name: gm.DisplayName, Organisation: gm.Organisation})
		}
	}

	att, err := b.s.AttendanceOf(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	mr.Recorded = len(att) > 0
	for _, a := range att {
		if !a.Attended {
			continue
		}
		p, err := b.person(ctx, a.MemberID, a.Substitute)
		if err != nil {
			return nil, err
		}
		mr.Confirmed = append(mr.Confirmed, p)
	}
	for _, ps := range [][]Person{mr.Attended, mr.Absent, mr.Maybe, mr.NoAnswer, mr.Confirmed} {
		b.sortPeople(ps)
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

	msgs, err := b.s.ArchiveMessages(ctx, store.ArchiveFilter{MeetingID: m.ID, State: store.ArchiveArchived})
	if err != nil {
		return nil, err
	}
	// ArchiveMessages lists newest first; minutes read better in the
	// order they came.
	for i := len(msgs) - 1; i >= 0; i-- {
		ref := MinutesRef{Subject: msgs[i].Subject}
		for _, a := range msgs[i].Attachments {
			ref.Attachments = append(ref.Attachments, a.Filename)
		}
		mr.Minutes = append(mr.Minutes, ref)
	}
	return mr, nil
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
