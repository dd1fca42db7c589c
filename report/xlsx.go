package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"coordbot/i18n"
)

// Number formats of the workbook's date and time cells, the way each
// language writes them.
var (
	xlsxDateFormat = map[bool]string{false: `d". "m". "yyyy`, true: `d mmm yyyy`}
	xlsxTimeFormat = "h:mm"
)

// XLSX writes the report in r.Lang as an Excel workbook: a sheet of the
// year's meetings, cancelled ones included, one row each with its date and
// time as real date and time cells, and a sheet of attendance by
// organisation with one column per meeting that took place. Text typed by
// people is stored as text, never as a formula.
func (r *Report) XLSX(w io.Writer) error {
	d := r.doc()
	f := excelize.NewFile()
	defer f.Close()
	if err := writeWorkbook(f, d); err != nil {
		return fmt.Errorf("report: xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	return nil
}

// xlsxStyles are the workbook's cell styles.
type xlsxStyles struct {
	header, headerDate, date, time, text int
}

func writeWorkbook(f *excelize.File, d *docReport) error {
	lang := d.Lang
	english := lang == i18n.English
	var st xlsxStyles
	var err error
	if st.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}); err != nil {
		return err
	}
	dateFmt := xlsxDateFormat[english]
	if st.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "left"}}); err != nil {
		return err
	}
	if st.headerDate, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, CustomNumFmt: &dateFmt,
		Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "left"}}); err != nil {
		return err
	}
	if st.time, err = f.NewStyle(&excelize.Style{CustomNumFmt: &xlsxTimeFormat, Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "left"}}); err != nil {
		return err
	}
	if st.text, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: d.Title, Language: string(lang)}); err != nil {
		return err
	}

	meetings := lblSheetMeetings.In(lang)
	if err := f.SetSheetName("Sheet1", meetings); err != nil {
		return err
	}
	if err := meetingSheet(f, meetings, d, st); err != nil {
		return err
	}
	orgs := lblSheetOrgs.In(lang)
	if _, err := f.NewSheet(orgs); err != nil {
		return err
	}
	return orgSheet(f, orgs, d, st)
}

func meetingSheet(f *excelize.File, sheet string, d *docReport, st xlsxStyles) error {
	lang := d.Lang
	header := []any{
		lblDate.In(lang), lblTime.In(lang), lblMeeting.In(lang), lblStatus.In(lang), lblCame.In(lang),
		lblExcused.In(lang), lblPromised.In(lang), lblNoAnswer.In(lang), lblGuests.In(lang), lblRecordedYes.In(lang),
		lblOrgsPresent.In(lang), lblSubstitutes.In(lang), lblAgenda.In(lang), lblMinutes.In(lang),
		lblAttachments.In(lang), lblPlace.In(lang),
	}
	if err := headerRow(f, sheet, header, st); err != nil {
		return err
	}
	for i, dm := range d.Rows {
		row := i + 2
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
		if err := setRow(f, sheet, row, rec, st); err != nil {
			return err
		}
		if err := styleCell(f, sheet, 1, row, st.date); err != nil {
			return err
		}
		if err := styleCell(f, sheet, 2, row, st.time); err != nil {
			return err
		}
	}
	widths := []float64{12, 7, 36, 12, 9, 10, 14, 12, 30, 12, 40, 22, 44, 36, 36, 36}
	return layout(f, sheet, widths, len(header), len(d.Rows))
}

func orgSheet(f *excelize.File, sheet string, d *docReport, st xlsxStyles) error {
	lang := d.Lang
	header := []any{lblOrganisation.In(lang)}
	for _, dm := range d.Meetings {
		header = append(header, dm.Day)
	}
	header = append(header, lblMeetingsOf.In(lang, len(d.Meetings)))
	if err := headerRow(f, sheet, header, st); err != nil {
		return err
	}
	for i := range d.Meetings {
		if err := styleCell(f, sheet, i+2, 1, st.headerDate); err != nil {
			return err
		}
	}
	for i, o := range d.Orgs {
		rec := []any{o.Name}
		for _, at := range o.Attended {
			if at {
				rec = append(rec, 1)
			} else {
				rec = append(rec, nil)
			}
		}
		rec = append(rec, o.Meetings)
		if err := setRow(f, sheet, i+2, rec, st); err != nil {
			return err
		}
	}
	widths := []float64{44}
	for range d.Meetings {
		widths = append(widths, 12)
	}
	widths = append(widths, 14)
	return layout(f, sheet, widths, len(header), len(d.Orgs))
}

// headerRow writes the first row in bold.
func headerRow(f *excelize.File, sheet string, header []any, st xlsxStyles) error {
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	end, err := excelize.CoordinatesToCellName(len(header), 1)
	if err != nil {
		return err
	}
	return f.SetCellStyle(sheet, "A1", end, st.header)
}

// setRow writes a row of cells, text wrapped and aligned to the top; a nil
// leaves its cell empty. Strings are stored as text, so a value starting
// with = is never a formula.
func setRow(f *excelize.File, sheet string, row int, rec []any, st xlsxStyles) error {
	for i, v := range rec {
		if v == nil {
			continue
		}
		name, err := excelize.CoordinatesToCellName(i+1, row)
		if err != nil {
			return err
		}
		if s, ok := v.(string); ok {
			err = f.SetCellStr(sheet, name, s)
		} else {
			err = f.SetCellValue(sheet, name, v)
		}
		if err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, name, name, st.text); err != nil {
			return err
		}
	}
	return nil
}

func styleCell(f *excelize.File, sheet string, col, row, style int) error {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return err
	}
	return f.SetCellStyle(sheet, name, name, style)
}

// layout sets column widths, freezes the header row and turns on filters.
func layout(f *excelize.File, sheet string, widths []float64, cols, rows int) error {
	for i, wd := range widths {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := f.SetColWidth(sheet, col, col, wd); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	end, err := excelize.CoordinatesToCellName(cols, max(rows, 1)+1)
	if err != nil {
		return err
	}
	return f.AutoFilter(sheet, "A1:"+end, nil)
}

// lines joins values one per line within a cell.
func lines(vs []string) string {
	return strings.Join(vs, "\n")
}
