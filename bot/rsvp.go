package bot

import (
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/meeting"
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
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	m, err := b.meetingArg(r, o.str("meeting"))
	if err != nil {
		return nil, err
	}
	return b.answer(r, m.ID, o.str("status"), o.str("note"), o.str("substitute"))
}

// answer records the user's answer through the core and says what was
// recorded.
func (b *Bot) answer(r *request, meetingID int64, answer, note, substitute string) (*reply, error) {
	res, err := b.core.Answer(r.ctx, r.actor(), meetingID, r.inGroup(), answer, note, substitute)
	if err != nil {
		return nil, err
	}
	b.inGroupOf(r, res.Group)
	m := res.Meeting
	text := tr(r.lang, msgRSVPSaved, m.Title, i18n.FormatWeekdayDateTime(m.Start, r.loc, r.lang), answerName(r.lang, answer))
	if res.RSVP.Substitute != "" {
		text += tr(r.lang, msgSubstitute, escape(res.RSVP.Substitute))
	}
	return private(text), nil
}

// inGroupOf sets the request's group, zone and language from a use case's
// result, for a button pressed in a direct message.
func (b *Bot) inGroupOf(r *request, g *store.Group) {
	if r.group != nil {
		return
	}
	for _, gi := range b.groups {
		if gi.group.ID == g.ID {
			r.group, r.loc, r.lang = gi.group, gi.loc, gi.group.Locale
			return
		}
	}
	r.loc, r.lang = meeting.Location(g, nil), meeting.Lang(g)
}

// handleComponent answers the announcement's buttons (and those of
// reminders and direct messages).
func (b *Bot) handleComponent(r *request) (*reply, error) {
	action, meetingID, ok := parseCustomID(r.ic.MessageComponentData().CustomID)
	if !ok {
		return nil, refuse(msgUnknownCommand)
	}
	switch action {
	case idAttended:
		return b.attendanceRecord(r, meetingID, r.ic.MessageComponentData().Values)
	case idYes:
		return b.answer(r, meetingID, store.AnswerYes, "", "")
	case idNo:
		return b.answer(r, meetingID, store.AnswerNo, "", "")
	case idMaybe, idPropose:
		// A modal asks for the rest; check first that the meeting still
		// takes answers, so nobody types into a form that is refused.
		m, err := b.core.CheckOpen(r.ctx, meetingID, r.inGroup())
		if err != nil {
			return nil, err
		}
		if action == idPropose {
			return agendaModal(r, m.ID), nil
		}
		return modal(customID(idMaybeModal, m.ID), tr(r.lang, msgModalRSVP),
			textInput("note", tr(r.lang, msgModalNote), discordgo.TextInputParagraph, false, meeting.MaxNote),
			textInput("substitute", tr(r.lang, msgModalSubst), discordgo.TextInputShort, false, meeting.MaxSubstitute)), nil
	}
	return nil, refuse(msgUnknownCommand)
}

// agendaModal asks for an agenda item's title and details.
func agendaModal(r *request, meetingID int64) *reply {
	return modal(customID(idProposeModal, meetingID), tr(r.lang, msgModalAgenda),
		textInput("title", tr(r.lang, msgModalTitle), discordgo.TextInputShort, true, store.MaxAgendaTitle),
		textInput("details", tr(r.lang, msgModalDetails), discordgo.TextInputParagraph, false, store.MaxAgendaDetails))
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
	action, meetingID, ok := parseCustomID(d.CustomID)
	if !ok {
		return nil, refuse(msgUnknownCommand)
	}
	v := modalValues(d)
	switch action {
	case idMaybeModal:
		return b.answer(r, meetingID, store.AnswerMaybe, v["note"], v["substitute"])
	case idProposeModal:
		return b.addAgendaItem(r, meetingID, v["title"], v["details"])
	}
	return nil, refuse(msgUnknownCommand)
}
