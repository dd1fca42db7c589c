package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/store"
)

// Custom ids of buttons and modals: "<action>:<meeting id>".
const (
	idYes          = "rsvp-yes"
	idNo           = "rsvp-no"
	idMaybe        = "rsvp-maybe"   // opens the maybe modal
	idMaybeModal   = "rsvp-modal"   // the maybe modal's submit
	idPropose      = "agenda-add"   // opens the agenda modal
	idProposeModal = "agenda-modal" // the agenda modal's submit
	idAttended     = "attended"     // the select of who came
)

func customID(action string, meetingID int64) string {
	return action + ":" + strconv.FormatInt(meetingID, 10)
}

func parseCustomID(s string) (action string, meetingID int64, ok bool) {
	action, id, found := strings.Cut(s, ":")
	if !found {
		return "", 0, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	return action, n, err == nil && n > 0
}

func (b *Bot) rsvpCommand(r *request, o options) (*reply, error) {
	m, err := b.needMember(r)
	if err != nil {
		return nil, err
	}
	meeting, err := b.meetingArg(r, o.str("meeting"))
	if err != nil {
		return nil, err
	}
	answer := o.str("status")
	if answer != store.AnswerYes && answer != store.AnswerNo && answer != store.AnswerMaybe {
		return nil, refuse(msgUnknownCommand)
	}
	return b.setRSVP(r, m, meeting, answer, o.str("note"), o.str("substitute"))
}

// setRSVP records an answer while the meeting has not started.
func (b *Bot) setRSVP(r *request, m *store.Member, meeting *store.Meeting, answer, note, substitute string) (*reply, error) {
	if meeting.Status != store.MeetingScheduled {
		return nil, refuse(msgMeetingNotOpen, meeting.Title, statusName(r.lang, meeting.Status))
	}
	if !b.Now().Before(meeting.Start) {
		return nil, refuse(msgMeetingStarted, meeting.Title)
	}
	if len([]rune(note)) > 1000 {
		note = string([]rune(note)[:1000])
	}
	if len([]rune(substitute)) > 200 {
		substitute = string([]rune(substitute)[:200])
	}
	rs := &store.RSVP{MeetingID: meeting.ID, MemberID: m.ID, Answer: answer, Note: note, Substitute: substitute}
	if err := b.store.SetRSVP(r.ctx, rs); err != nil {
		return nil, err
	}
	b.ann.refresh(r.group, meeting.ID)
	text := tr(r.lang, msgRSVPSaved, meeting.Title, i18n.FormatWeekdayDateTime(meeting.Start, r.loc, r.lang), answerName(r.lang, answer))
	if substitute != "" {
		text += tr(r.lang, msgSubstitute, escape(substitute))
	}
	return private(text), nil
}

// memberAction reads a button's or modal's custom id ("action:meeting"),
// finds the meeting's group when pressed outside its channel (a direct
// message), and checks that a member of the group acts.
func (b *Bot) memberAction(r *request, id string) (action string, meetingID int64, m *store.Member, err error) {
	action, meetingID, ok := parseCustomID(id)
	if !ok {
		return "", 0, nil, refuse(msgUnknownCommand)
	}
	if err := b.groupOfMeeting(r, meetingID); err != nil {
		return "", 0, nil, err
	}
	m, err = b.needMember(r)
	return action, meetingID, m, err
}

// handleComponent answers the announcement's buttons.
func (b *Bot) handleComponent(r *request) (*reply, error) {
	action, meetingID, m, err := b.memberAction(r, r.ic.MessageComponentData().CustomID)
	if err != nil {
		return nil, err
	}
	if action == idAttended {
		return b.attendanceRecord(r, meetingID, r.ic.MessageComponentData().Values)
	}
	meeting, err := b.meetingArg(r, strconv.FormatInt(meetingID, 10))
	if err != nil {
		return nil, err
	}
	switch action {
	case idYes:
		return b.setRSVP(r, m, meeting, store.AnswerYes, "", "")
	case idNo:
		return b.setRSVP(r, m, meeting, store.AnswerNo, "", "")
	case idMaybe:
		if meeting.Status != store.MeetingScheduled || !b.Now().Before(meeting.Start) {
			return b.setRSVP(r, m, meeting, store.AnswerMaybe, "", "") // refuses with the reason
		}
		return modal(customID(idMaybeModal, meeting.ID), tr(r.lang, msgModalRSVP),
			textInput("note", tr(r.lang, msgModalNote), discordgo.TextInputParagraph, false, 1000),
			textInput("substitute", tr(r.lang, msgModalSubst), discordgo.TextInputShort, false, 200)), nil
	case idPropose:
		return modal(customID(idProposeModal, meeting.ID), tr(r.lang, msgModalAgenda),
			textInput("title", tr(r.lang, msgModalTitle), discordgo.TextInputShort, true, store.MaxAgendaTitle),
			textInput("details", tr(r.lang, msgModalDetails), discordgo.TextInputParagraph, false, store.MaxAgendaDetails)), nil
	}
	return nil, refuse(msgUnknownCommand)
}

func textInput(id, label string, style discordgo.TextInputStyle, required bool, max int) discordgo.MessageComponent {
	return discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{
		CustomID: id, Label: label, Style: style, Required: required, MaxLength: max}}}
}

func modal(id, title string, rows ...discordgo.MessageComponent) *reply {
	return &reply{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal,
		Data: &discordgo.InteractionResponseData{CustomID: id, Title: title, Components: rows}}}
}

// modalValues reads the text inputs of a submitted modal.
func modalValues(d discordgo.ModalSubmitInteractionData) map[string]string {
	out := map[string]string{}
	for _, row := range d.Components {
		ar, ok := row.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, c := range ar.Components {
			if ti, ok := c.(*discordgo.TextInput); ok {
				out[ti.CustomID] = ti.Value
			}
		}
	}
	return out
}

// handleModal answers a submitted modal.
func (b *Bot) handleModal(r *request) (*reply, error) {
	d := r.ic.ModalSubmitData()
	action, meetingID, m, err := b.memberAction(r, d.CustomID)
	if err != nil {
		return nil, err
	}
	meeting, err := b.meetingArg(r, fmt.Sprint(meetingID))
	if err != nil {
		return nil, err
	}
	v := modalValues(d)
	switch action {
	case idMaybeModal:
		return b.setRSVP(r, m, meeting, store.AnswerMaybe, strings.TrimSpace(v["note"]), strings.TrimSpace(v["substitute"]))
	case idProposeModal:
		return b.addAgendaItem(r, m, meeting, v["title"], v["details"])
	}
	return nil, refuse(msgUnknownCommand)
}
