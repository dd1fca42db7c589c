package meeting

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"coordbot/outbox"
	"coordbot/store"
)

// Limits on what an answer carries; longer text is cut, not refused (a
// Discord modal enforces them already).
const (
	MaxNote       = 1000
	MaxSubstitute = 200
)

// Answered is an answer as recorded.
type Answered struct {
	Result
	RSVP *store.RSVP
}

// Answer records a member's answer (store.AnswerYes, AnswerNo or
// AnswerMaybe) to a scheduled meeting that has not started, with an
// optional note and the deputy who comes instead. A member acts for
// themselves; the operator for the member in a.MemberID, who must be in
// the group. The card's counts are refreshed by a coalesced edit.
func (s *Service) Answer(ctx context.Context, a Actor, meetingID, inGroup int64, answer, note, substitute string) (*Answered, error) {
	if answer != store.AnswerYes && answer != store.AnswerNo && answer != store.AnswerMaybe {
		return nil, refuse(textBadAnswer)
	}
	req := &answerReq{ctx: ctx, a: a, meetingID: meetingID, inGroup: inGroup, answer: answer, note: note,
		substitute: substitute, done: make(chan struct{})}
	s.answers.submit(s, req)
	<-req.done
	if req.err != nil {
		return nil, errorf("answer", req.err)
	}
	return req.res, nil
}

// answerTx is Answer inside a transaction the caller owns: a mail answer
// records it in the transaction that marks the message's action done.
func (s *Service) answerTx(tx *store.Tx, a Actor, meetingID, inGroup int64, answer, note, substitute string) (*Answered, error) {
	if answer != store.AnswerYes && answer != store.AnswerNo && answer != store.AnswerMaybe {
		return nil, refuse(textBadAnswer)
	}
	m, g, err := meetingIn(tx, meetingID, inGroup)
	if err != nil {
		return nil, err
	}
	return s.answerOn(tx, m, g, a, answer, note, substitute, true, nil)
}

// answerOn records the answer to meeting m of group g, both read in tx.
// The answer was checked by the caller. Every refusal comes before the
// first write, so a refused answer has written nothing. refresh false
// leaves out the card's refresh, which the caller has asked for already in
// this transaction. b, when not nil, is the batch the answer belongs to:
// the respondent is looked up in what it has read, and the answer joins
// its RSVPs, which the batch writes at its end.
func (s *Service) answerOn(tx *store.Tx, m *store.Meeting, g *store.Group, a Actor, answer, note, substitute string, refresh bool, b *batchTx) (*Answered, error) {
	note, substitute = cut(multiLine(note), MaxNote), cut(singleLine(substitute), MaxSubstitute)
	var known map[string]store.DiscordRole
	if b != nil {
		known = b.known[g.ID]
	}
	who, err := s.respondent(tx, g, a, known)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if b != nil {
		now = b.now
	}
	if err := open(m, now); err != nil {
		return nil, err
	}
	writes := who.id == 0 || who.role != who.stored
	id, role, err := who.record(tx)
	if err != nil {
		return nil, err
	}
	if writes && b != nil {
		b.recorded(g, a, id, role)
	}
	rs := &store.RSVP{MeetingID: m.ID, MemberID: id, Answer: answer, Note: note, Substitute: substitute, Via: a.Via}
	if b != nil {
		b.rsvps = append(b.rsvps, rs)
	} else if err := tx.SetRSVP(rs); err != nil {
		return nil, err
	}
	res := &Answered{Result: Result{Meeting: m, Group: g}, RSVP: rs}
	if !refresh {
		return res, nil
	}
	return res, outbox.Refresh(tx, g, m, now, s.EditDelay)
}

// batchTx is what the answers of one batch share in its transaction.
type batchTx struct {
	// known holds, by group, the batch's Discord users as one query read
	// them (store.Tx.DiscordMemberRoles); a group without an entry has
	// its users looked up one by one.
	known map[int64]map[string]store.DiscordRole
	// rsvps are the batch's answers, in order, written together at its
	// end (store.Tx.SetRSVPs).
	rsvps []*store.RSVP
	// now is the clock of the batch's checks: welcome's and answerOn's
	// must agree.
	now time.Time
}

// byDiscord reports whether a is a Discord user known by their Discord id
// only: the actors a batch looks up together.
func byDiscord(a Actor) bool { return !a.Operator && a.MemberID == 0 && a.DiscordUserID != "" }

// welcome creates, before the answers are written, the members the batch
// meets for the first time, in two statements instead of two for each
// (store.Tx.EnsureDiscordMemberIDs and SetMemberships), and adds them to
// known. Only a user whose answer will be recorded counts: the checks
// answerOn makes before it writes are made first, so that a refused
// answer still writes nothing. A user with more than one answer in the
// batch, or in a group whose users were not read together, is left to
// answerOn, which records them as it would one by one. place gives the
// meeting and group an answer is to, nil for one refused already.
func (b *batchTx) welcome(tx *store.Tx, batch []*answerReq, place func(*answerReq) (*store.Meeting, *store.Group)) error {
	answers := map[string]int{}
	for _, r := range batch {
		if byDiscord(r.a) {
			answers[r.a.DiscordUserID]++
		}
	}
	type newcomer struct {
		g          *store.Group
		user, role string
	}
	var users []store.DiscordUser
	var news []newcomer
	for _, r := range batch {
		if !byDiscord(r.a) || answers[r.a.DiscordUserID] != 1 {
			continue
		}
		m, g := place(r)
		if m == nil || b.known[g.ID] == nil {
			continue
		}
		if _, ok := b.known[g.ID][r.a.DiscordUserID]; ok {
			continue
		}
		p, err := resolveActor(tx, g, r.a, store.RoleMember, b.known[g.ID])
		if err != nil || open(m, b.now) != nil {
			continue // answerOn refuses it, writing nothing
		}
		users = append(users, store.DiscordUser{ID: r.a.DiscordUserID, Name: r.a.DiscordName})
		news = append(news, newcomer{g: g, user: r.a.DiscordUserID, role: p.role})
	}
	if len(users) == 0 {
		return nil
	}
	ids, err := tx.EnsureDiscordMemberIDs(users)
	if err != nil {
		return err
	}
	roles := map[int64]map[int64]string{}
	for _, n := range news {
		id := ids[n.user]
		if id == 0 {
			return fmt.Errorf("meeting: member for discord user %s not created", n.user)
		}
		if roles[n.g.ID] == nil {
			roles[n.g.ID] = map[int64]string{}
		}
		roles[n.g.ID][id] = n.role
		b.known[n.g.ID][n.user] = store.DiscordRole{MemberID: id, Role: n.role}
	}
	for gid, rs := range roles {
		if err := tx.SetMemberships(gid, rs); err != nil {
			return err
		}
	}
	return nil
}

// recorded keeps known true to what an answer's actor plan has just
// written in group g (a member created, a role recorded), so that a later
// answer of the batch by the same user sees it, as it would had it read
// the store. A write known cannot follow (a member acting by id, who may
// have a Discord id as well) makes the group's users looked up one by one
// from here on.
func (b *batchTx) recorded(g *store.Group, a Actor, id int64, role string) {
	known := b.known[g.ID]
	if known == nil {
		return
	}
	if a.Operator || a.MemberID != 0 || a.DiscordUserID == "" {
		delete(b.known, g.ID)
		return
	}
	known[a.DiscordUserID] = store.DiscordRole{MemberID: id, Role: role}
}

// lookUp reads, in one query per group, the Discord users that the
// answers of a batch to group g's meetings come from, when there are more
// than one; a single answer looks its user up itself.
func (b *batchTx) lookUp(tx *store.Tx, batch []*answerReq, groupOf func(*answerReq) *store.Group) error {
	users := map[int64][]string{}
	seen := map[int64]map[string]bool{}
	for _, r := range batch {
		g := groupOf(r)
		if g == nil || !byDiscord(r.a) {
			continue
		}
		if seen[g.ID] == nil {
			seen[g.ID] = map[string]bool{}
		}
		if !seen[g.ID][r.a.DiscordUserID] {
			seen[g.ID][r.a.DiscordUserID] = true
			users[g.ID] = append(users[g.ID], r.a.DiscordUserID)
		}
	}
	for gid, ids := range users {
		if len(ids) < 2 {
			continue
		}
		known, err := tx.DiscordMemberRoles(gid, ids)
		if err != nil {
			return err
		}
		if b.known == nil {
			b.known = map[int64]map[string]store.DiscordRole{}
		}
		b.known[gid] = known
	}
	return nil
}

// maxAnswerBatch bounds how many answers share one transaction, so that
// the first of a long queue are not kept waiting for the last.
const maxAnswerBatch = 64

// answerBatchTimeout bounds a batch's transaction; it does not end with
// the context of any one answer in it.
const answerBatchTimeout = 10 * time.Second

// answerReq is one Answer waiting for its batch.
type answerReq struct {
	ctx                      context.Context
	a                        Actor
	meetingID, inGroup       int64
	answer, note, substitute string
	res                      *Answered
	err                      error
	done                     chan struct{}
}

// answerBatcher commits concurrent answers together (group commit): when
// 200 members click at once, their answers are written in a few
// transactions instead of 200 that each wait for the single writer. A
// refused answer has written nothing (answerOn refuses before it writes),
// so it leaves the others of its batch untouched; when an answer fails
// otherwise (a store error), the batch is rolled back and each of its
// answers is written again in a transaction of its own, so every answer
// ends as if it had been alone. A goroutine drains the queue while it has
// work and ends when it has been empty for answerLinger; nothing is left
// running when no answer has been written for that long.
type answerBatcher struct {
	mu      sync.Mutex
	pending []*answerReq
	running bool
	// wake tells a drainer that lingers that an answer came.
	wake chan struct{}
	// waiting counts the answers submitted and not yet done.
	waiting int
}

// answerLinger is how long a drainer waits for the next answer before it
// ends. The clicks of a burst come a fraction of a millisecond apart, and
// often one at a time: a drainer that waits for the next keeps the stack
// SQLite's statements have grown, where a new goroutine grows it again
// (a tenth of the CPU of an answer written alone), and it is woken faster
// than a goroutine is started.
const answerLinger = 100 * time.Millisecond

// submit queues req and makes sure a drainer runs; req.done is closed when
// its answer is committed or has failed.
func (q *answerBatcher) submit(s *Service, req *answerReq) {
	q.mu.Lock()
	q.pending = append(q.pending, req)
	q.waiting++
	start := !q.running
	q.running = true
	if q.wake == nil {
		q.wake = make(chan struct{}, 1)
	}
	wake := q.wake
	q.mu.Unlock()
	if start {
		go q.drain(s, wake)
		return
	}
	select {
	case wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// drain writes batches until the queue has been empty for answerLinger.
func (q *answerBatcher) drain(s *Service, wake chan struct{}) {
	var idle *time.Timer
	for {
		q.mu.Lock()
		n := min(len(q.pending), maxAnswerBatch)
		if n == 0 {
			q.mu.Unlock()
			if idle == nil {
				idle = time.NewTimer(answerLinger)
			} else {
				idle.Reset(answerLinger)
			}
			select {
			case <-wake:
				continue
			case <-idle.C:
			}
			q.mu.Lock()
			if len(q.pending) == 0 {
				// Under the lock: a submit after this starts a new
				// drainer; one before it was seen just now.
				q.running = false
				q.mu.Unlock()
				return
			}
			q.mu.Unlock()
			continue
		}
		batch := q.pending[:n:n]
		q.pending = q.pending[n:]
		q.mu.Unlock()
		s.answerBatch(batch)
		q.mu.Lock()
		q.waiting -= len(batch)
		q.mu.Unlock()
	}
}

// answerBatch writes a batch of answers in one transaction and tells each
// its result. The meeting and its group are read once per batch (answers
// change neither), and the card's refresh is asked for once per meeting.
func (s *Service) answerBatch(batch []*answerReq) {
	ctx, cancel := context.WithTimeout(context.Background(), answerBatchTimeout)
	defer cancel()
	type place struct {
		m         *store.Meeting
		g         *store.Group
		err       error
		refreshed bool
	}
	err := s.write(ctx, func(tx *store.Tx) error {
		// The meetings and groups first, then the batch's Discord users,
		// then the answers in order: reading writes nothing, so the order
		// of the reads changes no answer.
		places := map[int64]*place{}
		for _, r := range batch {
			r.res, r.err = nil, nil
			if err := r.ctx.Err(); err != nil {
				r.err = err // its handler gave up waiting: nothing is written
				continue
			}
			if places[r.meetingID] == nil {
				p := &place{}
				p.m, p.g, p.err = meetingIn(tx, r.meetingID, 0)
				places[r.meetingID] = p
			}
		}
		b := &batchTx{now: s.Now()}
		placeOf := func(r *answerReq) (*store.Meeting, *store.Group) {
			p := places[r.meetingID]
			if r.err != nil || p == nil || p.err != nil || (r.inGroup != 0 && p.m.GroupID != r.inGroup) {
				return nil, nil // refused below
			}
			return p.m, p.g
		}
		err := b.lookUp(tx, batch, func(r *answerReq) *store.Group {
			_, g := placeOf(r)
			return g
		})
		if err != nil {
			return err
		}
		if err := b.welcome(tx, batch, placeOf); err != nil {
			return err
		}
		for _, r := range batch {
			if r.err != nil {
				continue // given up above
			}
			p := places[r.meetingID]
			if p.err != nil {
				r.err = p.err
				continue
			}
			if r.inGroup != 0 && p.m.GroupID != r.inGroup {
				r.err = refuse(textNoMeeting)
				continue
			}
			m, g := *p.m, *p.g // each caller gets its own copy
			res, err := s.answerOn(tx, &m, &g, r.a, r.answer, r.note, r.substitute, !p.refreshed, b)
			if _, refused := IsRefusal(err); refused {
				r.err = err
				continue
			}
			if err != nil {
				return err
			}
			r.res, p.refreshed = res, true
		}
		return tx.SetRSVPs(b.rsvps)
	})
	if err != nil && len(batch) > 1 {
		// Something failed that a refusal does not explain: write each
		// answer alone, so that only the failing one fails.
		for _, r := range batch {
			r.res, r.err = nil, r.ctx.Err()
			if r.err == nil {
				r.err = s.write(r.ctx, func(tx *store.Tx) error {
					var err error
					r.res, err = s.answerTx(tx, r.a, r.meetingID, r.inGroup, r.answer, r.note, r.substitute)
					return err
				})
			}
			close(r.done)
		}
		return
	}
	for _, r := range batch {
		if err != nil {
			r.res, r.err = nil, err
		}
		close(r.done)
	}
}

// respondent is the member a member's action is for: the actor, or for
// the operator the member in a.MemberID, who must belong to the group. It
// only reads; the plan's record writes what the actor's first contact
// needs. known is resolveActor's.
func (s *Service) respondent(tx *store.Tx, g *store.Group, a Actor, known map[string]store.DiscordRole) (*actorPlan, error) {
	if !a.Operator {
		return resolveActor(tx, g, a, store.RoleMember, known)
	}
	if a.MemberID == 0 {
		return nil, refuse(textNoContact)
	}
	if _, err := tx.MembershipOf(g.ID, a.MemberID); errors.Is(err, store.ErrNotFound) {
		m, err := tx.Member(a.MemberID)
		if err != nil {
			return nil, err
		}
		return nil, refuse(textNotInGroup, m.DisplayName, g.Name)
	} else if err != nil {
		return nil, err
	}
	return &actorPlan{g: g, a: a, id: a.MemberID, role: store.RoleCoordinator, stored: store.RoleCoordinator}, nil
}

// open refuses a meeting that no longer takes answers or proposals.
func open(m *store.Meeting, now time.Time) error {
	if m.Status != store.MeetingScheduled {
		return notOpen(m)
	}
	if !now.Before(m.Start) {
		return refuse(textMeetingStarted, m.Title)
	}
	return nil
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// Proposed is an agenda item as recorded.
type Proposed struct {
	Result
	Item *store.AgendaItem
	// Late reports that it came after the agenda deadline (it is kept,
	// marked late).
	Late bool
}

// AgendaDeadline is when proposals for the meeting close.
func AgendaDeadline(g *store.Group, m *store.Meeting) time.Time {
	d := g.AgendaDeadline
	if m.AgendaDeadline != nil {
		d = *m.AgendaDeadline
	}
	if d <= 0 {
		return m.Start
	}
	return m.Start.Add(-d)
}

// Propose adds an item to a scheduled meeting's agenda that has not
// started. A member proposes; the operator may name the author in
// a.MemberID or leave it 0. A coordinator may also add items to a meeting
// that took place, to record its topics: those are accepted at once and
// not marked late.
func (s *Service) Propose(ctx context.Context, a Actor, meetingID, inGroup int64, title, details string) (*Proposed, error) {
	title, details = singleLine(title), multiLine(details)
	if err := checkProposal(title, details); err != nil {
		return nil, err
	}
	var res *Proposed
	err := s.write(ctx, func(tx *store.Tx) error {
		var err error
		res, err = s.proposeTx(tx, a, meetingID, inGroup, title, details)
		return err
	})
	if err != nil {
		return nil, errorf("propose", err)
	}
	return res, nil
}

// checkProposal refuses an empty or too long title and too long details.
func checkProposal(title, details string) error {
	if err := checkTitle(title); err != nil {
		return err
	}
	if len([]rune(details)) > store.MaxAgendaDetails {
		return refuse(textDetailsTooLong, store.MaxAgendaDetails)
	}
	return nil
}

// proposeTx is Propose inside a transaction the caller owns: an agenda
// item sent by mail is added in the transaction that marks the message's
// action done, so it is added exactly once.
func (s *Service) proposeTx(tx *store.Tx, a Actor, meetingID, inGroup int64, title, details string) (*Proposed, error) {
	title, details = singleLine(title), multiLine(details)
	if err := checkProposal(title, details); err != nil {
		return nil, err
	}
	m, g, err := meetingIn(tx, meetingID, inGroup)
	if err != nil {
		return nil, err
	}
	author := a.MemberID
	if !a.Operator || a.MemberID != 0 {
		p, err := s.respondent(tx, g, a, nil)
		if err != nil {
			return nil, err
		}
		if author, _, err = p.record(tx); err != nil {
			return nil, err
		}
	}
	now := s.Now()
	// A coordinator writing a meeting up afterwards records what was
	// discussed: items may be added to a meeting that took place.
	writeUp := false
	if m.Status == store.MeetingHeld || (m.Status == store.MeetingScheduled && !now.Before(m.Start)) {
		_, role, err := actorIn(tx, g, a, store.RoleMember)
		writeUp = err == nil && role == store.RoleCoordinator
	}
	if err := open(m, now); err != nil && !writeUp {
		return nil, err
	}
	it := &store.AgendaItem{MeetingID: m.ID, AuthorID: author, Title: title, Details: details}
	if writeUp {
		it.Status = store.AgendaAccepted // what was discussed, not a proposal
	}
	if err := tx.AddAgendaItem(it); err != nil {
		return nil, err
	}
	res := &Proposed{Result: Result{Meeting: m, Group: g}, Item: it, Late: !writeUp && now.After(AgendaDeadline(g, m))}
	return res, outbox.Refresh(tx, g, m, now, s.EditDelay)
}

// SetAgendaStatus withdraws (store.AgendaWithdrawn: its author or a
// coordinator) or accepts (store.AgendaAccepted: a coordinator) an agenda
// item. inGroup, when not 0, is the group the door acts in: an item of
// another group is unknown there.
func (s *Service) SetAgendaStatus(ctx context.Context, a Actor, itemID, inGroup int64, status string) (*Proposed, error) {
	if status != store.AgendaWithdrawn && status != store.AgendaAccepted {
		return nil, errorf("agenda status", store.ErrInvalid)
	}
	var res Proposed
	err := s.write(ctx, func(tx *store.Tx) error {
		it, err := tx.AgendaItem(itemID)
		if errors.Is(err, store.ErrNotFound) {
			return refuse(textAgendaNoItem, itemID)
		}
		if err != nil {
			return err
		}
		m, g, err := meetingIn(tx, it.MeetingID, inGroup)
		if _, ok := IsRefusal(err); ok {
			return refuse(textAgendaNoItem, itemID)
		}
		if err != nil {
			return err
		}
		need := store.RoleCoordinator
		if status == store.AgendaWithdrawn {
			need = store.RoleMember
		}
		who, role, err := actorIn(tx, g, a, need)
		if err != nil {
			return err
		}
		if status == store.AgendaWithdrawn && role != store.RoleCoordinator && it.AuthorID != who {
			return refuse(textAgendaNotAuthor)
		}
		if err := tx.SetAgendaStatus(it.ID, status); err != nil {
			return err
		}
		it.Status = status
		res = Proposed{Result: Result{Meeting: m, Group: g}, Item: it}
		return outbox.Refresh(tx, g, m, s.Now(), s.EditDelay)
	})
	if err != nil {
		return nil, errorf("agenda status", err)
	}
	return &res, nil
}

// Reorder orders a meeting's agenda: ids first, in that order, the rest
// after them as they were. A coordinator acts.
func (s *Service) Reorder(ctx context.Context, a Actor, meetingID, inGroup int64, ids []int64) (*Result, error) {
	if len(ids) == 0 {
		return nil, refuse(textAgendaBadOrder)
	}
	var res Result
	err := s.write(ctx, func(tx *store.Tx) error {
		m, g, err := coordinatorOn(tx, a, meetingID, inGroup)
		if err != nil {
			return err
		}
		if err := tx.ReorderAgenda(m.ID, ids); errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			return refuse(textAgendaBadOrder)
		} else if err != nil {
			return err
		}
		res = Result{Meeting: m, Group: g}
		return outbox.Refresh(tx, g, m, s.Now(), s.EditDelay)
	})
	if err != nil {
		return nil, errorf("reorder agenda", err)
	}
	return &res, nil
}

// CheckOpen reads a meeting and refuses, as Answer and Propose would, one
// that no longer takes answers or proposals: a door asks before it shows a
// form, so nobody types into one that is then refused.
func (s *Service) CheckOpen(ctx context.Context, meetingID, inGroup int64) (*store.Meeting, error) {
	m, err := s.store.Meeting(ctx, meetingID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && inGroup != 0 && m.GroupID != inGroup) {
		return nil, refuse(textNoMeeting)
	}
	if err != nil {
		return nil, errorf("check open", err)
	}
	return m, open(m, s.Now())
}
