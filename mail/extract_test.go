package mail

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestExtractText(t *testing.T) {
	tests := []struct {
		file, name, mediaType string
		want, not             []string
	}{
		{
			file: "zapis-2027-03-23.docx", name: "Zápis.docx", mediaType: mediaDOCX,
			want: []string{
				"Zápis z jednání pracovní skupiny protidrogové politiky\nDatum: 23. 3. 2027",
				"3. Situace ve věznicích\nMost k naději zajišťuje poradenství ve věznici",
				"Usnesení: pracovní skupina doporučuje navýšení dotace o 5 %.",
			},
			not: []string{"HYPERLINK", "skryty.example", "smazaný text", "Nadpis1", "11906"},
		},
		{
			// Declared generic: the name decides.
			file: "zapis-2022-11-02.docx", name: "zapis.docx", mediaType: "application/octet-stream",
			want: []string{"Zápis z jednání 2. 11. 2022\nSituace ve věznicích"},
		},
		{
			file: "prezencni-listina.docx", name: "", mediaType: mediaDOCX,
			want: []string{"Jméno\tOrganizace\tPodpis\nMgr. Petra Svobodová\tMost k naději"},
		},
		{
			file: "zapis-khs.odt", name: "zapis.odt", mediaType: mediaODT,
			want: []string{"Zápis  z jednání Krajské hygienické stanice\nTéma:  nové psychoaktivní látky", "Poznámka"},
			not:  []string{"skrytý komentář", "  Zápis"},
		},
		{
			file: "financovani-sluzeb.pdf", name: "f.pdf", mediaType: mediaPDF,
			want: []string{"Zápis z jednání pracovní skupiny\nFinancování služeb 2027\nKrajská hygienická stanice, Most k naději\nUsnesení: skupina doporučuje navýšení dotace o 5 %."},
		},
		{
			file: "rozpocet-sluzeb-2027.csv", name: "rozpočet.csv", mediaType: "text/csv; charset=windows-1250",
			want: []string{"Služba;Poskytovatel;Požadavek 2027 (Kč)\nTerénní program;Most k naději;1 250 000"},
		},
		{
			// No charset: guessed.
			file: "program-jednani.txt", name: "program.txt", mediaType: "",
			want: []string{"Program jednání:\n1. Financování služeb"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readFixture(t, "attachments/"+tt.file)
			got, err := ExtractText(tt.name, tt.mediaType, data)
			if err != nil {
				t.Fatalf("ExtractText: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("text lacks %q; text:\n%s", w, got)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(got, w) {
					t.Errorf("text contains %q; text:\n%s", w, got)
				}
			}
		})
	}
}

func TestExtractTextOtherTypes(t *testing.T) {
	got, err := ExtractText("foto.jpg", "image/jpeg", []byte{0xff, 0xd8, 0xff, 0xe0})
	if got != "" || err != nil {
		t.Errorf("image: %q, %v; want no text, no error", got, err)
	}
	got, err = ExtractText("stránka.html", "text/html; charset=iso-8859-2", []byte("<p>\xb9kola</p><script>x()</script>"))
	if got != "škola" || err != nil {
		t.Errorf("html: %q, %v", got, err)
	}
}

func TestExtractTextDamaged(t *testing.T) {
	docx := readFixture(t, "attachments/zapis-2027-03-23.docx")
	pdf := readFixture(t, "attachments/financovani-sluzeb.pdf")
	tests := []struct {
		name, mediaType string
		data            []byte
	}{
		{"a.docx", mediaDOCX, docx[:len(docx)/2]},
		{"a.docx", mediaDOCX, []byte("not a zip")},
		{"a.docx", mediaDOCX, zipOf(t, map[string]string{"word/other.xml": "<x/>"})},
		{"a.docx", mediaDOCX, zipOf(t, map[string]string{"word/document.xml": "<w:document><w:p><w:t>ne"})},
		{"a.odt", mediaODT, zipOf(t, map[string]string{"mimetype": "x"})},
		{"a.pdf", mediaPDF, pdf[:len(pdf)/2]},
		{"a.pdf", mediaPDF, []byte("%PDF-1.4\n%%EOF\n")},
		{"a.pdf", mediaPDF, nil},
		{"a.pdf", mediaPDF, bytes.Replace(pdf, []byte("/Size 6"), []byte("/Size 999999999999"), 1)},
		{"a.pdf", mediaPDF, bytes.Replace(pdf, []byte("xref\n0 6"), []byte("xref\n0 99999999999"), 1)},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, err := ExtractText(tt.name, tt.mediaType, tt.data)
			if err == nil {
				t.Errorf("no error for damaged file, text %q", got)
			} else if !strings.HasPrefix(err.Error(), "mail: ") {
				t.Errorf("error %q lacks the mail: prefix", err)
			}
			if !utf8.ValidString(got) {
				t.Error("invalid UTF-8")
			}
		})
	}
	// The readable beginning of an unfinished document is kept.
	got, _ := ExtractText("a.docx", mediaDOCX, zipOf(t, map[string]string{"word/document.xml": "<w:document><w:p><w:t>začátek</w:t></w:p><w:p"}))
	if got != "začátek" {
		t.Errorf("partial text = %q", got)
	}
}

// zipOf builds a zip archive in memory.
func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtractZipBomb(t *testing.T) {
	// 60 MiB of XML whitespace and text deflates to a few hundred KiB.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:t>bomba</w:t></w:p>`))
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for i := 0; i < 60; i++ {
		w.Write(chunk)
	}
	w.Write([]byte(`</w:body></w:document>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 1<<20 {
		t.Fatalf("bomb is %d bytes, expected it to compress", buf.Len())
	}
	start := time.Now()
	got, err := ExtractText("bomba.docx", mediaDOCX, buf.Bytes())
	if !errors.Is(err, errZipBomb) {
		t.Errorf("err = %v, want errZipBomb", err)
	}
	if got != "bomba" {
		t.Errorf("text = %q, want the part read before the cap", got)
	}
	t.Logf("stopped after %v", time.Since(start))
}

func TestExtractTextCap(t *testing.T) {
	long := strings.Repeat("příliš dlouhý text ", 1000)
	text, truncated, err := extractText("a.txt", "text/plain", "utf-8", []byte(long), 101)
	if err != nil || !truncated || len(text) > 101 || !utf8.ValidString(text) {
		t.Errorf("got %d bytes, truncated=%v, err=%v", len(text), truncated, err)
	}
}

func TestSniffMediaType(t *testing.T) {
	docx := readFixture(t, "attachments/zapis-2022-11-02.docx")
	pdf := readFixture(t, "attachments/financovani-sluzeb.pdf")
	tests := []struct {
		declared, name string
		data           []byte
		want           string
	}{
		{"application/octet-stream", "Zápis.DOCX", nil, mediaDOCX},
		{"Application/PDF", "x.bin", nil, mediaPDF},
		{"application/octet-stream", "", pdf, mediaPDF},
		{"", "", docx, mediaDOCX},
		{"application/octet-stream", "winmail.dat", nil, mediaTNEF},
		{"application/octet-stream", "data.bin", []byte{1, 2, 3}, "application/octet-stream"},
		{"nonsense", "a.odt", nil, mediaODT},
	}
	for _, tt := range tests {
		if got := sniffMediaType(tt.declared, tt.name, tt.data); got != tt.want {
			t.Errorf("sniffMediaType(%q, %q) = %q, want %q", tt.declared, tt.name, got, tt.want)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>a</p><p>b</p>", "a\n\nb"},
		{"a<br>b<br/>c", "a\nb\nc"},
		{"<div>a</div><div>b</div>", "a\nb"},
		{"x &amp; y&nbsp;z &#283; &eacute; &#x159;", "x & y z ě é ř"},
		{"<style>p{}</style><script>alert(1)</script>text", "text"},
		{"<head><title>T</title><style>x</style><body>tělo", "tělo"},
		{"<pre>  a\n  b</pre>", "  a\n  b"},
		{"<ul><li>jedna<li>dva</ul>", "- jedna\n- dva"},
		{"<table><tr><td>a<td>b<tr><td>c</table>", "a\tb\nc"},
		{"<p>  mnoho    mezer \n a řádků </p>", "mnoho mezer a řádků"},
		{"<img alt=\"logo KHS\">", "logo KHS"},
		{"<p>neuzavřeno", "neuzavřeno"},
		{"<!-- komentář -->viditelné", "viditelné"},
	}
	for _, tt := range tests {
		if got := htmlToText(tt.in); got != tt.want {
			t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTNEFDamaged(t *testing.T) {
	tnef := readFixture(t, "attachments/winmail.dat")
	for _, n := range []int{0, 5, 6, 20, len(tnef) / 2, len(tnef) - 1} {
		res, err := parseTNEF(tnef[:n])
		if n < 6 {
			if err == nil {
				t.Errorf("%d bytes: no error", n)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d bytes: %v", n, err)
		}
		if n < len(tnef)-2 && res != nil && !res.damaged && len(res.files) > 1 {
			t.Errorf("%d bytes: damage not noticed", n)
		}
	}
	// Unpacking a truncated winmail.dat keeps what it can.
	raw := "From: a@b.cz\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\nContent-Transfer-Encoding: binary\r\n\r\n" + string(tnef[:len(tnef)-300])
	p, err := Parse([]byte(raw), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Body, "v příloze program jednání") || len(p.Attachments) == 0 {
		t.Errorf("body %q, %d attachments", p.Body, len(p.Attachments))
	}
	if p.Attachments[0].Filename != "Program jednání.txt" {
		t.Errorf("first file %q", p.Attachments[0].Filename)
	}
}

func TestParseMAPIPropsHostile(t *testing.T) {
	inputs := [][]byte{
		nil,
		{0xff, 0xff, 0xff, 0xff},
		{1, 0, 0, 0, 0x1f, 0, 0x07, 0x37, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff},
		{1, 0, 0, 0, 0x1f, 0x10, 0x07, 0x37, 0xff, 0xff, 0xff, 0x7f},
		{1, 0, 0, 0, 0x03, 0, 0x00, 0x80, 1, 2, 3},
	}
	for _, in := range inputs {
		_ = parseMAPIProps(in)
	}
}

// FuzzExtractText feeds damaged office files, PDFs and winmail.dat to the
// extractors: they must not panic, hang or return invalid UTF-8.
func FuzzExtractText(f *testing.F) {
	for _, name := range []string{"zapis-2027-03-23.docx", "zapis-khs.odt", "financovani-sluzeb.pdf", "winmail.dat", "rozpocet-sluzeb-2027.csv"} {
		data, err := os.ReadFile("testdata/attachments/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name, data)
	}
	f.Add("a.pdf", pdfWithObjStm(f, false))
	f.Add("a.pdf", pdfWithTable([]string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>", "<< /Length 20 >>\nstream\nBT (text) Tj ET\n\nendstream"}, false))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		mt := sniffMediaType("application/octet-stream", name, data)
		text, _, _ := extractText(name, mt, "", data, 1<<16)
		if !utf8.ValidString(text) || len(text) > 1<<16 {
			t.Fatalf("bad text (%d bytes)", len(text))
		}
		if mt == mediaTNEF {
			res, err := parseTNEF(data)
			if err == nil && res == nil {
				t.Fatal("nil TNEF result without error")
			}
		}
	})
}

// pdfWithTable builds a PDF with a classic cross-reference table; with
// prevSelf its trailer's /Prev points at the table itself.
func pdfWithTable(objs []string, prevSelf bool) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	prev := ""
	if prevSelf {
		prev = fmt.Sprintf(" /Prev %d", xref)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, prev, xref)
	return b.Bytes()
}

// pdfWithObjStm builds a PDF 1.5 file as modern Word writes them: pages and
// font inside an object stream, a Flate-compressed cross-reference stream
// with the PNG Up predictor. With selfNested the content stream is claimed
// to live in an object stream that is itself (a structure that makes the
// PDF library recurse until the runtime aborts).
func pdfWithObjStm(t testing.TB, selfNested bool) []byte {
	t.Helper()
	content := "BT /F1 12 Tf 72 700 Td (Zapis z jednani: financovani sluzeb) Tj ET\n"
	packed := []struct {
		num  int
		body string
	}{
		{2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"},
		{5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"},
	}
	var head, objData strings.Builder
	for _, p := range packed {
		fmt.Fprintf(&head, "%d %d ", p.num, objData.Len())
		objData.WriteString(p.body + "\n")
	}
	stm := head.String() + objData.String()

	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n")
	offs := map[int]int{}
	offs[1] = b.Len()
	b.WriteString("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	offs[4] = b.Len()
	fmt.Fprintf(&b, "4 0 obj\n<< /Length %d >>\nstream\n%sendstream\nendobj\n", len(content), content)
	offs[6] = b.Len()
	fmt.Fprintf(&b, "6 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d >>\nstream\n%s\nendstream\nendobj\n", len(packed), head.Len(), len(stm), stm)
	offs[7] = b.Len()

	type entry struct {
		typ byte
		f2  uint32
		f3  uint16
	}
	entries := []entry{{0, 0, 65535}, {1, uint32(offs[1]), 0}, {2, 6, 0}, {2, 6, 1}, {1, uint32(offs[4]), 0}, {2, 6, 2}, {1, uint32(offs[6]), 0}, {1, uint32(offs[7]), 0}}
	if selfNested {
		entries[4] = entry{2, 4, 0}
	}
	var rows []byte
	prev := make([]byte, 7)
	for _, e := range entries {
		row := []byte{e.typ, byte(e.f2 >> 24), byte(e.f2 >> 16), byte(e.f2 >> 8), byte(e.f2), byte(e.f3 >> 8), byte(e.f3)}
		rows = append(rows, 2)
		for i := range row {
			rows = append(rows, row[i]-prev[i])
		}
		prev = row
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(rows)
	zw.Close()
	fmt.Fprintf(&b, "7 0 obj\n<< /Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >> /Length %d >>\nstream\n", z.Len())
	b.Write(z.Bytes())
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", offs[7])
	return b.Bytes()
}

func TestPDFObjectStreams(t *testing.T) {
	got, err := ExtractText("a.pdf", mediaPDF, pdfWithObjStm(t, false))
	if err != nil || !strings.Contains(got, "Zapis z jednani: financovani sluzeb") {
		t.Errorf("valid object-stream PDF: %q, %v", got, err)
	}
	// Without the structure check this input kills the process with a
	// fatal stack overflow inside the PDF library.
	got, err = ExtractText("a.pdf", mediaPDF, pdfWithObjStm(t, true))
	if !errors.Is(err, errPDFStructure) {
		t.Errorf("self-nested object stream: %q, %v; want errPDFStructure", got, err)
	}
}

func TestPDFCycles(t *testing.T) {
	page := "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
	font := "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
	content := "<< /Length 32 >>\nstream\nBT /F1 12 Tf (vezenstvi) Tj ET\n\nendstream"
	valid := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page, content, font}
	got, err := ExtractText("a.pdf", mediaPDF, pdfWithTable(valid, false))
	if err != nil || !strings.Contains(got, "vezenstvi") {
		t.Fatalf("valid table PDF: %q, %v", got, err)
	}
	tests := map[string][]byte{
		"prev cycle": pdfWithTable(valid, true),
		"parent cycle": pdfWithTable([]string{valid[0], valid[1],
			"<< /Type /Page /Parent 3 0 R /Contents 4 0 R >>", content, font}, false),
		"kids cycle": pdfWithTable([]string{valid[0], "<< /Type /Pages /Kids [2 0 R 2 0 R] /Count 1 >>", page, content, font}, false),
	}
	for name, data := range tests {
		done := make(chan error, 1)
		go func() {
			_, err := ExtractText("a.pdf", mediaPDF, data)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s: no error", name)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: extraction hangs", name)
		}
	}
}
