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

// OldBuildAt exposes oldBuildAt to the external tests.
var OldBuildAt = oldBuildAt

// oldBuildAt is the builder before issue 11's per-year reads, kept as the
// oracle the new one is compared with. It gathers the report of the group with groupSlug for a calendar
// year in the group's time zone. A meeting took place if it is marked held,
// or is still scheduled but started before now (nobody marked it); a
// scheduled meeting still to come is left out, and cancelled ones are listed
// apart. A year without meetings gives a report without meetings, not an
// error; an unknown group gives an error wrapping store.ErrNotFound.
func oldBuildAt(ctx context.Context, s *store.Store, groupSlug string, year int, now time.Time) (*Report, error) {
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
	b := &oldBuilder{s: s, people: map[int64]*store.Member{}, joined: map[int64]time.Time{}, coll: collate.New(language.Czech)}
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
	r.loadZones() // not in the old builder; the rendering's cache
	return r, nil
}

// oldBuilder reads one report's data, remembering members between meetings.
type oldBuilder struct {
	s *store.Store
	// members are the group's current members.
	members []*store.GroupMember
	// people caches every member met so far, former members included.
	people map[int64]*store.Member
	// joined is when each current member joined the group.
	joined map[int64]time.Time
	// coll sorts names the Czech way (ch after h, č after c); not safe
	// for concurrent use, which a oldBuilder never is.
	coll *collate.Collator
}

func (b *oldBuilder) loadMembers(ctx context.Context, groupID int64) error {
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
func (b *oldBuilder) memberOrgs() []string {
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
func (b *oldBuilder) person(ctx context.Context, memberID int64, substitute string) (Person, error) {
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

func (b *oldBuilder) meeting(ctx context.Context, m *store.Meeting) (*MeetingReport, error) {
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
func (b *oldBuilder) attendance(ctx context.Context, mr *MeetingReport) error {
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
func (b *oldBuilder) minutes(ctx context.Context, mr *MeetingReport) error {
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
func (b *oldBuilder) sortPeople(ps []Person) {
	sort.SliceStable(ps, func(i, j int) bool {
		if c := compareOrgs(b.coll, ps[i].Organisation, ps[j].Organisation); c != 0 {
			return c < 0
		}
		return b.coll.CompareString(ps[i].Name, ps[j].Name) < 0
	})
}
