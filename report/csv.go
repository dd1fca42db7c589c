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

	"coordbot/store"
)

// csvHeader names the CSV columns. attendance_source says where attended
// comes from: "recorded" attendance or the "rsvp" answers.
var csvHeader = []string{
	"date", "time", "title", "status", "attended", "absent", "no_answer", "substitutes",
	"organisations", "agenda", "minutes_subjects", "attachments", "attendance_source",
}

// listSep joins several values in one cell.
const listSep = " | "

// CSV writes one row per meeting of the year, cancelled ones included,
// by start, after a header row: the local date (2006-01-02) and time
// (15:04), title, status, the counts of people who attended, sent
// apologies and never answered, then substitutes, organisations present,
// agenda items, minutes subjects and attachment names, each list joined
// with " | ". Cancelled meetings leave the columns after status empty.
// The text is UTF-8 without a byte-order mark.
func (r *Report) CSV(w io.Writer) error {
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

	coll := collate.New(language.Czech)
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("report: write csv: %w", err)
	}
	for _, rw := range rows {
		start := rw.m.Start.In(r.loc(rw.m))
		rec := []string{start.Format("2006-01-02"), start.Format("15:04"), cell(rw.m.Title), rw.m.Status}
		if mr := rw.mr; mr != nil {
			present := mr.Present()
			var subs, minutes, files []string
			for _, p := range present {
				if p.Substitute != "" {
					subs = append(subs, p.Substitute)
				}
			}
			for _, ref := range mr.Minutes {
				minutes = append(minutes, ref.Subject)
				files = append(files, ref.Attachments...)
			}
			orgs := distinctOrgs(present)
			sort.SliceStable(orgs, func(i, j int) bool { return coll.CompareString(orgs[i], orgs[j]) < 0 })
			source := "rsvp"
			if mr.Recorded {
				source = "recorded"
			}
			rec = append(rec, strconv.Itoa(len(present)), strconv.Itoa(len(mr.Excused)), strconv.Itoa(len(mr.NeverAnswered)),
				list(subs), list(orgs), list(mr.Agenda), list(minutes), list(files), source)
		} else {
			rec = append(rec, make([]string, len(csvHeader)-len(rec))...)
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

// list joins values for one cell; a separator inside a value is softened
// so the cell still splits into the values it was made of.
func list(vs []string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.ReplaceAll(v, listSep, " / ")
	}
	return cell(strings.Join(out, listSep))
}

// cell guards text typed by people against spreadsheet formula injection:
// a cell starting with = + - @ (or a tab or carriage return) is a formula
// to Excel and LibreOffice, so it gets a leading apostrophe, which they
// show as text.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
