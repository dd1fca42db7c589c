package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"coordbot/i18n"
	"coordbot/store"
)

// resolve turns r.Lang into i18n.Czech or i18n.English: the summary's
// sentences are built differently in each language, so it compares the
// language itself rather than only picking an i18n.Text.
func resolve(l i18n.Lang) i18n.Lang {
	if p, err := i18n.ParseLang(string(l)); err == nil {
		return p
	}
	return i18n.Czech
}

// Headings and phrases of the report.
var (
	txtOverview      = i18n.Text{CS: "Přehled setkání", EN: "Meetings"}
	txtDetails       = i18n.Text{CS: "Jednotlivá setkání", EN: "Meeting details"}
	txtColDate       = i18n.Text{CS: "Datum", EN: "Date"}
	txtColMeeting    = i18n.Text{CS: "Setkání", EN: "Meeting"}
	txtColAttended   = i18n.Text{CS: "Účast", EN: "Attended"}
	txtColAbsent     = i18n.Text{CS: "Omluveno", EN: "Absent"}
	txtColNoAnswer   = i18n.Text{CS: "Bez odpovědi", EN: "No answer"}
	txtColMinutes    = i18n.Text{CS: "Zápis", EN: "Minutes"}
	txtFromRSVPs     = i18n.Text{CS: "podle odpovědí na pozvánku; skutečná účast nebyla zaznamenána.", EN: "from the RSVPs; actual attendance was not recorded."}
	txtPlace         = i18n.Text{CS: "Místo", EN: "Place"}
	txtStatusSched   = i18n.Text{CS: "Setkání nebylo označeno jako proběhlé; údaje vycházejí z plánu.", EN: "The meeting was not marked as held; this is what was planned."}
	txtRecorded      = i18n.Text{CS: "Zaznamenaná účast", EN: "Recorded attendance"}
	txtRSVPYes       = i18n.Text{CS: "Účast podle odpovědí na pozvánku", EN: "Attendance from RSVPs"}
	txtAbsent        = i18n.Text{CS: "Omluvená neúčast", EN: "Sent apologies"}
	txtMaybe         = i18n.Text{CS: "Odpověď „možná“", EN: "Answered “maybe”"}
	txtNoAnswer      = i18n.Text{CS: "Bez odpovědi", EN: "No answer"}
	txtAgenda        = i18n.Text{CS: "Program", EN: "Agenda"}
	txtMinutes       = i18n.Text{CS: "Zápis", EN: "Minutes"}
	txtSubstitute    = i18n.Text{CS: "zástup", EN: "substitute"}
	txtNoOrg         = i18n.Text{CS: "bez uvedené organizace", EN: "no organisation given"}
	txtNoSubject     = i18n.Text{CS: "(bez předmětu)", EN: "(no subject)"}
	txtDidNotMeet    = i18n.Text{CS: "V roce %d se skupina nesešla.", EN: "The group did not meet in %d."}
	txtAttachmentOne = i18n.Text{CS: "příloha", EN: "attachment"}
	txtAttachments   = i18n.Text{CS: "přílohy", EN: "attachments"}
)

// Summary returns the annual-report paragraph in r.Lang as plain text:
// how often and when the group met, what was cancelled, which
// organisations took part and what was discussed.
func (r *Report) Summary() string {
	lang := resolve(r.Lang)
	var sentences []string
	if n := len(r.Meetings); n == 0 {
		sentences = append(sentences, txtDidNotMeet.In(lang, r.Year))
	} else {
		ms := make([]*store.Meeting, n)
		for i, mr := range r.Meetings {
			ms[i] = mr.Meeting
		}
		dates := r.dateList(lang, ms)
		if lang == i18n.English {
			times := "once"
			if n != 1 {
				times = i18n.Count(lang, n, "time", "times", "times") + spelled(lang, n)
			}
			sentences = append(sentences, fmt.Sprintf("In %d the group met %s – %s.", r.Year, times, dates))
		} else {
			// The verb agrees with the numeral: "konalo se jedno / pět
			// setkání", but "konala se tři setkání".
			sentences = append(sentences, fmt.Sprintf("V roce %d se %s %s%s – %s.", r.Year,
				i18n.Plural(lang, n, "konalo", "konala", "konalo"),
				i18n.Count(lang, n, "setkání", "setkání", "setkání"), spelled(lang, n), dates))
		}
	}
	if k := len(r.Cancelled); k > 0 {
		dates := r.dateList(lang, r.Cancelled)
		if lang == i18n.English {
			sentences = append(sentences, fmt.Sprintf("%s %s cancelled (%s).",
				i18n.Count(lang, k, "meeting", "meetings", "meetings"), i18n.Plural(lang, k, "was", "were", "were"), dates))
		} else {
			sentences = append(sentences, fmt.Sprintf("%s %s (%s).",
				i18n.Plural(lang, k, "Zrušeno bylo", "Zrušena byla", "Zrušeno bylo"),
				i18n.Count(lang, k, "setkání", "setkání", "setkání"), dates))
		}
	}
	if len(r.Organisations) > 0 {
		items := make([]string, len(r.Organisations))
		for i, o := range r.Organisations {
			items[i] = fmt.Sprintf("%s (%s)", o.Organisation, meetingsCount(lang, o.Meetings))
		}
		label := i18n.Text{
			CS: i18n.Plural(i18n.Czech, len(items), "Účastnila se organizace", "Účastnily se organizace", "Účastnily se organizace"),
			EN: "Organisations represented",
		}
		if len(items) == 1 {
			label.EN = "Organisation represented"
		}
		sentences = append(sentences, label.In(lang)+": "+i18n.JoinList(lang, items)+".")
	}
	if len(r.Topics) > 0 {
		topics := make([]string, len(r.Topics))
		for i, t := range r.Topics {
			topics[i] = strings.TrimRight(t, ".")
		}
		label := i18n.Text{
			CS: i18n.Plural(i18n.Czech, len(topics), "Projednávané téma", "Projednávaná témata", "Projednávaná témata"),
			EN: i18n.Plural(i18n.English, len(topics), "Topic discussed", "Topics discussed", "Topics discussed"),
		}
		sentences = append(sentences, label.In(lang)+": "+i18n.JoinList(lang, topics)+".")
	}
	return strings.Join(sentences, " ")
}

// spelled returns " (tři)" for a count the i18n package can spell, "" for
// one it writes in digits anyway.
func spelled(lang i18n.Lang, n int) string {
	w := i18n.Cardinal(lang, n, i18n.Neuter)
	if w == strconv.Itoa(n) {
		return ""
	}
	return " (" + w + ")"
}

func meetingsCount(lang i18n.Lang, n int) string {
	if lang == i18n.English {
		return i18n.Count(lang, n, "meeting", "meetings", "meetings")
	}
	return i18n.Count(lang, n, "setkání", "setkání", "setkání")
}

// dateList enumerates the meetings' dates the way an annual report does,
// with the year once at the end: "23. 3., 23. 6. a 2. 11. 2027".
func (r *Report) dateList(lang i18n.Lang, ms []*store.Meeting) string {
	items := make([]string, len(ms))
	for i, m := range ms {
		if i == len(ms)-1 {
			items[i] = i18n.FormatDate(m.Start, r.loc(m), lang)
		} else {
			items[i] = i18n.FormatDayMonth(m.Start, r.loc(m), lang)
		}
	}
	return i18n.JoinList(lang, items)
}

// loc is the zone a meeting's wall-clock time is shown in: its own, else
// the group's.
func (r *Report) loc(m *store.Meeting) *time.Location {
	if loc, err := time.LoadLocation(m.TimeZone); err == nil && m.TimeZone != "" {
		return loc
	}
	if r.Group != nil {
		if loc, err := r.Group.Location(); err == nil {
			return loc
		}
	}
	return time.UTC
}

// Markdown writes the report in r.Lang as a draft: the annual-report
// paragraph (Summary), a table of the meetings that took place, and a
// section per meeting with attendance by organisation, agenda and minutes.
func (r *Report) Markdown(w io.Writer) error {
	lang := resolve(r.Lang)
	var b strings.Builder
	name := ""
	if r.Group != nil {
		name = r.Group.Name
	}
	fmt.Fprintf(&b, "# %s – %d\n\n%s\n", md(name), r.Year, md(r.Summary()))
	if len(r.Meetings) > 0 {
		r.table(&b, lang)
		fmt.Fprintf(&b, "\n## %s\n", txtDetails.In(lang))
		for _, mr := range r.Meetings {
			r.details(&b, lang, mr)
		}
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("report: write markdown: %w", err)
	}
	return nil
}

func (r *Report) table(b *strings.Builder, lang i18n.Lang) {
	fmt.Fprintf(b, "\n## %s\n\n", txtOverview.In(lang))
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n| --- | --- | ---: | ---: | ---: | --- |\n",
		txtColDate.In(lang), txtColMeeting.In(lang), txtColAttended.In(lang), txtColAbsent.In(lang),
		txtColNoAnswer.In(lang), txtColMinutes.In(lang))
	fromRSVPs := false
	for _, mr := range r.Meetings {
		attended := strconv.Itoa(len(mr.Present()))
		if !mr.Recorded {
			// Marked, so nobody mistakes promises for a head count.
			attended += "\\*"
			fromRSVPs = true
		}
		minutes := "—"
		if len(mr.Minutes) > 0 {
			subjects := make([]string, len(mr.Minutes))
			for i, m := range mr.Minutes {
				subjects[i] = md(subject(lang, m.Subject))
			}
			minutes = strings.Join(subjects, "; ")
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d | %d | %s |\n",
			i18n.FormatDate(mr.Meeting.Start, r.loc(mr.Meeting), lang), md(mr.Meeting.Title),
			attended, len(mr.Excused), len(mr.NeverAnswered), minutes)
	}
	if fromRSVPs {
		fmt.Fprintf(b, "\n\\* %s\n", txtFromRSVPs.In(lang))
	}
}

func (r *Report) details(b *strings.Builder, lang i18n.Lang, mr *MeetingReport) {
	m := mr.Meeting
	fmt.Fprintf(b, "\n### %s – %s\n\n", i18n.FormatDateTime(m.Start, r.loc(m), lang), md(m.Title))
	if m.Place != "" {
		fmt.Fprintf(b, "%s: %s\n\n", txtPlace.In(lang), md(m.Place))
	}
	if m.Status == store.MeetingScheduled {
		fmt.Fprintf(b, "%s\n\n", txtStatusSched.In(lang))
	}
	label := txtRSVPYes
	if mr.Recorded {
		label = txtRecorded
	}
	people(b, lang, label.In(lang), mr.Present(), true)
	people(b, lang, txtAbsent.In(lang), mr.Excused, false)
	people(b, lang, txtMaybe.In(lang), mr.Maybe, false)
	people(b, lang, txtNoAnswer.In(lang), mr.NeverAnswered, false)

	fmt.Fprintf(b, "**%s**\n\n", txtAgenda.In(lang))
	if len(mr.Agenda) == 0 {
		b.WriteString("—\n\n")
	}
	for i, item := range mr.Agenda {
		fmt.Fprintf(b, "%d. %s\n", i+1, md(item))
	}
	if len(mr.Agenda) > 0 {
		b.WriteString("\n")
	}

	fmt.Fprintf(b, "**%s**\n\n", txtMinutes.In(lang))
	if len(mr.Minutes) == 0 {
		b.WriteString("—\n")
	}
	for _, ref := range mr.Minutes {
		line := "- " + md(subject(lang, ref.Subject))
		if n := len(ref.Attachments); n > 0 {
			names := make([]string, n)
			for i, a := range ref.Attachments {
				names[i] = md(a)
			}
			label := i18n.Plural(lang, n, txtAttachmentOne.In(lang), txtAttachments.In(lang), txtAttachments.In(lang))
			line += " (" + label + ": " + strings.Join(names, ", ") + ")"
		}
		b.WriteString(line + "\n")
	}
}

// people writes a labelled list of people, one line per organisation. An
// empty list is written as a dash when always is set, else left out.
func people(b *strings.Builder, lang i18n.Lang, label string, ps []Person, always bool) {
	if len(ps) == 0 && !always {
		return
	}
	fmt.Fprintf(b, "**%s (%d)**\n\n", label, len(ps))
	if len(ps) == 0 {
		b.WriteString("—\n\n")
		return
	}
	// Group by organisation in the order the list has (Build sorts it).
	var orgs []string
	byOrg := map[string][]string{}
	for _, p := range ps {
		if _, ok := byOrg[p.Organisation]; !ok {
			orgs = append(orgs, p.Organisation)
		}
		name := md(p.Name)
		if p.Substitute != "" {
			name += " (" + txtSubstitute.In(lang) + ": " + md(p.Substitute) + ")"
		}
		byOrg[p.Organisation] = append(byOrg[p.Organisation], name)
	}
	for _, org := range orgs {
		label := md(org)
		if org == "" {
			label = txtNoOrg.In(lang)
		}
		fmt.Fprintf(b, "- %s: %s\n", label, strings.Join(byOrg[org], ", "))
	}
	b.WriteString("\n")
}

func subject(lang i18n.Lang, s string) string {
	if strings.TrimSpace(s) == "" {
		return txtNoSubject.In(lang)
	}
	return s
}

// mdEscaper escapes what would turn people's text into markup: emphasis,
// links, HTML, code and table cell borders.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `|`, `\|`,
)

// md makes text typed by people safe inline Markdown on one line.
func md(s string) string {
	return mdEscaper.Replace(strings.Join(strings.Fields(s), " "))
}
