package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"coordbot/i18n"
	"coordbot/store"
)

// CSVOptions tune WriteCSV.
type CSVOptions struct {
	// Excel writes what Czech Excel opens without an import dialog: a
	// UTF-8 byte-order mark (without it Excel reads the text as
	// Windows-1250) and ";" between fields (the list separator of a Czech
	// Windows, where "," is the decimal comma).
	Excel bool
}

// csvColumns are the CSV's columns in order, named in the report's
// language.
var csvColumns = []i18n.Text{
	txtColDate, txtColTime, txtColMeeting, txtColStatus, txtColRecorded, txtColCame, txtColYesCSV, txtColExcused,
	txtColNoAnswer, txtColGuests, txtColGuestNames, txtColDeputies, txtColOrgs, txtColTopics, txtColMinutes,
	txtColAttachments, txtColCorresp,
}

// listSep joins several values in one cell.
const listSep = " | "

// CSV writes the report as WriteCSV does with the zero options: RFC 4180
// with "," and no byte-order mark.
func (r *Report) CSV(w io.Writer) error { return r.WriteCSV(w, CSVOptions{}) }

// WriteCSV writes one row per meeting of the year, cancelled ones
// included, by start, after a header row, as RFC 4180 UTF-8 text (CRLF line
// ends) with headers and values in r.Lang: the local date (2006-01-02, which
// every spreadsheet reads as a date) and time (15:04), title, status,
// whether attendance was recorded, the counts of people who came (empty
// when not recorded), said yes without a record, were excused or never
// answered, and of guests; then the guests' names, deputies, organisations
// represented, topics, minutes subjects and attachment names, each list
// joined with " | ", and the number of replies and forwards. Cancelled
// meetings leave the columns after status empty.
func (r *Report) WriteCSV(w io.Writer, o CSVOptions) error {
	lang := resolve(r.Lang)
	type row struct {
		m  *store.Meeting
		mr *MeetingReport
	}
	rows := make([]row, 0, len(r.Meetings)+len(r.Cancelled))
	for _, mr := range r.Meetings {
		rows = append(rows, row{mr.Meeting, mr})
	}
	for _, m := range r.Cancelled {
		rows = append(rows, row{m: m})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].m.Start.Before(rows[j].m.Start) })

	if o.Excel {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return fmt.Errorf("report: write csv: %w", err)
		}
	}
	coll := collate.New(language.Czech)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	if o.Excel {
		cw.Comma = ';'
	}
	header := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		header[i] = c.In(lang)
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("report: write csv: %w", err)
	}
	for _, rw := range rows {
		start := rw.m.Start.In(r.loc(rw.m))
		rec := []string{start.Format("2006-01-02"), start.Format("15:04"), csvCell(rw.m.Title), statusName(rw.m.Status).In(lang)}
		if mr := rw.mr; mr != nil {
			var subs, guests, minutes, files []string
			for _, p := range append(append([]Person(nil), mr.Came...), mr.YesNotRecorded...) {
				if p.Substitute != "" {
					subs = append(subs, p.Substitute)
				}
			}
			for _, g := range mr.Guests {
				name := g.Name
				if g.Organisation != "" {
					name += " (" + g.Organisation + ")"
				}
				guests = append(guests, name)
			}
			for _, ref := range mr.Minutes {
				minutes = append(minutes, ref.Subject)
				files = append(files, ref.Attachments...)
			}
			orgs := distinctOrgs(mr.Came)
			sort.SliceStable(orgs, func(i, j int) bool { return coll.CompareString(orgs[i], orgs[j]) < 0 })
			recorded, came := txtNoValue.In(lang), ""
			if mr.Recorded {
				recorded, came = txtYesValue.In(lang), strconv.Itoa(len(mr.Came))
			}
			rec = append(rec, recorded, came, strconv.Itoa(len(mr.YesNotRecorded)), strconv.Itoa(len(mr.Excused)),
				strconv.Itoa(len(mr.NeverAnswered)), strconv.Itoa(len(mr.Guests)),
				list(guests), list(subs), list(orgs), list(mr.Topics), list(minutes), list(files),
				strconv.Itoa(mr.Correspondence))
		} else {
			rec = append(rec, make([]string, len(csvColumns)-len(rec))...)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("report: write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: write csv: %w", err)
	}
	return nil
}

// statusName names a meeting's status for the report ("setkání" is
// neuter: proběhlo, zrušeno, naplánováno).
func statusName(status string) i18n.Text {
	switch status {
	case store.MeetingHeld:
		return txtStatusHeld
	case store.MeetingCancelled:
		return txtStatusCanc
	}
	return txtStatusPlan
}

// list joins values for one cell; a separator inside a value is softened
// so the cell still splits into the values it was made of.
func list(vs []string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.ReplaceAll(v, listSep, " / ")
	}
	return csvCell(strings.Join(out, listSep))
}

// csvCell guards text typed by people against spreadsheet formula
// injection: a cell starting with = + - @ (or a tab or carriage return) is
// a formula to Excel and LibreOffice, so it gets a leading apostrophe,
// which they show as text.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
