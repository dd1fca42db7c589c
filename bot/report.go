package bot

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/report"
	"coordbot/store"
)

var (
	msgConfirmPrompt = i18n.Text{CS: "Kdo na schůzce „%s“ (%s) skutečně byl? Vyberte přítomné; ostatní budou zapsáni jako nepřítomní.", EN: "Who actually came to “%s” (%s)? Pick those present; the others are recorded as absent."}
	msgConfirmPick   = i18n.Text{CS: "Přítomní", EN: "Present"}
	msgConfirmSaved  = i18n.Text{CS: "Zapsáno: na schůzce „%s“ bylo %s z %d.", EN: "Recorded: %s of %d came to “%s”."}
	msgConfirmNoOne  = i18n.Text{CS: "Skupina zatím nemá žádné členy, není koho zapsat.", EN: "The group has no members yet; there is nobody to record."}
	msgConfirmFuture = i18n.Text{CS: "Schůzka „%s“ ještě neproběhla.", EN: "“%s” has not taken place yet."}
	msgReportReady   = i18n.Text{CS: "Výroční přehled skupiny %s za rok %d je v příloze (Markdown a CSV).", EN: "The %d overview of %s is attached (Markdown and CSV)."}
	msgReportYear    = i18n.Text{CS: "Rok zadejte čtyřmístně, od 1900 do 2999, např. 2027.", EN: "Give a four-digit year from 1900 to 2999, e.g. 2027."}
)

// attendanceConfirm offers coordinators a list of the group's members to
// tick who actually came.
func (b *Bot) attendanceConfirm(r *request, o options) (*reply, error) {
	if err := b.need(r, store.RoleCoordinator); err != nil {
		return nil, err
	}
	m, err := b.meetingArg(r, o.str("meeting"))
	if err != nil {
		return nil, err
	}
	if m.Status == store.MeetingCancelled {
		return nil, refuse(msgMeetingNotOpen, m.Title, statusName(r.lang, m.Status))
	}
	if m.Start.After(b.Now()) {
		return nil, refuse(msgConfirmFuture, m.Title)
	}
	if text := o.str("guests"); text != "" {
		guests, err := meeting.ParseGuests(text)
		if err != nil {
			return nil, err
		}
		if _, err := b.core.AddGuests(r.ctx, r.actor(), m.ID, r.group.ID, guests); err != nil {
			return nil, err
		}
	}
	members, err := b.store.GroupMembers(r.ctx, r.group.ID)
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, refuse(msgConfirmNoOne)
	}
	var opts []discordgo.SelectMenuOption
	for _, gm := range members {
		if len(opts) == 25 { // Discord's limit for one select
			break
		}
		label := gm.DisplayName
		if gm.Organisation != "" {
			label += " – " + gm.Organisation
		}
		opts = append(opts, discordgo.SelectMenuOption{Label: truncate(label, 100), Value: strconv.FormatInt(gm.ID, 10)})
	}
	minValues := 0
	rep := private(tr(r.lang, msgConfirmPrompt, m.Title, i18n.FormatDate(m.Start, r.loc, r.lang)))
	rep.resp.Data.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.SelectMenu{CustomID: customID(idAttended, m.ID), Placeholder: tr(r.lang, msgConfirmPick),
			MinValues: &minValues, MaxValues: len(opts), Options: opts},
	}}}
	return rep, nil
}

// attendanceRecord records the ticked members as present and the group's
// other members as absent (the core keeps the deputy named in an answer),
// and marks the meeting held.
func (b *Bot) attendanceRecord(r *request, meetingID int64, values []string) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	var list []meeting.Presence
	for _, v := range values {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			list = append(list, meeting.Presence{MemberID: id, Attended: true})
		}
	}
	res, err := b.core.RecordAttendance(r.ctx, r.actor(), meetingID, r.group.ID, list, true)
	if err != nil {
		return nil, err
	}
	if r.lang == i18n.English {
		return private(tr(r.lang, msgConfirmSaved, people(r.lang, res.Came), res.Of, res.Meeting.Title)), nil
	}
	return private(tr(r.lang, msgConfirmSaved, res.Meeting.Title, people(r.lang, res.Came), res.Of)), nil
}

// yearReport sends coordinators the year's report as Markdown and CSV files.
func (b *Bot) yearReport(r *request, o options) (*reply, error) {
	if err := b.need(r, store.RoleCoordinator); err != nil {
		return nil, err
	}
	year, _ := o.int("year")
	if !i18n.ValidYear(int(year)) {
		return nil, refuse(msgReportYear)
	}
	rep, err := report.BuildAt(r.ctx, b.store, r.group.Slug, int(year), b.Now())
	if err != nil {
		return nil, err
	}
	var md, csv bytes.Buffer
	if err := rep.Markdown(&md); err != nil {
		return nil, err
	}
	if err := rep.CSV(&csv); err != nil {
		return nil, err
	}
	text := tr(r.lang, msgReportReady, r.group.Name, year)
	if r.lang == "en" {
		text = tr(r.lang, msgReportReady, year, r.group.Name)
	}
	out := private(text)
	name := fmt.Sprintf("%s-%d", r.group.Slug, year)
	out.resp.Data.Files = []*discordgo.File{
		{Name: name + ".md", ContentType: "text/markdown; charset=utf-8", Reader: &md},
		{Name: name + ".csv", ContentType: "text/csv; charset=utf-8", Reader: &csv},
	}
	return out, nil
}
