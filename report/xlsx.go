package report

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coordbot/i18n"
)

// The workbook is written by the small Office Open XML (SpreadsheetML)
// writer below rather than by a spreadsheet library: the one we used,
// excelize, initialises ~3 ms of tables at the start of every coordbot
// process (issue 14: `coordbot version` within 5 ms of a hello-world Go
// binary) and adds megabytes to the binary, for a file of two sheets that
// is only ever written. The tests read the file back with excelize.

// Number formats of the workbook's date and time cells, the way each
// language writes them.
const (
	xlsxDateCS   = `d". "m". "yyyy`
	xlsxDateEN   = `d mmm yyyy`
	xlsxTimeFmt  = "h:mm"
	xlsxMaxChars = 32767 // what a cell holds; Excel refuses a longer text
)

// Cell styles: indexes into cellXfs of xl/styles.xml (xlsxStylesXML).
const (
	styleDefault    = iota // what a cell without s= gets
	styleHeader            // bold, top, wrapped
	styleDate              // a date, left, top
	styleHeaderDate        // a date in the header row: bold
	styleTime              // a time of day, left, top
	styleText              // top, wrapped
)

// XLSX writes the report in r.Lang as an Excel workbook: a sheet of the
// year's meetings, cancelled ones included, one row each with its date and
// time as real date and time cells, and a sheet of attendance by
// organisation with one column per meeting that took place. Text typed by
// people is stored as text, never as a formula.
func (r *Report) XLSX(w io.Writer) error {
	d := r.doc()
	wb := &workbook{title: d.Title, lang: string(d.Lang), strIndex: map[string]int{}}
	if err := meetingSheet(wb, d); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	if err := orgSheet(wb, d); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	if err := wb.write(w, d.Lang == i18n.English); err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	return nil
}

func meetingSheet(wb *workbook, d *docReport) error {
	lang := d.Lang
	sh := wb.addSheet(lblSheetMeetings.In(lang))
	header := []any{
		lblDate.In(lang), lblTime.In(lang), lblMeeting.In(lang), lblStatus.In(lang), lblCame.In(lang),
		lblExcused.In(lang), lblPromised.In(lang), lblNoAnswer.In(lang), lblGuests.In(lang), lblRecordedYes.In(lang),
		lblOrgsPresent.In(lang), lblSubstitutes.In(lang), lblAgenda.In(lang), lblMinutes.In(lang),
		lblAttachments.In(lang), lblPlace.In(lang),
	}
	if err := sh.addRow(header, styleHeader); err != nil {
		return err
	}
	for _, dm := range d.Rows {
		rec := []any{dm.Day, dm.Clock.Hours() / 24, dm.Title, dm.Status}
		if dm.Cancelled {
			rec = append(rec, make([]any, 11)...)
		} else {
			recorded := lblNo.In(lang)
			if dm.Recorded {
				recorded = lblYes.In(lang)
			}
			var minutes, files []string
			for _, m := range dm.Minutes {
				minutes = append(minutes, m.Subject)
				files = append(files, m.Attachments...)
			}
			// Who came is left empty, not 0, where nobody recorded it.
			var came any
			if dm.Recorded {
				came = dm.Came
			}
			rec = append(rec, came, dm.Excused, dm.YesNotRecorded, dm.NeverAnswered, lines(dm.Guests), recorded,
				lines(dm.Orgs), lines(dm.Substitutes), lines(dm.Topics), lines(minutes), lines(files))
		}
		rec = append(rec, dm.Place)
		if err := sh.addRow(rec, styleText); err != nil {
			return err
		}
		sh.style(len(sh.rows)-1, 0, styleDate)
		sh.style(len(sh.rows)-1, 1, styleTime)
	}
	sh.widths = []float64{12, 7, 36, 12, 9, 10, 14, 12, 30, 12, 40, 22, 44, 36, 36, 36}
	return nil
}

func orgSheet(wb *workbook, d *docReport) error {
	lang := d.Lang
	sh := wb.addSheet(lblSheetOrgs.In(lang))
	header := []any{lblOrganisation.In(lang)}
	for _, dm := range d.Meetings {
		header = append(header, dm.Day)
	}
	header = append(header, lblMeetingsOf.In(lang, len(d.Meetings)))
	if err := sh.addRow(header, styleHeader); err != nil {
		return err
	}
	for i := range d.Meetings {
		sh.style(0, i+1, styleHeaderDate)
	}
	for _, o := range d.Orgs {
		rec := []any{o.Name}
		for _, at := range o.Attended {
			if at {
				rec = append(rec, 1)
			} else {
				rec = append(rec, nil)
			}
		}
		rec = append(rec, o.Meetings)
		if err := sh.addRow(rec, styleText); err != nil {
			return err
		}
	}
	sh.widths = []float64{44}
	for range d.Meetings {
		sh.widths = append(sh.widths, 12)
	}
	sh.widths = append(sh.widths, 14)
	return nil
}

// lines joins values one per line within a cell.
func lines(vs []string) string {
	return strings.Join(vs, "\n")
}

// workbook is a workbook being built: its sheets and the shared strings
// their text cells point to. Each sheet gets a frozen header row and an
// autofilter over its rows.
type workbook struct {
	title, lang string
	sheets      []*sheet
	strs        []string
	strIndex    map[string]int
	strRefs     int
}

// sheet is one worksheet: rows of cells from A1 on, and column widths in
// characters.
type sheet struct {
	wb     *workbook
	name   string
	rows   [][]xlsxCell
	widths []float64
}

// xlsxCell is one cell's value and style. A cell of no kind is not written.
type xlsxCell struct {
	kind  cellKind
	str   int     // index into the shared strings
	num   float64 // a number, a date's serial number or a time's fraction of a day
	style int
}

type cellKind uint8

const (
	cellNone cellKind = iota
	cellEmpty
	cellString
	cellNumber
)

func (wb *workbook) addSheet(name string) *sheet {
	sh := &sheet{wb: wb, name: name}
	wb.sheets = append(wb.sheets, sh)
	return sh
}

// addRow appends a row of values with the given style: a nil leaves its
// cell out, "" is an empty cell with the style, a time.Time is a date.
func (sh *sheet) addRow(vals []any, style int) error {
	row := make([]xlsxCell, len(vals))
	for i, v := range vals {
		c := xlsxCell{style: style}
		switch v := v.(type) {
		case nil:
			c.kind = cellNone
		case string:
			if v == "" {
				c.kind = cellEmpty
			} else {
				c.kind, c.str = cellString, sh.wb.sharedString(v)
			}
		case int:
			c.kind, c.num = cellNumber, float64(v)
		case float64:
			c.kind, c.num = cellNumber, v
		case time.Time:
			c.kind, c.num = cellNumber, serialDate(v)
		default:
			return fmt.Errorf("cell %s%d: unsupported value %T", colName(i), len(sh.rows)+1, v)
		}
		row[i] = c
	}
	sh.rows = append(sh.rows, row)
	return nil
}

// style sets the style of the cell at row, col (from 0), if it is written.
func (sh *sheet) style(row, col, style int) {
	if col < len(sh.rows[row]) {
		sh.rows[row][col].style = style
	}
}

// sharedString returns s's index among the shared strings, adding it. A
// text longer than a cell holds is cut at a character boundary.
func (wb *workbook) sharedString(s string) int {
	if utf8.RuneCountInString(s) > xlsxMaxChars {
		s = string([]rune(s)[:xlsxMaxChars])
	}
	wb.strRefs++
	if i, ok := wb.strIndex[s]; ok {
		return i
	}
	wb.strs = append(wb.strs, s)
	wb.strIndex[s] = len(wb.strs) - 1
	return len(wb.strs) - 1
}

// serialDate is t's calendar date as a spreadsheet serial number: days
// since 30 December 1899, which is right for every date after February
// 1900 (the 1900 date system counts a 29 February 1900 that never was).
func serialDate(t time.Time) float64 {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return float64(day.Sub(time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
}

// colName is the letter name of column i (from 0): A, …, Z, AA, ….
func colName(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

// cellRef is the reference of the cell at row, col (from 0), absolute
// ($A$1) for a defined name.
func cellRef(row, col int, abs bool) string {
	if abs {
		return "$" + colName(col) + "$" + strconv.Itoa(row+1)
	}
	return colName(col) + strconv.Itoa(row+1)
}

// Content types, relationship types and namespaces of the package parts.
const (
	xmlHeader   = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	nsMain      = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel       = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsPkgRel    = "http://schemas.openxmlformats.org/package/2006/relationships"
	ctSheet     = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
	relWorkbook = nsRel + "/officeDocument"
)

// xlsxZipTime is the modification time of every part: 1 January 1980, the
// earliest date a zip entry holds.
var xlsxZipTime = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// write writes the workbook as a zip package of SpreadsheetML parts.
func (wb *workbook) write(w io.Writer, english bool) error {
	zw := zip.NewWriter(w)
	parts := []struct {
		name string
		body func(b *strings.Builder)
	}{
		{"[Content_Types].xml", wb.contentTypes},
		{"_rels/.rels", func(b *strings.Builder) {
			b.WriteString(`<Relationships xmlns="` + nsPkgRel + `">` +
				`<Relationship Id="rId1" Type="` + relWorkbook + `" Target="xl/workbook.xml"/>` +
				`<Relationship Id="rId2" Type="` + nsPkgRel + `/metadata/core-properties" Target="docProps/core.xml"/>` +
				`<Relationship Id="rId3" Type="` + nsRel + `/extended-properties" Target="docProps/app.xml"/>` +
				`</Relationships>`)
		}},
		{"docProps/core.xml", wb.coreProps},
		{"docProps/app.xml", func(b *strings.Builder) {
			b.WriteString(`<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">` +
				`<Application>coordbot</Application></Properties>`)
		}},
		{"xl/workbook.xml", wb.workbookXML},
		{"xl/_rels/workbook.xml.rels", wb.workbookRels},
		{"xl/styles.xml", func(b *strings.Builder) { stylesXML(b, english) }},
		{"xl/sharedStrings.xml", wb.sharedStringsXML},
	}
	for i, sh := range wb.sheets {
		parts = append(parts, struct {
			name string
			body func(b *strings.Builder)
		}{fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1), func(b *strings.Builder) { sh.xml(b, i == 0) }})
	}
	var b strings.Builder
	for _, p := range parts {
		b.Reset()
		b.WriteString(xmlHeader)
		p.body(&b)
		// A fixed modification time (the first a zip entry can carry): the
		// same report gives the same bytes.
		f, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: xlsxZipTime})
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, b.String()); err != nil {
			return err
		}
	}
	return zw.Close()
}

func (wb *workbook) contentTypes(b *strings.Builder) {
	b.WriteString(`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` +
		`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
		`<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>`)
	for i := range wb.sheets {
		fmt.Fprintf(b, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="%s"/>`, i+1, ctSheet)
	}
	b.WriteString(`</Types>`)
}

// coreProps are the document's title and language (File > Properties).
func (wb *workbook) coreProps(b *strings.Builder) {
	b.WriteString(`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"` +
		` xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>`)
	escape(b, wb.title)
	b.WriteString(`</dc:title><dc:language>`)
	escape(b, wb.lang)
	b.WriteString(`</dc:language></cp:coreProperties>`)
}

// workbookXML lists the sheets and names each one's filter range as Excel
// does (_xlnm._FilterDatabase, hidden, local to its sheet): LibreOffice
// finds the autofilter through it.
func (wb *workbook) workbookXML(b *strings.Builder) {
	b.WriteString(`<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><bookViews><workbookView/></bookViews><sheets>`)
	for i, sh := range wb.sheets {
		b.WriteString(`<sheet name="`)
		escape(b, sh.name)
		fmt.Fprintf(b, `" sheetId="%d" r:id="rId%d"/>`, i+1, i+1)
	}
	b.WriteString(`</sheets><definedNames>`)
	for i, sh := range wb.sheets {
		fmt.Fprintf(b, `<definedName name="_xlnm._FilterDatabase" localSheetId="%d" hidden="1">`, i)
		escape(b, "'"+strings.ReplaceAll(sh.name, "'", "''")+"'!"+sh.filterRange(true))
		b.WriteString(`</definedName>`)
	}
	b.WriteString(`</definedNames></workbook>`)
}

// workbookRels points the workbook at its sheets (rId1…), styles and
// shared strings (after the sheets).
func (wb *workbook) workbookRels(b *strings.Builder) {
	b.WriteString(`<Relationships xmlns="` + nsPkgRel + `">`)
	for i := range wb.sheets {
		fmt.Fprintf(b, `<Relationship Id="rId%d" Type="%s/worksheet" Target="worksheets/sheet%d.xml"/>`, i+1, nsRel, i+1)
	}
	n := len(wb.sheets)
	fmt.Fprintf(b, `<Relationship Id="rId%d" Type="%s/styles" Target="styles.xml"/>`, n+1, nsRel)
	fmt.Fprintf(b, `<Relationship Id="rId%d" Type="%s/sharedStrings" Target="sharedStrings.xml"/>`, n+2, nsRel)
	b.WriteString(`</Relationships>`)
}

// stylesXML writes the number formats, fonts and cell formats; the order
// of cellXfs is that of the style constants. Custom number formats are
// numbered from 164, after the built-in ones. A stylesheet needs the two
// fills none and gray125 even when no cell is filled.
func stylesXML(b *strings.Builder, english bool) {
	date := xlsxDateCS
	if english {
		date = xlsxDateEN
	}
	b.WriteString(`<styleSheet xmlns="` + nsMain + `"><numFmts count="2"><numFmt numFmtId="164" formatCode="`)
	escape(b, date)
	b.WriteString(`"/><numFmt numFmtId="165" formatCode="`)
	escape(b, xlsxTimeFmt)
	b.WriteString(`"/></numFmts>` +
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
		`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="6">` +
		`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>` +
		`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1"><alignment horizontal="left" vertical="top"/></xf>` +
		`<xf numFmtId="164" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1" applyAlignment="1"><alignment horizontal="left" vertical="top"/></xf>` +
		`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1"><alignment horizontal="left" vertical="top"/></xf>` +
		`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>` +
		`</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`)
}

// sharedStringsXML writes the text of every string cell, once each.
// Spaces at either end and line breaks are kept (xml:space).
func (wb *workbook) sharedStringsXML(b *strings.Builder) {
	fmt.Fprintf(b, `<sst xmlns="%s" count="%d" uniqueCount="%d">`, nsMain, wb.strRefs, len(wb.strs))
	for _, s := range wb.strs {
		if strings.TrimSpace(s) != s || strings.Contains(s, "\n") {
			b.WriteString(`<si><t xml:space="preserve">`)
		} else {
			b.WriteString(`<si><t>`)
		}
		escape(b, s)
		b.WriteString(`</t></si>`)
	}
	b.WriteString(`</sst>`)
}

// cols is the number of columns of the sheet's widest row.
func (sh *sheet) cols() int {
	n := 0
	for _, r := range sh.rows {
		n = max(n, len(r))
	}
	return n
}

// filterRange is the autofilter's range: the header and every row (at
// least one below the header, as Excel wants).
func (sh *sheet) filterRange(abs bool) string {
	return cellRef(0, 0, abs) + ":" + cellRef(max(len(sh.rows), 2)-1, max(sh.cols(), 1)-1, abs)
}

// xml writes the worksheet: the header row frozen, column widths, the
// cells, and the autofilter. The first sheet is the one shown on opening.
func (sh *sheet) xml(b *strings.Builder, first bool) {
	b.WriteString(`<worksheet xmlns="` + nsMain + `" xmlns:r="` + nsRel + `">`)
	fmt.Fprintf(b, `<dimension ref="A1:%s%d"/>`, colName(max(sh.cols(), 1)-1), max(len(sh.rows), 1))
	selected := ""
	if first {
		selected = ` tabSelected="1"`
	}
	b.WriteString(`<sheetViews><sheetView` + selected + ` workbookViewId="0">` +
		`<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>` +
		`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>` +
		`<sheetFormatPr defaultRowHeight="15"/>`)
	if len(sh.widths) > 0 {
		b.WriteString(`<cols>`)
		for i, w := range sh.widths {
			fmt.Fprintf(b, `<col min="%d" max="%d" width="%s" customWidth="1"/>`, i+1, i+1, strconv.FormatFloat(w, 'f', -1, 64))
		}
		b.WriteString(`</cols>`)
	}
	b.WriteString(`<sheetData>`)
	for r, row := range sh.rows {
		fmt.Fprintf(b, `<row r="%d">`, r+1)
		for c, cl := range row {
			ref := cellRef(r, c, false)
			switch cl.kind {
			case cellNone:
			case cellEmpty:
				fmt.Fprintf(b, `<c r="%s" s="%d"/>`, ref, cl.style)
			case cellString:
				fmt.Fprintf(b, `<c r="%s" s="%d" t="s"><v>%d</v></c>`, ref, cl.style, cl.str)
			case cellNumber:
				fmt.Fprintf(b, `<c r="%s" s="%d"><v>%s</v></c>`, ref, cl.style, strconv.FormatFloat(cl.num, 'g', -1, 64))
			}
		}
		b.WriteString(`</row>`)
	}
	b.WriteString(`</sheetData><autoFilter ref="` + sh.filterRange(false) + `"/></worksheet>`)
}

// escape writes s as XML character data or attribute value. Characters XML
// cannot carry (control characters from pasted text) become U+FFFD.
func escape(b *strings.Builder, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a strings.Builder does not fail
}
