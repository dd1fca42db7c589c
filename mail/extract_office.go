package mail

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-message/charset"
)

// maxZipRead caps the bytes decompressed from one office file (zip bombs).
const maxZipRead = 50 << 20

// errZipBomb is returned when an archive inflates beyond maxZipRead.
var errZipBomb = fmt.Errorf("mail: decompressed size exceeds %d MiB", maxZipRead>>20)

// zipBudget counts decompressed bytes across the files of one archive.
type zipBudget struct{ left int64 }

// budgetReader reads from r while the shared budget lasts.
type budgetReader struct {
	r io.Reader
	b *zipBudget
}

// Read implements io.Reader; past the budget it fails with errZipBomb.
func (br budgetReader) Read(p []byte) (int, error) {
	if br.b.left <= 0 {
		var one [1]byte
		n, err := br.r.Read(one[:])
		if n > 0 {
			return 0, errZipBomb
		}
		return 0, err
	}
	if int64(len(p)) > br.b.left {
		p = p[:br.b.left]
	}
	n, err := br.r.Read(p)
	br.b.left -= int64(n)
	return n, err
}

// openZip opens an office container.
func openZip(data []byte) (*zip.Reader, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("mail: not a readable zip container: %w", err)
	}
	return zr, nil
}

// zipFiles returns the files whose normalized name matches want, in a
// stable order (numbered names like slide10 after slide9).
func zipFiles(zr *zip.Reader, want func(name string) bool) []*zip.File {
	var fs []*zip.File
	for _, f := range zr.File {
		n := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
		n = strings.TrimPrefix(n, "/")
		if want(n) {
			fs = append(fs, f)
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return naturalLess(fs[i].Name, fs[j].Name) })
	return fs
}

// naturalLess orders "a2" before "a10".
func naturalLess(a, b string) bool {
	na, pa := trailingNumber(a)
	nb, pb := trailingNumber(b)
	if pa == pb && na >= 0 && nb >= 0 {
		return na < nb
	}
	return a < b
}

// trailingNumber splits "ppt/slides/slide12.xml" into 12 and the prefix.
func trailingNumber(s string) (int, string) {
	s = strings.TrimSuffix(s, ".xml")
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == len(s) || len(s)-i > 6 {
		return -1, s
	}
	n, err := strconv.Atoi(s[i:])
	if err != nil {
		return -1, s
	}
	return n, s[:i]
}

// ooxmlParts chooses the XML parts of an OOXML file to read.
type ooxmlParts struct {
	main  func(name string) bool // required parts, in order
	extra func(name string) bool // optional parts read afterwards
}

var (
	docxParts = ooxmlParts{
		main: func(n string) bool { return n == "word/document.xml" || n == "word/document2.xml" },
		extra: func(n string) bool {
			return n == "word/footnotes.xml" || n == "word/endnotes.xml"
		},
	}
	xlsxParts = ooxmlParts{
		main: func(n string) bool { return n == "xl/sharedstrings.xml" },
	}
	pptxParts = ooxmlParts{
		main: func(n string) bool {
			return strings.HasPrefix(n, "ppt/slides/slide") && strings.HasSuffix(n, ".xml")
		},
	}
)

// extractOOXML reads the text of a DOCX, XLSX or PPTX file.
func extractOOXML(data []byte, out *capWriter, parts ooxmlParts) error {
	zr, err := openZip(data)
	if err != nil {
		return err
	}
	main := zipFiles(zr, parts.main)
	if len(main) == 0 {
		return errors.New("mail: office document without its main part")
	}
	files := main
	if parts.extra != nil {
		files = append(files, zipFiles(zr, parts.extra)...)
	}
	budget := &zipBudget{left: maxZipRead}
	for i, f := range files {
		if i > 0 {
			out.WriteString("\n\n")
		}
		if err := readZipXML(f, budget, out, ooxmlText); err != nil {
			return err
		}
		if out.full() {
			return errTextFull
		}
	}
	return nil
}

// extractODF reads content.xml of an OpenDocument file (ODT, ODS, ODP).
func extractODF(data []byte, out *capWriter) error {
	zr, err := openZip(data)
	if err != nil {
		return err
	}
	fs := zipFiles(zr, func(n string) bool { return n == "content.xml" })
	if len(fs) == 0 {
		return errors.New("mail: OpenDocument file without content.xml")
	}
	return readZipXML(fs[0], &zipBudget{left: maxZipRead}, out, odfText)
}

// xmlTextFunc turns a token stream into text.
type xmlTextFunc func(d *xml.Decoder, out *capWriter) error

// readZipXML streams one XML member through fn.
func readZipXML(f *zip.File, budget *zipBudget, out *capWriter, fn xmlTextFunc) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("mail: open %s: %w", f.Name, err)
	}
	defer rc.Close()
	d := xml.NewDecoder(budgetReader{r: rc, b: budget})
	d.Strict = false
	d.CharsetReader = charset.Reader
	if err := fn(d, out); err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(err, errZipBomb) || errors.Is(err, errTextFull) {
			return err
		}
		return fmt.Errorf("mail: read %s: %w", f.Name, err)
	}
	return nil
}

// ooxmlText collects WordprocessingML / SpreadsheetML / DrawingML text:
// <t> runs, tabs and breaks, paragraphs as lines, table cells separated by
// tabs. Field codes, deleted text, property elements and the fallback
// branch of alternate content (a duplicate) are skipped.
func ooxmlText(d *xml.Decoder, out *capWriter) error {
	inText := 0 // inside <w:t>, <a:t>, <t>
	skip := 0   // inside skipped subtrees
	props := 0  // inside *Pr property elements
	inCell := 0 // inside table cells
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			switch {
			case skip > 0 || name == "instrText" || name == "delText" || name == "Fallback" || name == "rPh" || name == "delInstrText":
				skip++
			case strings.HasSuffix(name, "Pr") || name == "tabs":
				props++
			case props > 0:
			case name == "t":
				inText++
			case name == "tab":
				out.WriteString("\t")
			case name == "br" || name == "cr":
				out.WriteString("\n")
			case name == "noBreakHyphen":
				out.WriteString("-")
			case name == "tc":
				inCell++
			}
		case xml.EndElement:
			name := t.Name.Local
			switch {
			case skip > 0:
				skip--
			case strings.HasSuffix(name, "Pr") || name == "tabs":
				if props > 0 {
					props--
				}
			case props > 0:
			case name == "t":
				if inText > 0 {
					inText--
				}
			case name == "p":
				if inCell > 0 {
					out.WriteString(" ")
				} else {
					out.WriteString("\n")
				}
			case name == "tc":
				if inCell > 0 {
					inCell--
				}
				out.WriteString("\t")
			case name == "tr" || name == "si":
				out.WriteString("\n")
			case name == "tbl":
				out.WriteString("\n")
			}
		case xml.CharData:
			if inText > 0 && skip == 0 && props == 0 {
				out.WriteString(string(t))
			}
		}
		if out.full() {
			return errTextFull
		}
	}
}

// odfText collects OpenDocument text: paragraphs and headings as lines,
// <text:s/> as spaces, tabs and line breaks; whitespace inside paragraphs
// collapses as the ODF specification says. Tracked deletions, annotations
// and note citations are skipped.
func odfText(d *xml.Decoder, out *capWriter) error {
	para := 0
	skip := 0
	lineStart := true // leading whitespace of a paragraph is ignored
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			switch {
			case skip > 0 || name == "tracked-changes" || name == "annotation" || name == "note-citation":
				skip++
			case name == "p" || name == "h":
				para++
				lineStart = true
			case para == 0:
			case name == "s":
				n := 1
				for _, a := range t.Attr {
					if a.Name.Local == "c" {
						if c, err := strconv.Atoi(a.Value); err == nil && c > 0 {
							n = min(c, 100)
						}
					}
				}
				out.WriteString(strings.Repeat(" ", n))
			case name == "tab":
				out.WriteString("\t")
			case name == "line-break":
				out.WriteString("\n")
				lineStart = true
			}
		case xml.EndElement:
			name := t.Name.Local
			switch {
			case skip > 0:
				skip--
			case name == "p" || name == "h":
				if para > 0 {
					para--
				}
				out.WriteString("\n")
			case name == "table-cell":
				out.WriteString("\t")
			}
		case xml.CharData:
			if para > 0 && skip == 0 {
				text := collapseXMLSpace(string(t))
				if lineStart {
					text = strings.TrimLeft(text, " ")
				}
				if text != "" {
					lineStart = false
					out.WriteString(text)
				}
			}
		}
		if out.full() {
			return errTextFull
		}
	}
}

// collapseXMLSpace turns runs of XML whitespace into single spaces.
func collapseXMLSpace(s string) string {
	if !strings.ContainsAny(s, "\n\r\t ") {
		return s
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
