package report_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"coordbot/i18n"
	"coordbot/report"
	"coordbot/store"
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

			// The time's format, the header in bold and wrapped, the
			// column widths, the frozen header and the properties.
			if style := cellStyle(t, x, tc.meetings, "B5"); style.CustomNumFmt == nil || *style.CustomNumFmt != "h:mm" {
				t.Errorf("B5 number format %v, want h:mm", style.CustomNumFmt)
			}
			if style := cellStyle(t, x, tc.meetings, "C1"); style.Font == nil || !style.Font.Bold || style.Alignment == nil || !style.Alignment.WrapText {
				t.Errorf("header style %+v, want bold and wrapped", style)
			}
			if style := cellStyle(t, x, tc.meetings, "M3"); style.Alignment == nil || !style.Alignment.WrapText || style.Alignment.Vertical != "top" {
				t.Errorf("topics style %+v, want wrapped at the top", style)
			}
			for col, want := range map[string]float64{"A": 12, "C": 36, "M": 44, "P": 36} {
				if got, err := x.GetColWidth(tc.meetings, col); err != nil || got != want {
					t.Errorf("column %s is %v wide (%v), want %v", col, got, err, want)
				}
			}
			if p, err := x.GetPanes(tc.meetings); err != nil || !p.Freeze || p.YSplit != 1 || p.TopLeftCell != "A2" {
				t.Errorf("panes %+v (%v), want the header row frozen", p, err)
			}
			if props, err := x.GetDocProps(); err != nil || props.Title != "Pracovní skupina protidrogové politiky – 2022" || props.Language != string(tc.lang) {
				t.Errorf("document properties %+v (%v)", props, err)
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
			if style := cellStyle(t, x, tc.orgs, "B1"); style.Font == nil || !style.Font.Bold || style.CustomNumFmt == nil || !strings.Contains(*style.CustomNumFmt, "yyyy") {
				t.Errorf("the meeting's column header has style %+v, want a bold date", style)
			}
			if w, err := x.GetColWidth(tc.orgs, "A"); err != nil || w != 44 {
				t.Errorf("organisation column %v wide (%v), want 44", w, err)
			}
		})
	}
}

// cellStyle returns the style of a cell of the workbook.
func cellStyle(t *testing.T, x *excelize.File, sheet, cell string) *excelize.Style {
	t.Helper()
	id, err := x.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	style, err := x.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return style
}

// TestXLSXKeepsTextAsText writes a meeting whose title and place people
// typed: a formula stays text, a control character XML cannot carry is
// replaced (the report itself folds the place's spaces and line break),
// and every part of the package is well-formed XML.
func TestXLSXKeepsTextAsText(t *testing.T) {
	f := openStore(t)
	f.member(t, "Jana Nováková", "Krajský úřad Ústeckého kraje")
	title := "=HYPERLINK(\"http://example.com\";\"klikni\")"
	place := "  Most,\nradnice\x01 "
	m := &store.Meeting{GroupID: f.group.ID, Title: title, Start: at(2027, time.March, 23, 10, 0),
		TimeZone: "Europe/Prague", Duration: time.Hour, Place: place}
	if err := f.s.CreateMeeting(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r, err := report.BuildAt(context.Background(), f.s, f.group.Slug, 2027, now)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.XLSX(&b); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(rc)
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Errorf("%s: %v", zf.Name, err)
				break
			}
		}
		rc.Close()
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet := x.GetSheetList()[0]
	if got, err := x.GetCellValue(sheet, "C2"); err != nil || got != title {
		t.Errorf("title %q (%v), want %q", got, err, title)
	}
	if fm, err := x.GetCellFormula(sheet, "C2"); err != nil || fm != "" {
		t.Errorf("title has formula %q (%v), want none", fm, err)
	}
	if typ, err := x.GetCellType(sheet, "C2"); err != nil || typ != excelize.CellTypeSharedString {
		t.Errorf("title is of type %v (%v), want text", typ, err)
	}
	if got, err := x.GetCellValue(sheet, "P2"); err != nil || got != "Most, radnice\uFFFD" {
		t.Errorf("place %q (%v)", got, err)
	}
}
