package report_test

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"coordbot/i18n"
)

// TestXLSXReadsBack writes the seed year's working group as a workbook in
// each language and reads it back with the library: sheet names and
// headers in the group's language, dates and times as numbers with date
// and time formats, counts as numbers, lists as lines of one cell.
func TestXLSXReadsBack(t *testing.T) {
	for _, tc := range []struct {
		lang                   i18n.Lang
		meetings, orgs         string
		header                 []string
		june, orgTotal, status string
	}{
		{i18n.Czech, "Setkání", "Organizace", []string{"Datum", "Čas", "Setkání", "Stav", "Přišli", "Omluveni", "Přislíbili, nezaznamenáno", "Bez odpovědi", "Hosté"},
			"23. 6. 2022", "Setkání (z 3)", "zrušeno"},
		{i18n.English, "Meetings", "Organisations", []string{"Date", "Time", "Meeting", "Status", "Came", "Excused", "Said yes, not recorded", "No answer", "Guests"},
			"23 Jun 2022", "Meetings (of 3)", "cancelled"},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			r := seedReport(t, seedWorkingGroup, tc.lang)
			var b bytes.Buffer
			if err := r.XLSX(&b); err != nil {
				t.Fatal(err)
			}
			x, err := excelize.OpenReader(&b)
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if got := x.GetSheetList(); len(got) != 2 || got[0] != tc.meetings || got[1] != tc.orgs {
				t.Fatalf("sheets %q, want %q and %q", got, tc.meetings, tc.orgs)
			}
			rows, err := x.GetRows(tc.meetings)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 5 {
				t.Fatalf("%d rows, want a header, three meetings and the cancelled one: %q", len(rows), rows)
			}
			if got := rows[0][:len(tc.header)]; strings.Join(got, "|") != strings.Join(tc.header, "|") {
				t.Errorf("header %q, want %q", got, tc.header)
			}
			// June, written up: four came (one by deputy), one recorded
			// absent, two never answered, two guests; its topics come from
			// the program in the minutes' DOCX.
			june := rows[2]
			if june[0] != tc.june || june[1] != "10:00" || strings.Join(june[4:8], " ") != "4 1 0 2" {
				t.Errorf("June row %q", june)
			}
			if june[8] != "Karel Procházka (Krajské ředitelství policie Ústeckého kraje)\nJan Černý (Krajská hygienická stanice Ústeckého kraje)" &&
				june[8] != "Jan Černý (Krajská hygienická stanice Ústeckého kraje)\nKarel Procházka (Krajské ředitelství policie Ústeckého kraje)" {
				t.Errorf("June guests %q", june[8])
			}
			if june[11] != "Pavel Král" || !strings.HasPrefix(june[12], "Plnění strategického dokumentu a evaluace za rok 2022\nFinancování služeb v roce 2023\n") {
				t.Errorf("June deputies %q, topics %q", june[11], june[12])
			}
			if june[13] != "Zápis z jednání PS 23. 6. 2022" {
				t.Errorf("June minutes %q: the Fwd: is correspondence, not minutes", june[13])
			}
			// The cancelled September meeting has its date and status only.
			if rows[3][3] != tc.status || strings.Join(rows[3][4:15], "") != "" {
				t.Errorf("cancelled row %q", rows[3])
			}
			// November was never recorded: who came is empty, not 0.
			if nov := rows[4]; strings.Join(nov[4:8], " ") != " 1 4 1" {
				t.Errorf("November row %q", nov)
			}

			// A date cell is a number with a date format, not text.
			raw, err := x.GetCellValue(tc.meetings, "A3", excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			// Serial dates count days from 30 December 1899.
			want := strconv.Itoa(int(time.Date(2022, time.June, 23, 0, 0, 0, 0, time.UTC).Sub(time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24))
			if raw != want {
				t.Errorf("A3 holds %q, want the serial date %v", raw, want)
			}
			if typ, err := x.GetCellType(tc.meetings, "A3"); err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
				t.Errorf("A3 is of type %v (%v), want a number", typ, err)
			}
			styleID, err := x.GetCellStyle(tc.meetings, "A3")
			if err != nil {
				t.Fatal(err)
			}
			style, err := x.GetStyle(styleID)
			if err != nil {
				t.Fatal(err)
			}
			if style.CustomNumFmt == nil || !strings.Contains(*style.CustomNumFmt, "yyyy") {
				t.Errorf("A3 number format %v, want a date format", style.CustomNumFmt)
			}
			// A time is a fraction of a day: 9:30 is 0.3958…
			tm, err := x.GetCellValue(tc.meetings, "B5", excelize.Options{RawCellValue: true})
			if v, perr := strconv.ParseFloat(tm, 64); err != nil || perr != nil || math.Abs(v-9.5/24) > 1e-9 {
				t.Errorf("B5 (9:30) holds %q (%v), want a fraction of a day", tm, err)
			}

			orgs, err := x.GetRows(tc.orgs)
			if err != nil {
				t.Fatal(err)
			}
			if len(orgs) != 7 || orgs[0][2] != tc.june || orgs[0][4] != tc.orgTotal {
				t.Fatalf("organisations sheet %q", orgs)
			}
			if got := strings.Join(orgs[4], "|"); got != "Oblastní charita Most||1||1" {
				t.Errorf("row 5 %q", got)
			}
			// The member organisation that never came closes the sheet.
			if got := strings.Join(orgs[6], "|"); got != "Světlo Kadaň, z. s.||||0" {
				t.Errorf("last row %q", got)
			}
			if typ, err := x.GetCellType(tc.orgs, "B1"); err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
				t.Errorf("the meeting's column header is of type %v (%v), want a date", typ, err)
			}
		})
	}
}
