package bot

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/report"
	"coordbot/store"
)

var (
	msgConfirmPrompt = msg{"Kdo na schůzce „%s“ (%s) skutečně byl? Vyberte přítomné; ostatní budou zapsáni jako nepřítomní.", "Who actually came to “%s” (%s)? Pick those present; the others are recorded as absent."}
	msgConfirmPick   = msg{"Přítomní", "Present"}
	msgConfirmSaved  = msg{"Zapsáno: na schůzce „%s“ bylo %s z %d.", "Recorded: %s of %d came to “%s”."}
	msgConfirmNoOne  = msg{"Skupina zatím nemá žádné členy, není koho zapsat.", "The group has no members yet; there is nobody to record."}
	msgConfirmFuture = msg{"Schůzka „%s“ ještě neproběhla.", "“%s” has not taken place yet."}
	msgReportReady   = msg{"Výroční přehled skupiny %s za rok %d je v příloze (Markdown a CSV).", "The %d overview of %s is attached (Markdown and CSV)."}
	msgReportYear    = msg{"Rok zadejte čtyřmístně, např. 2027.", "Give a four-digit year, e.g. 2027."}
)

// attendanceConfirm offers coordinators a list of the group's members to
// tick who actually came.
func (b *Bot) attendanceConfirm(r *request, o options) (*reply, error) {
	if _, err := b.needCoordinator(r); err != nil {
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

// attendanceRecord stores the ticked members as present and the group's
// other members as absent (keeping the deputy named in their RSVP), and
// marks the meeting held.
func (b *Bot) attendanceRecord(r *request, meetingID int64, values []string) (*reply, error) {
	if _, err := b.needCoordinator(r); err != nil {
		return nil, err
	}
	m, err := b.meetingArg(r, strconv.FormatInt(meetingID, 10))
	if err != nil {
		return nil, err
	}
	present := map[int64]bool{}
	for _, v := range values {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			present[id] = true
		}
	}
	members, err := b.store.GroupMembers(r.ctx, r.group.ID)
	if err != nil {
		return nil, err
	}
	rsvps, err := b.store.RSVPs(r.ctx, m.ID)
	if err != nil {
		return nil, err
	}
	substitute := map[int64]string{}
	for _, rs := range rsvps {
		substitute[rs.MemberID] = rs.Substitute
	}
	if m.Status == store.MeetingCancelled {
		return nil, refuse(msgMeetingNotOpen, m.Title, statusName(r.lang, m.Status))
	}
	came := 0
	var list []*store.Attendance
	for _, gm := range members {
		a := &store.Attendance{MeetingID: m.ID, MemberID: gm.ID, Attended: present[gm.ID]}
		if a.Attended {
			came++
			a.Substitute = substitute[gm.ID]
		}
		list = append(list, a)
	}
	// All or nothing: a half-recorded meeting would read as complete.
	if err := b.store.SetAttendances(r.ctx, list); err != nil {
		return nil, err
	}
	if m.Status == store.MeetingScheduled {
		if err := b.store.MarkHeld(r.ctx, m.ID); err != nil && !errors.Is(err, store.ErrInvalid) {
			return nil, err
		}
	}
	if r.lang == "en" {
		return private(tr(r.lang, msgConfirmSaved, people(r.lang, came), len(members), m.Title)), nil
	}
	return private(tr(r.lang, msgConfirmSaved, m.Title, people(r.lang, came), len(members))), nil
}

// yearReport sends coordinators the year's report as Markdown and CSV files.
func (b *Bot) yearReport(r *request, o options) (*reply, error) {
	if _, err := b.needCoordinator(r); err != nil {
		return nil, err
	}
	year, _ := o.int("year")
	if year < 1000 || year > 9999 {
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
