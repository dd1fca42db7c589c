package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"
	"time"

	"coordbot/i18n"
	"coordbot/store"
)

// Labels of the HTML page and the workbook. They are the report's own
// (not Markdown's) so that each format can word its headings for its
// medium.
var (
	lblMeetings       = i18n.Text{CS: "Přehled setkání", EN: "Meetings"}
	lblSheetMeetings  = i18n.Text{CS: "Setkání", EN: "Meetings"}
	lblSheetOrgs      = i18n.Text{CS: "Organizace", EN: "Organisations"}
	lblDate           = i18n.Text{CS: "Datum", EN: "Date"}
	lblTime           = i18n.Text{CS: "Čas", EN: "Time"}
	lblMeeting        = i18n.Text{CS: "Setkání", EN: "Meeting"}
	lblStatus         = i18n.Text{CS: "Stav", EN: "Status"}
	lblPlace          = i18n.Text{CS: "Místo", EN: "Place"}
	lblCame           = i18n.Text{CS: "Přišli", EN: "Came"}
	lblExcused        = i18n.Text{CS: "Omluveni", EN: "Excused"}
	lblMaybe          = i18n.Text{CS: "Odpověděli „možná“", EN: "Answered “maybe”"}
	lblPromised       = i18n.Text{CS: "Přislíbili, nezaznamenáno", EN: "Said yes, not recorded"}
	lblGuests         = i18n.Text{CS: "Hosté", EN: "Guests"}
	lblProgram        = i18n.Text{CS: "Program (ze zápisu)", EN: "Programme (from the minutes)"}
	lblCorrespondence = i18n.Text{CS: "Další korespondence k setkání: %d", EN: "Other mail about the meeting: %d"}
	lblNoAnswer       = i18n.Text{CS: "Bez odpovědi", EN: "No answer"}
	lblMinutes        = i18n.Text{CS: "Zápis", EN: "Minutes"}
	lblAgenda         = i18n.Text{CS: "Program", EN: "Agenda"}
	lblOrganisation   = i18n.Text{CS: "Organizace", EN: "Organisation"}
	lblOrgsPresent    = i18n.Text{CS: "Zastoupené organizace", EN: "Organisations present"}
	lblSubstitutes    = i18n.Text{CS: "Zástupci", EN: "Deputies"}
	lblAttachments    = i18n.Text{CS: "Přílohy", EN: "Attachments"}
	lblAttached       = i18n.Text{CS: "přílohy", EN: "attachments"}
	lblByOrg          = i18n.Text{CS: "Účast podle organizací", EN: "Attendance by organisation"}
	lblMeetingsOf     = i18n.Text{CS: "Setkání (z %d)", EN: "Meetings (of %d)"}
	lblChart          = i18n.Text{CS: "Počet setkání, kterých se organizace zúčastnila v roce %d", EN: "Meetings each organisation attended in %d"}
	lblDetails        = i18n.Text{CS: "Jednotlivá setkání", EN: "Meeting details"}
	lblRecordedYes    = i18n.Text{CS: "Účast zaznamenána", EN: "Attendance recorded"}
	lblYes            = i18n.Text{CS: "ano", EN: "yes"}
	lblNo             = i18n.Text{CS: "ne", EN: "no"}
	lblNotMarked      = i18n.Text{CS: "Setkání nebylo označeno jako proběhlé; údaje vycházejí z plánu.", EN: "The meeting was not marked as held; this is what was planned."}
	lblDeputy         = i18n.Text{CS: "zástup", EN: "deputy"}
	lblNoOrg          = i18n.Text{CS: "bez uvedené organizace", EN: "no organisation given"}
	lblNoSubject      = i18n.Text{CS: "(bez předmětu)", EN: "(no subject)"}
	lblHeld           = i18n.Text{CS: "proběhlo", EN: "held"}
	lblPlanned        = i18n.Text{CS: "neoznačeno", EN: "not marked"}
	lblCancelled      = i18n.Text{CS: "zrušeno", EN: "cancelled"}
)

// docReport is the report as the HTML page and the workbook show it:
// strings already in the report's language, numbers already counted, so
// that the template and the sheet writer only lay them out.
type docReport struct {
	Lang       i18n.Lang
	Title      string
	Paragraphs []string
	// Meetings are those that took place, by start; Rows add the
	// cancelled ones in their place, for the workbook.
	Meetings []*docMeeting
	Rows     []*docMeeting
	// AnyPromised and AnyGuests add the table's columns of members who
	// said yes but were not recorded, and of guests, when a meeting has
	// any.
	AnyPromised, AnyGuests bool
	// Orgs are the represented organisations, most meetings first, then
	// the member organisations that never came: the rows behind the
	// prose's coverage ("15 ze 16 obcí").
	Orgs  []docOrg
	Chart docChart
	L     map[string]string
}

// docMeeting is one meeting's row and details.
type docMeeting struct {
	// Day is the local calendar date at midnight UTC and Clock the local
	// time of day as a duration: what a spreadsheet cell holds.
	Day                                  time.Time
	Clock                                time.Duration
	Date, DateTime, Title, Place, Status string
	Cancelled, NotMarked, Recorded       bool
	// The four attendance groups, maybes and guests, counted.
	Came, Excused, YesNotRecorded, Maybe, NeverAnswered, GuestCount int
	// People are the non-empty groups, by organisation.
	People                            []docGroup
	Orgs, Substitutes, Guests, Topics []string
	// TopicsLabel says where the topics come from: the agenda, or the
	// program in the minutes.
	TopicsLabel string
	Minutes     []docMinutes
	// Correspondence counts the replies and forwards, in words ("" for
	// none).
	Correspondence string
}

// docGroup is one attendance group of a meeting.
type docGroup struct {
	Label string
	Count int
	Lines []docOrgPeople
}

type docOrgPeople struct {
	Organisation string
	People       string
}

type docMinutes struct {
	Subject     string
	Attachments []string
}

// docOrg is an organisation's attendance across the year: Attended[i]
// tells whether it was present at Meetings[i].
type docOrg struct {
	Name     string
	Meetings int
	Attended []bool
}

// docChart is the geometry of the bar chart of attendance by organisation:
// each bar under its label, as long as the share of meetings attended.
type docChart struct {
	Width, Height int
	Bars          []docBar
}

type docBar struct {
	Label                     string
	LabelY, BarY, BarW, TextX int
	Value                     string
}

// Chart geometry in CSS pixels: a bar is barMax wide for an organisation
// at every meeting; a label sits above its bar so long names need no room
// at the side.
const (
	chartWidth  = 640
	chartBarMax = 560
	chartRow    = 38
	chartBarH   = 14
)

// doc gathers what the HTML page and the workbook show.
func (r *Report) doc() *docReport {
	lang := resolve(r.Lang)
	d := &docReport{Lang: lang, L: map[string]string{}}
	for key, t := range map[string]i18n.Text{
		"Meetings": lblMeetings, "Date": lblDate, "Time": lblTime, "Meeting": lblMeeting, "Place": lblPlace,
		"Came": lblCame, "Excused": lblExcused, "Maybe": lblMaybe, "NoAnswer": lblNoAnswer, "Minutes": lblMinutes,
		"Agenda": lblAgenda, "Organisation": lblOrganisation, "ByOrg": lblByOrg, "Details": lblDetails,
		"NotMarked": lblNotMarked, "Attachments": lblAttached, "Promised": lblPromised, "Guests": lblGuests,
	} {
		d.L[key] = t.In(lang)
	}
	d.L["MeetingsOf"] = lblMeetingsOf.In(lang, len(r.Meetings))
	d.L["Chart"] = lblChart.In(lang, r.Year)
	name := ""
	if r.Group != nil {
		name = r.Group.Name
	}
	d.Title = fmt.Sprintf("%s – %d", name, r.Year)
	for _, p := range strings.Split(r.Summary(), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			d.Paragraphs = append(d.Paragraphs, p)
		}
	}

	for _, mr := range r.Meetings {
		dm := r.docMeeting(lang, mr.Meeting)
		dm.Recorded = mr.Recorded
		dm.NotMarked = mr.Meeting.Status == store.MeetingScheduled
		dm.Came, dm.Excused, dm.YesNotRecorded = len(mr.Came), len(mr.Excused), len(mr.YesNotRecorded)
		dm.Maybe, dm.NeverAnswered, dm.GuestCount = len(mr.Maybe), len(mr.NeverAnswered), len(mr.Guests)
		for _, g := range []struct {
			label i18n.Text
			ps    []Person
		}{
			{lblCame, mr.Came}, {lblPromised, mr.YesNotRecorded}, {lblExcused, mr.Excused},
			{lblMaybe, mr.Maybe}, {lblNoAnswer, mr.NeverAnswered}, {lblGuests, mr.Guests},
		} {
			if len(g.ps) > 0 {
				dm.People = append(dm.People, docGroup{Label: g.label.In(lang), Count: len(g.ps), Lines: byOrganisation(lang, g.ps)})
			}
		}
		dm.Orgs = distinctOrgs(mr.Came)
		for _, p := range mr.Came {
			if p.Substitute != "" {
				dm.Substitutes = append(dm.Substitutes, p.Substitute)
			}
		}
		for _, p := range mr.Guests {
			dm.Guests = append(dm.Guests, personLine(p))
		}
		dm.Topics = mr.Topics
		dm.TopicsLabel = lblAgenda.In(lang)
		if mr.TopicsFromMinutes {
			dm.TopicsLabel = lblProgram.In(lang)
		}
		for _, ref := range mr.Minutes {
			dm.Minutes = append(dm.Minutes, docMinutes{Subject: subjectOr(lang, ref.Subject), Attachments: ref.Attachments})
		}
		if mr.Correspondence > 0 {
			dm.Correspondence = lblCorrespondence.In(lang, mr.Correspondence)
		}
		d.AnyPromised = d.AnyPromised || dm.YesNotRecorded > 0
		d.AnyGuests = d.AnyGuests || dm.GuestCount > 0
		d.Meetings = append(d.Meetings, dm)
	}
	d.Rows = append(d.Rows, d.Meetings...)
	for _, m := range r.Cancelled {
		dm := r.docMeeting(lang, m)
		dm.Cancelled = true
		d.Rows = append(d.Rows, dm)
	}
	sortByStart(d.Rows)

	for _, o := range r.Organisations {
		do := docOrg{Name: o.Organisation, Meetings: o.Meetings, Attended: make([]bool, len(d.Meetings))}
		for i, dm := range d.Meetings {
			for _, org := range dm.Orgs {
				if org == o.Organisation {
					do.Attended[i] = true
				}
			}
		}
		d.Orgs = append(d.Orgs, do)
	}
	// Member organisations that never came close the table, so that
	// "15 of 16" shows which one is missing.
	represented := map[string]bool{}
	for _, o := range r.Organisations {
		represented[o.Organisation] = true
	}
	for _, org := range r.MemberOrganisations {
		if !represented[org] {
			d.Orgs = append(d.Orgs, docOrg{Name: org, Attended: make([]bool, len(d.Meetings))})
		}
	}
	d.Chart = chart(d.Orgs, len(d.Meetings))
	return d
}

func (r *Report) docMeeting(lang i18n.Lang, m *store.Meeting) *docMeeting {
	local := m.Start.In(r.loc(m))
	dm := &docMeeting{
		Day:      time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC),
		Clock:    time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute,
		Date:     i18n.FormatDate(local, local.Location(), lang),
		DateTime: i18n.FormatDateTime(local, local.Location(), lang),
		Title:    oneLine(m.Title),
		Place:    oneLine(m.Place),
	}
	switch m.Status {
	case store.MeetingCancelled:
		dm.Status = lblCancelled.In(lang)
	case store.MeetingHeld:
		dm.Status = lblHeld.In(lang)
	default:
		dm.Status = lblPlanned.In(lang)
	}
	return dm
}

// sortByStart orders rows by date and time; an insertion sort keeps equal
// starts in the order they came.
func sortByStart(rows []*docMeeting) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].Day.Add(rows[j].Clock).Before(rows[j-1].Day.Add(rows[j-1].Clock)); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// byOrganisation groups people (already sorted by organisation) into one
// line per organisation, deputies named after whom they stood in for.
func byOrganisation(lang i18n.Lang, ps []Person) []docOrgPeople {
	var out []docOrgPeople
	for _, p := range ps {
		name := oneLine(p.Name)
		if p.Substitute != "" {
			name += " (" + lblDeputy.In(lang) + ": " + oneLine(p.Substitute) + ")"
		}
		org := oneLine(p.Organisation)
		if org == "" {
			org = lblNoOrg.In(lang)
		}
		if n := len(out); n > 0 && out[n-1].Organisation == org {
			out[n-1].People += ", " + name
			continue
		}
		out = append(out, docOrgPeople{Organisation: org, People: name})
	}
	return out
}

func chart(orgs []docOrg, meetings int) docChart {
	c := docChart{Width: chartWidth, Height: len(orgs)*chartRow + 4}
	for i, o := range orgs {
		w := 0
		if meetings > 0 {
			w = o.Meetings * chartBarMax / meetings
		}
		y := i * chartRow
		c.Bars = append(c.Bars, docBar{
			Label: o.Name, LabelY: y + 13, BarY: y + 18, BarW: w, TextX: w + 6,
			Value: fmt.Sprintf("%d/%d", o.Meetings, meetings),
		})
	}
	return c
}

func subjectOr(lang i18n.Lang, s string) string {
	if s = oneLine(s); s == "" {
		return lblNoSubject.In(lang)
	}
	return s
}

// personLine names a guest with their organisation.
func personLine(p Person) string {
	if org := oneLine(p.Organisation); org != "" {
		return oneLine(p.Name) + " (" + org + ")"
	}
	return oneLine(p.Name)
}

// oneLine collapses runs of white space, line breaks included.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

//go:embed html.tmpl
var htmlSource string

// htmlTemplate is parsed on first use, not at start-up: parsing it took
// ~0.4 ms of every coordbot command (issue 14).
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"join": strings.Join,
	}).Parse(htmlSource))
})

// HTML writes the report in r.Lang as one self-contained HTML page: the
// annual-report paragraph, a table of the meetings, attendance by
// organisation as a table and an inline SVG bar chart, and the details of
// each meeting. It has no scripts and loads nothing, so it pastes into Word
// with its tables and prints on A4.
func (r *Report) HTML(w io.Writer) error {
	var b strings.Builder
	if err := htmlTemplate().Execute(&b, r.doc()); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("report: write html: %w", err)
	}
	return nil
}
