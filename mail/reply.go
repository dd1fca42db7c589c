package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"coordbot/outbox"
	"coordbot/store"
)

// Reasons for quarantining a reply, the start of store.ArchiveMessage.Reason.
const (
	// ReasonAnswerRefused: the sender is not the member the answer is for.
	ReasonAnswerRefused = "answer refused"
	// ReasonUnknownMeeting: a calendar REPLY for no meeting coordbot knows.
	ReasonUnknownMeeting = "answer for an unknown meeting"
)

// Actions carries out a stored message's action (an answer, an agenda
// item, a bounce) and marks it done or refused in the same transaction;
// *meeting.Service implements it. Running it again for a message whose
// action is done does nothing.
type Actions interface {
	MailAction(ctx context.Context, archiveID int64) error
}

// classified is what the pipeline decided about a message that is not
// minutes: a reply to coordbot's mail or a delivery status report.
type classified struct {
	kind               string // store.ArchiveReply or store.ArchiveBounce
	action             *store.MailAction
	groupID, meetingID int64
	quarantine         string // the reason, "" to archive it
}

// classify recognises, in this order, a delivery status report about
// coordbot's mail or a member's address, a calendar REPLY, and a reply to
// an invitation, reminder, nudge or call for agenda items; anything else
// is nil (minutes, decided as before).
func (p *Pipeline) classify(ctx context.Context, parts *mailParts, parsed *Parsed) (*classified, error) {
	if len(parts.deliveryStatus) > 0 {
		c, err := p.classifyReport(ctx, parsed, parts)
		if c != nil || err != nil {
			return c, err
		}
	}
	for _, cp := range parts.calendars {
		if r := parseCalendarReply(cp.data, cp.method); r != nil {
			return p.classifyCalendarReply(ctx, parsed, r)
		}
	}
	return p.classifyPlainReply(ctx, parsed)
}

// classifyReport reads a delivery status notification (RFC 3464). It is a
// bounce when the mail it returns is one coordbot sent or the recipient is
// a member's address; else nil. A permanent failure of mail coordbot sent
// carries a bounce action; a delay, a success report or a report on mail
// coordbot did not send is kept and does nothing.
func (p *Pipeline) classifyReport(ctx context.Context, parsed *Parsed, parts *mailParts) (*classified, error) {
	var reports []deliveryReport
	for _, ds := range parts.deliveryStatus {
		reports = append(reports, parseDeliveryStatus(ds)...)
	}
	if len(reports) == 0 {
		return nil, nil
	}
	r := reports[0]
	ids := append(slices.Clone(parsed.References), parsed.InReplyTo)
	if parts.returnedID != "" {
		ids = append(ids, parts.returnedID) // listed last: looked up first
	}
	sent, err := p.archive.SentMail(ctx, ids)
	if errors.Is(err, store.ErrNotFound) {
		sent = nil
	} else if err != nil {
		return nil, err
	}
	if sent == nil {
		if _, err := p.archive.MemberByEmail(ctx, r.Address); errors.Is(err, store.ErrNotFound) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
	}
	c := &classified{kind: store.ArchiveBounce}
	if sent != nil {
		if err := p.setMeeting(ctx, c, sent.MeetingID); err != nil {
			return nil, err
		}
		if c.groupID == 0 {
			c.groupID = sent.GroupID
		}
	}
	// Only a report on mail coordbot sent stops mail to the address: a
	// report anyone can forge about someone else's mail must not.
	if r.Failed() && sent != nil {
		c.action = &store.MailAction{Type: store.MailBounce, MeetingID: c.meetingID, Address: r.Address,
			Status: r.Status, Diagnostic: r.Diagnostic}
	}
	return c, nil
}

// classifyCalendarReply matches a REPLY's UID to a meeting and its
// ATTENDEE to a member of the meeting's group whose address sent it.
func (p *Pipeline) classifyCalendarReply(ctx context.Context, parsed *Parsed, r *calendarReply) (*classified, error) {
	c := &classified{kind: store.ArchiveReply}
	id, ok := MeetingOfUID(r.UID)
	if ok {
		if err := p.setMeeting(ctx, c, id); err != nil {
			return nil, err
		}
	}
	if c.meetingID == 0 {
		c.quarantine = fmt.Sprintf("%s: UID %q", ReasonUnknownMeeting, r.UID)
		return c, nil
	}
	if len(r.Attendees) == 0 {
		c.quarantine = ReasonAnswerRefused + ": the calendar reply names no attendee"
		return c, nil
	}
	from := strings.ToLower(strings.TrimSpace(parsed.From.Addr))
	att := r.Attendees[0]
	for _, a := range r.Attendees {
		if a.Address == from {
			att = a
			break
		}
	}
	member, reason, err := p.groupMember(ctx, c.groupID, att.Address)
	if err != nil || reason != "" {
		c.quarantine = reason
		return c, err
	}
	if !slices.Contains(member.Emails, from) {
		c.quarantine = refusedAttendee(from, att.Address)
		return c, nil
	}
	answer := answerOfPartStat(att.PartStat)
	if answer == "" {
		c.action = &store.MailAction{Type: store.MailUnreadable, MeetingID: c.meetingID, MemberID: member.ID}
		return c, nil
	}
	c.action = &store.MailAction{Type: store.MailAnswer, MeetingID: c.meetingID, MemberID: member.ID,
		Answer: answer, Note: strings.TrimSpace(r.Comment), Substitute: att.DelegatedTo}
	return c, nil
}

// groupMember finds the member whose address addr is and checks they are
// in the group; reason says why not.
func (p *Pipeline) groupMember(ctx context.Context, groupID int64, addr string) (*store.Member, string, error) {
	member, err := p.archive.MemberByEmail(ctx, addr)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Sprintf("%s: the attendee %s is no member's address", ReasonAnswerRefused, orNone(addr)), nil
	}
	if err != nil {
		return nil, "", err
	}
	if _, err := p.archive.MembershipOf(ctx, groupID, member.ID); errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Sprintf("%s: the attendee %s is not a member of the meeting's group", ReasonAnswerRefused, addr), nil
	} else if err != nil {
		return nil, "", err
	}
	return member, "", nil
}

// repliedKinds are the kinds of coordbot's mail whose replies are read as
// answers; a reply to the call for agenda items is read as a proposal.
// Replies to other mail (a minutes nudge, which the minutes answer) stay
// minutes.
var repliedKinds = []outbox.Kind{outbox.KindInvitation, outbox.KindReminder, outbox.KindNudgeDM, outbox.KindAgendaCall}

// classifyPlainReply reads a reply to mail coordbot sent to a member: the
// first line of its own text is an answer, or, to the call for agenda
// items, the title of a proposal. A reply that cannot be read is kept and
// the coordinators are told.
func (p *Pipeline) classifyPlainReply(ctx context.Context, parsed *Parsed) (*classified, error) {
	if parsed.InReplyTo == "" && len(parsed.References) == 0 {
		return nil, nil
	}
	sent, err := p.archive.SentMail(ctx, append(slices.Clone(parsed.References), parsed.InReplyTo))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sent.MemberID == 0 || !slices.Contains(repliedKinds, outbox.Kind(sent.Kind)) {
		return nil, nil
	}
	c := &classified{kind: store.ArchiveReply, groupID: sent.GroupID}
	if err := p.setMeeting(ctx, c, sent.MeetingID); err != nil {
		return nil, err
	}
	member, err := p.archive.Member(ctx, sent.MemberID)
	if errors.Is(err, store.ErrNotFound) {
		c.quarantine = fmt.Sprintf("%s: the member %d the mail went to no longer exists", ReasonAnswerRefused, sent.MemberID)
		return c, nil
	} else if err != nil {
		return nil, err
	}
	from := strings.ToLower(strings.TrimSpace(parsed.From.Addr))
	if !slices.Contains(member.Emails, from) {
		c.quarantine = fmt.Sprintf("%s: From %s is not an address of the member %s (%s)", ReasonAnswerRefused,
			orNone(from), member.DisplayName, member.MailAddress())
		return c, nil
	}
	own := ownText(parsed.Body)
	act := &store.MailAction{Type: store.MailUnreadable, MeetingID: c.meetingID, MemberID: member.ID}
	if outbox.Kind(sent.Kind) == outbox.KindAgendaCall {
		if title, details, ok := readProposal(own); ok {
			act.Type, act.Title, act.Details = store.MailPropose, title, details
		}
	} else if answer, note, ok := readAnswer(own); ok {
		act.Type, act.Answer, act.Note = store.MailAnswer, answer, note
	}
	c.action = act
	return c, nil
}

// setMeeting files c under the meeting with id (0 or unknown: none).
func (p *Pipeline) setMeeting(ctx context.Context, c *classified, id int64) error {
	if id == 0 {
		return nil
	}
	m, err := p.archive.Meeting(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	c.groupID, c.meetingID = m.GroupID, m.ID
	return nil
}

// mailParts are the parts of a message that classify reads, found by
// walking its MIME tree (Parse keeps calendar files as attachments and
// does not look into reports).
type mailParts struct {
	calendars []calendarPart
	// deliveryStatus are the bodies of message/delivery-status parts.
	deliveryStatus [][]byte
	// returnedID is the Message-ID of the mail a report returns (its
	// text/rfc822-headers or message/rfc822 part).
	returnedID string
}

// calendarPart is a text/calendar part (or an .ics file), decoded to
// UTF-8, with the method parameter of its Content-Type.
type calendarPart struct {
	method string
	data   []byte
}

// Limits of the walk; Parse has already read the message under its own.
const (
	maxScanDepth = 20
	maxScanParts = 500
)

// scanParts walks a raw message's MIME tree (in the pipeline's parallel
// prepare step, beside Parse). It does not descend into attached messages:
// a forwarded invitation is not an answer.
func scanParts(raw []byte) *mailParts {
	ps := &mailParts{}
	h, body, _ := splitHeader(raw)
	n := 0
	ps.walk(h, body, 0, &n, "text/plain")
	return ps
}

func (ps *mailParts) walk(h mimeHeader, body []byte, depth int, n *int, defaultType string) {
	*n++
	if *n > maxScanParts || depth > maxScanDepth {
		return
	}
	mt, params := defaultType, map[string]string{}
	if strings.TrimSpace(h.get("content-type")) != "" {
		mt, params = mediaParams(h.get("content-type"))
	}
	_, dparams := mediaParams(h.get("content-disposition"))
	filename := strings.ToLower(pickFilename(dparams, params))
	if strings.HasPrefix(mt, "multipart/") {
		res := splitMultipart(body, params["boundary"])
		for _, part := range res.parts {
			ch, cb, _ := splitHeader(part)
			ps.walk(ch, cb, depth+1, n, "text/plain")
		}
		return
	}
	isCalendar := mt == "text/calendar" || mt == "application/ics" || strings.HasSuffix(filename, ".ics")
	isStatus := mt == "message/delivery-status" || mt == "message/global-delivery-status"
	isReturned := ps.returnedID == "" && (mt == "text/rfc822-headers" || mt == "message/rfc822" ||
		mt == "message/global-headers" || mt == "message/global")
	if !isCalendar && !isStatus && !isReturned {
		return // not decoded: attachments can be large, and Parse has read them
	}
	data, _ := decodeTransfer(body, h.get("content-transfer-encoding"))
	switch {
	case isCalendar:
		text, _ := decodeText(data, params["charset"])
		ps.calendars = append(ps.calendars, calendarPart{method: params["method"], data: []byte(text)})
	case isStatus:
		ps.deliveryStatus = append(ps.deliveryStatus, data)
	default:
		rh, _, _ := splitHeader(bytes.TrimLeft(data, "\r\n"))
		if ids := parseMsgIDs(rh.get("message-id")); len(ids) > 0 {
			ps.returnedID = ids[0]
		}
	}
}
