package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	txtOverview       = i18n.Text{CS: "Přehled setkání", EN: "Meetings"}
	txtOrgTable       = i18n.Text{CS: "Účast organizací", EN: "Attendance by organisation"}
	txtDetails        = i18n.Text{CS: "Jednotlivá setkání", EN: "Meeting details"}
	txtColDate        = i18n.Text{CS: "Datum", EN: "Date"}
	txtColTime        = i18n.Text{CS: "Čas", EN: "Time"}
	txtColMeeting     = i18n.Text{CS: "Setkání", EN: "Meeting"}
	txtColStatus      = i18n.Text{CS: "Stav", EN: "Status"}
	txtColRecorded    = i18n.Text{CS: "Účast zaznamenána", EN: "Attendance recorded"}
	txtColCame        = i18n.Text{CS: "Přišli", EN: "Came"}
	txtColYes         = i18n.Text{CS: "Přislíbili", EN: "Said yes"}
	txtColYesCSV      = i18n.Text{CS: "Přislíbili, účast nezaznamenána", EN: "Said yes, not recorded"}
	txtColExcused     = i18n.Text{CS: "Omluveni", EN: "Excused"}
	txtColNoAnswer    = i18n.Text{CS: "Bez odpovědi", EN: "No answer"}
	txtColGuests      = i18n.Text{CS: "Hosté", EN: "Guests"}
	txtColGuestNames  = i18n.Text{CS: "Jména hostů", EN: "Guest names"}
	txtColDeputies    = i18n.Text{CS: "Zástupci", EN: "Deputies"}
	txtColOrgs        = i18n.Text{CS: "Zastoupené organizace", EN: "Organisations represented"}
	txtColTopics      = i18n.Text{CS: "Témata", EN: "Topics"}
	txtColMinutes     = i18n.Text{CS: "Zápis", EN: "Minutes"}
	txtColAttachments = i18n.Text{CS: "Přílohy", EN: "Attachments"}
	txtColCorresp     = i18n.Text{CS: "Korespondence", EN: "Correspondence"}
	txtColOrg         = i18n.Text{CS: "Organizace", EN: "Organisation"}
	txtColOrgMeetings = i18n.Text{CS: "Setkání s účastí (z %d)", EN: "Meetings attended (of %d)"}
	txtNotRecorded    = i18n.Text{CS: "nezaznamenáno", EN: "not recorded"}
	txtLegend         = i18n.Text{
		CS: "Kde účast nebyla zaznamenána, uvádí tabulka jen odpovědi na pozvánku: „přislíbili“ je slib, ne prezence.",
		EN: "Where attendance was not recorded, the table gives only the answers to the invitation: “said yes” is a promise, not a head count.",
	}
	txtPlace        = i18n.Text{CS: "Místo", EN: "Place"}
	txtStatusSched  = i18n.Text{CS: "Setkání nebylo označeno jako proběhlé; údaje vycházejí z plánu a odpovědí.", EN: "The meeting was not marked as held; this is what was planned and answered."}
	txtCame         = i18n.Text{CS: "Přišli", EN: "Came"}
	txtYes          = i18n.Text{CS: "Přislíbili účast", EN: "Said yes"}
	txtExcused      = i18n.Text{CS: "Omluveni", EN: "Excused"}
	txtMaybe        = i18n.Text{CS: "Odpověděli „možná“", EN: "Answered “maybe”"}
	txtNoAnswer     = i18n.Text{CS: "Bez odpovědi", EN: "No answer"}
	txtGuests       = i18n.Text{CS: "Hosté", EN: "Guests"}
	txtNobody       = i18n.Text{CS: "Účast nebyla zaznamenána.", EN: "Attendance was not recorded."}
	txtTopics       = i18n.Text{CS: "Témata", EN: "Topics"}
	txtTopicsMins   = i18n.Text{CS: "Témata (podle programu v zápisu)", EN: "Topics (from the program in the minutes)"}
	txtMinutes      = i18n.Text{CS: "Zápis", EN: "Minutes"}
	txtSubstitute   = i18n.Text{CS: "zástup", EN: "deputy"}
	txtNoOrg        = i18n.Text{CS: "bez uvedené organizace", EN: "no organisation given"}
	txtNoSubject    = i18n.Text{CS: "(bez předmětu)", EN: "(no subject)"}
	txtDidNotMeet   = i18n.Text{CS: "V roce %d se skupina nesešla.", EN: "The group did not meet in %d."}
	txtAttachOne    = i18n.Text{CS: "příloha", EN: "attachment"}
	txtAttachMany   = i18n.Text{CS: "přílohy", EN: "attachments"}
	txtStatusHeld   = i18n.Text{CS: "proběhlo", EN: "held"}
	txtStatusCanc   = i18n.Text{CS: "zrušeno", EN: "cancelled"}
	txtStatusPlan   = i18n.Text{CS: "naplánováno", EN: "scheduled"}
	txtYesValue     = i18n.Text{CS: "ano", EN: "yes"}
	txtNoValue      = i18n.Text{CS: "ne", EN: "no"}
	txtCorrespLabel = i18n.Text{CS: "Korespondence k zápisu", EN: "Correspondence about the minutes"}
)

// Summary returns the annual-report paragraph in r.Lang as plain text, in
// the shape of the seed ("V roce 2022 se konala 3 setkání – 23. 3., 23. 6.
// a 2. 11. 2022. …"): when the group met, what was cancelled, who the
// group is made of and how much of it came, for which meetings attendance
// was not recorded, the guests, and what was discussed.
func (r *Report) Summary() string {
	lang := resolve(r.Lang)
	en := lang == i18n.English
	var out []string
	say := func(cs, enText string) {
		if en {
			out = append(out, enText)
		} else {
			out = append(out, cs)
		}
	}
	ms := make([]*store.Meeting, len(r.Meetings))
	for i, mr := range r.Meetings {
		ms[i] = mr.Meeting
	}
	n := len(ms)

	// When.
	switch {
	case n == 0:
		out = append(out, txtDidNotMeet.In(lang, r.Year))
	case en:
		dates := r.dateList(lang, ms)
		switch n {
		case 1:
			out = append(out, "The group met once, on "+dates+".")
		case 2:
			out = append(out, "The group met twice: "+dates+".")
		default:
			out = append(out, fmt.Sprintf("The group met %d times: %s.", n, dates))
		}
	default:
		// The verb agrees with the numeral: "konalo se 1 / 5 setkání",
		// but "konala se 2, 3, 4 setkání".
		out = append(out, fmt.Sprintf("V roce %d se %s %d setkání – %s.", r.Year,
			i18n.Plural(lang, n, "konalo", "konala", "konalo"), n, r.dateList(lang, ms)))
	}
	if k := len(r.Cancelled); k > 0 {
		dates := r.dateList(lang, r.Cancelled)
		if k == 1 {
			say("Setkání plánované na "+dates+" bylo zrušeno.", "The meeting planned for "+dates+" was cancelled.")
		} else {
			say("Setkání plánovaná na "+dates+" byla zrušena.", "The meetings planned for "+dates+" were cancelled.")
		}
	}
	if n == 0 {
		return strings.Join(out, " ")
	}

	// Who.
	if s := r.membersSentence(lang); s != "" {
		out = append(out, s)
	}
	if s := r.coverageSentence(lang); s != "" {
		out = append(out, s)
	}
	var unrecorded []*store.Meeting
	for _, mr := range r.Meetings {
		if !mr.Recorded {
			unrecorded = append(unrecorded, mr.Meeting)
		}
	}
	if len(unrecorded) > 0 {
		dates := r.dateList(lang, unrecorded)
		if len(unrecorded) == 1 {
			say("U setkání "+dates+" nebyla účast zaznamenána.", "Attendance was not recorded at the meeting on "+dates+".")
		} else {
			say("U setkání "+dates+" nebyla účast zaznamenána.", "Attendance was not recorded at the meetings on "+dates+".")
		}
	}
	if g := len(r.Guests); g > 0 {
		names := make([]string, g)
		for i, p := range r.Guests {
			names[i] = p.Name
			if p.Organisation != "" {
				names[i] += " (" + p.Organisation + ")"
			}
		}
		list := joinItems(lang, names)
		if g == 1 {
			say("Dále se setkání účastnil host: "+list+".", "A guest also took part: "+list+".")
		} else {
			say("Dále se setkání účastnili hosté: "+list+".", "Guests also took part: "+list+".")
		}
	}

	// What.
	if len(r.Topics) > 0 {
		topics := make([]string, len(r.Topics))
		for i, t := range r.Topics {
			topics[i] = lowerFirst(strings.TrimRight(t, ".…; "))
		}
		// A colon: the impersonal "bylo řešeno" cannot agree with every
		// topic of a list ("plnění", "aktuality", "situace").
		list := joinItems(lang, topics)
		if n == 1 {
			say("Na setkání bylo řešeno: "+list+".", "The meeting dealt with "+list+".")
		} else {
			say("Na setkáních bylo řešeno: "+list+".", "The meetings dealt with "+list+".")
		}
	}
	for i, s := range out {
		// A sentence ending in "z. s." takes no second full stop.
		if strings.HasSuffix(s, "..") {
			out[i] = s[:len(s)-1]
		}
	}
	return strings.Join(out, " ")
}

// joinItems enumerates names or topics; when one of them has a comma of
// its own ("Most k naději, z. s."), semicolons separate the items so the
// list still reads as the items it is made of.
func joinItems(lang i18n.Lang, items []string) string {
	for _, it := range items {
		if strings.Contains(it, ",") {
			and := " a "
			if lang == i18n.English {
				and = " and "
			}
			if len(items) == 1 {
				return items[0]
			}
			last := len(items) - 1
			return strings.Join(items[:last], "; ") + and + items[last]
		}
	}
	return i18n.JoinList(lang, items)
}

// membersSentence says who the group is made of: its members'
// organisations, counted in municipalities when they all are.
func (r *Report) membersSentence(lang i18n.Lang) string {
	orgs := r.MemberOrganisations
	en := lang == i18n.English
	if len(orgs) == 0 {
		if len(r.Organisations) == 0 {
			return ""
		}
		names := make([]string, len(r.Organisations))
		for i, o := range r.Organisations {
			names[i] = o.Organisation
		}
		if en {
			return "Representatives of these organisations took part: " + joinItems(lang, names) + "."
		}
		return "Setkání se účastnili zástupci těchto organizací: " + joinItems(lang, names) + "."
	}
	list := joinItems(lang, orgs)
	if en {
		return fmt.Sprintf("The group is made up of representatives of %d %s: %s.", len(orgs),
			orgNounEN(len(orgs), r.Coverage.Municipalities), list)
	}
	return fmt.Sprintf("Skupina je složena ze zástupců %d %s: %s.", len(orgs),
		orgNounGenitive(len(orgs), r.Coverage.Municipalities), list)
}

// coverageSentence says how many of the member organisations came at
// least once: "Na setkáních bylo zastoupeno 15 ze 16 obcí." Nothing when
// there is nothing to compare (no member organisations, or no recorded
// attendance at all).
func (r *Report) coverageSentence(lang i18n.Lang) string {
	c := r.Coverage
	if c.Of == 0 || c.Represented == 0 || (c.Of == 1 && c.Represented == 1) {
		return ""
	}
	where := "Na setkáních"
	if len(r.Meetings) == 1 {
		where = "Na setkání"
	}
	if lang == i18n.English {
		noun := orgNounEN(c.Of, c.Municipalities)
		switch {
		case c.Represented == c.Of && c.Of == 2:
			return "Both " + noun + " were represented."
		case c.Represented == c.Of:
			return fmt.Sprintf("All %d %s were represented.", c.Of, noun)
		}
		return fmt.Sprintf("Of the %d %s, %d %s represented.", c.Of, noun, c.Represented,
			i18n.Plural(lang, c.Represented, "was", "were", "were"))
	}
	if c.Represented == c.Of {
		// "všechny 3 organizace byly", but "všech 16 obcí bylo".
		nom := "organizace"
		if c.Municipalities {
			nom = "obce"
		}
		if c.Of <= 4 {
			return fmt.Sprintf("%s byly zastoupeny všechny %d %s.", where, c.Of, nom)
		}
		return fmt.Sprintf("%s bylo zastoupeno všech %d %s.", where, c.Of, orgNounGenitive(c.Of, c.Municipalities))
	}
	// "byla zastoupena 1 ze 4", "byly zastoupeny 3 ze 4", "bylo zastoupeno
	// 15 ze 16": the verb agrees with the first number (obec and
	// organizace are feminine).
	verb := i18n.Plural(lang, c.Represented, "byla zastoupena", "byly zastoupeny", "bylo zastoupeno")
	return fmt.Sprintf("%s %s %d %s %d %s.", where, verb, c.Represented, CzechFrom(c.Of), c.Of,
		orgNounGenitive(c.Of, c.Municipalities))
}

// orgNounGenitive is the Czech genitive after a count: "1 organizace",
// "16 organizací", "1 obce", "16 obcí".
func orgNounGenitive(n int, municipalities bool) string {
	switch {
	case municipalities && n == 1:
		return "obce"
	case municipalities:
		return "obcí"
	case n == 1:
		return "organizace"
	}
	return "organizací"
}

func orgNounEN(n int, municipalities bool) string {
	switch {
	case municipalities && n == 1:
		return "municipality"
	case municipalities:
		return "municipalities"
	case n == 1:
		return "organisation"
	}
	return "organisations"
}

// CzechFrom returns the preposition "z" or "ze" for a number written in
// digits, by how the number is read out in the genitive: "ze" before a
// spoken s, z, š, ž or č ("ze 4" čtyř, "ze 6" šesti, "ze 7" sedmi, "ze 14"
// čtrnácti, "ze 16" šestnácti, "ze 17" sedmnácti, "ze 40" čtyřiceti, "ze
// 100" sta), "z" otherwise ("z 2", "z 5", "z 15", "z 20", "z 1000").
func CzechFrom(n int) string {
	if n < 0 {
		n = -n
	}
	// The word read first names the largest part of the number.
	for n >= 1000 {
		if n < 2000 {
			return "z" // tisíce
		}
		n /= 1000 // "ze čtyř tisíc", "z pěti tisíc"
	}
	if n >= 100 {
		if n < 200 {
			return "ze" // sta
		}
		n /= 100 // "ze čtyř set", "z pěti set"
	}
	if n >= 20 {
		n /= 10 // čtyřiceti, šedesáti, sedmdesáti
	}
	switch n {
	case 4, 6, 7, 14, 16, 17:
		return "ze"
	}
	return "z"
}

// lowerFirst lowers the first letter of a topic so that it reads inside a
// sentence ("Na setkáních bylo řešeno plnění…"), unless its first word
// looks like a name or an abbreviation (another capital in it).
func lowerFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(r) {
		return s
	}
	word := s[size:]
	if i := strings.IndexFunc(word, unicode.IsSpace); i >= 0 {
		word = word[:i]
	}
	if strings.IndexFunc(word, unicode.IsUpper) >= 0 || word == "" {
		return s
	}
	return string(unicode.ToLower(r)) + s[size:]
}

// dateList enumerates dates the way an annual report does, with the year
// once at the end: "23. 3., 23. 6. a 2. 11. 2022", "23 March, 23 June and
// 2 November 2022". Dates of different years each keep their year.
func (r *Report) dateList(lang i18n.Lang, ms []*store.Meeting) string {
	items := make([]string, len(ms))
	for i, m := range ms {
		t := m.Start.In(r.loc(m))
		last := i == len(ms)-1 || ms[i+1].Start.In(r.loc(ms[i+1])).Year() != t.Year()
		items[i] = dayMonth(lang, t)
		if last {
			items[i] += " " + strconv.Itoa(t.Year())
		}
	}
	return i18n.JoinList(lang, items)
}

// dayMonth is "23. 3." in Czech and "23 March" in English prose.
func dayMonth(lang i18n.Lang, t time.Time) string {
	if lang == i18n.English {
		return strconv.Itoa(t.Day()) + " " + t.Month().String()
	}
	return strconv.Itoa(t.Day()) + ". " + strconv.Itoa(int(t.Month())) + "."
}

// loc is the zone a meeting's wall-clock time is shown in: its own, else
// the group's.
func (r *Report) loc(m *store.Meeting) *time.Location {
	if loc := r.zones[m.TimeZone]; loc != nil {
		return loc
	}
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

// Markdown writes the report in r.Lang as a draft for the annual report:
// the paragraph (Summary), a table of the meetings, a table of attendance
// by organisation and a section per meeting with who came, topics and
// minutes. The text is meant to be pasted into Word: prose and lists carry
// no backslash escapes; only a "|" inside a table cell is escaped, as
// Markdown tables need.
func (r *Report) Markdown(w io.Writer) error {
	lang := resolve(r.Lang)
	var b strings.Builder
	name := ""
	if r.Group != nil {
		name = r.Group.Name
	}
	fmt.Fprintf(&b, "# %s – %d\n\n%s\n", line(name), r.Year, line(r.Summary()))
	if len(r.Meetings) > 0 {
		r.table(&b, lang)
		r.orgTable(&b, lang)
		fmt.Fprintf(&b, "\n## %s\n", txtDetails.In(lang))
		for _, mr := range r.Meetings {
			r.details(&b, lang, mr)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("report: write markdown: %w", err)
	}
	return nil
}

func (r *Report) table(b *strings.Builder, lang i18n.Lang) {
	fmt.Fprintf(b, "\n## %s\n\n", txtOverview.In(lang))
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n",
		txtColDate.In(lang), txtColMeeting.In(lang), txtColCame.In(lang), txtColYes.In(lang), txtColExcused.In(lang),
		txtColNoAnswer.In(lang), txtColGuests.In(lang), txtColMinutes.In(lang))
	legend := false
	for _, mr := range r.Meetings {
		came := strconv.Itoa(len(mr.Came))
		if !mr.Recorded {
			came, legend = txtNotRecorded.In(lang), true
		}
		minutes := "—"
		if len(mr.Minutes) > 0 {
			subjects := make([]string, len(mr.Minutes))
			for i, m := range mr.Minutes {
				subjects[i] = subject(lang, m.Subject)
			}
			minutes = strings.Join(subjects, "; ")
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d | %d | %d | %d | %s |\n",
			i18n.FormatDate(mr.Meeting.Start, r.loc(mr.Meeting), lang), cell(mr.Meeting.Title), came,
			len(mr.YesNotRecorded), len(mr.Excused), len(mr.NeverAnswered), len(mr.Guests), cell(minutes))
	}
	if legend {
		fmt.Fprintf(b, "\n%s\n", txtLegend.In(lang))
	}
}

// orgTable lists every organisation that is a member or came, with the
// number of meetings it was represented at: the coverage in detail.
func (r *Report) orgTable(b *strings.Builder, lang i18n.Lang) {
	rows := append([]OrgCount(nil), r.Organisations...)
	seen := map[string]bool{}
	for _, o := range rows {
		seen[o.Organisation] = true
	}
	for _, org := range r.MemberOrganisations {
		if !seen[org] {
			rows = append(rows, OrgCount{Organisation: org})
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## %s\n\n| %s | %s |\n| --- | ---: |\n", txtOrgTable.In(lang), txtColOrg.In(lang),
		txtColOrgMeetings.In(lang, len(r.Meetings)))
	for _, o := range rows {
		fmt.Fprintf(b, "| %s | %d |\n", cell(o.Organisation), o.Meetings)
	}
}

func (r *Report) details(b *strings.Builder, lang i18n.Lang, mr *MeetingReport) {
	m := mr.Meeting
	fmt.Fprintf(b, "\n### %s – %s\n\n", i18n.FormatDateTime(m.Start, r.loc(m), lang), line(m.Title))
	if m.Place != "" {
		fmt.Fprintf(b, "%s: %s\n\n", txtPlace.In(lang), line(m.Place))
	}
	if m.Status == store.MeetingScheduled {
		fmt.Fprintf(b, "%s\n\n", txtStatusSched.In(lang))
	}
	if mr.Recorded {
		people(b, lang, txtCame.In(lang), mr.Came, true)
	} else {
		fmt.Fprintf(b, "%s\n\n", txtNobody.In(lang))
	}
	// A "yes" is shown as a promise, recorded attendance or not: the
	// shell may record only some of the members.
	people(b, lang, txtYes.In(lang), mr.YesNotRecorded, false)
	people(b, lang, txtExcused.In(lang), mr.Excused, false)
	people(b, lang, txtMaybe.In(lang), mr.Maybe, false)
	people(b, lang, txtNoAnswer.In(lang), mr.NeverAnswered, false)
	people(b, lang, txtGuests.In(lang), mr.Guests, false)

	label := txtTopics
	if mr.TopicsFromMinutes {
		label = txtTopicsMins
	}
	fmt.Fprintf(b, "**%s**\n\n", label.In(lang))
	if len(mr.Topics) == 0 {
		b.WriteString("—\n\n")
	}
	for i, item := range mr.Topics {
		fmt.Fprintf(b, "%d. %s\n", i+1, line(item))
	}
	if len(mr.Topics) > 0 {
		b.WriteString("\n")
	}

	fmt.Fprintf(b, "**%s**\n\n", txtMinutes.In(lang))
	if len(mr.Minutes) == 0 {
		b.WriteString("—\n")
	}
	for _, ref := range mr.Minutes {
		l := "- " + line(subject(lang, ref.Subject))
		if n := len(ref.Attachments); n > 0 {
			names := make([]string, n)
			for i, a := range ref.Attachments {
				names[i] = line(a)
			}
			l += " (" + i18n.Plural(lang, n, txtAttachOne.In(lang), txtAttachMany.In(lang), txtAttachMany.In(lang)) +
				": " + strings.Join(names, ", ") + ")"
		}
		b.WriteString(l + "\n")
	}
	if k := mr.Correspondence; k > 0 {
		fmt.Fprintf(b, "\n%s: %s\n", txtCorrespLabel.In(lang), messages(lang, k))
	}
}

// messages counts e-mails: "1 zpráva", "2 zprávy", "5 zpráv"; "1 message".
func messages(lang i18n.Lang, n int) string {
	if lang == i18n.English {
		return i18n.Count(lang, n, "message", "messages", "messages")
	}
	return i18n.Count(lang, n, "zpráva", "zprávy", "zpráv")
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
		name := line(p.Name)
		if p.Substitute != "" {
			name += " (" + txtSubstitute.In(lang) + ": " + line(p.Substitute) + ")"
		}
		byOrg[p.Organisation] = append(byOrg[p.Organisation], name)
	}
	for _, org := range orgs {
		label := line(org)
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

// line puts text typed by people on one line. It escapes nothing: the
// draft is pasted into Word, where a backslash would stay a backslash.
func line(s string) string { return strings.Join(strings.Fields(s), " ") }

// cell is line for a Markdown table cell, where an unescaped "|" would
// end the cell.
func cell(s string) string { return strings.ReplaceAll(line(s), "|", `\|`) }
