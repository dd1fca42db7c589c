//go:build ignore

// Command gen writes the test fixtures of package mail: realistic Czech
// minutes e-mails (*.eml) and the attachment files they carry
// (attachments/*), so that tests can compare decoded attachments byte for
// byte. Output is deterministic. Run from mail/:
//
//	go run testdata/gen/main.go -dir testdata
package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

var dir = flag.String("dir", "testdata", "output directory")

func main() {
	flag.Parse()
	if err := os.MkdirAll(filepath.Join(*dir, "attachments"), 0o755); err != nil {
		log.Fatal(err)
	}
	docx1 := docx([]string{
		"Zápis z jednání pracovní skupiny protidrogové politiky",
		"Datum: 23. 3. 2027, Krajský úřad Kraje Vysočina, zasedací místnost č. 2",
		"Přítomni: viz prezenční listina",
		"1. Financování služeb",
		"Koordinátor informoval o výsledcích dotačního řízení RVKPP a Ministerstva zdravotnictví. Spolufinancování kraje činí 4,2 mil. Kč.",
		"2. Primární prevence",
		"Školní metodici prevence žádají o rozšíření nabídky programů všeobecné primární prevence.",
		"3. Situace ve věznicích",
		"Most k naději zajišťuje poradenství ve věznici; substituční léčba je dostupná omezeně.",
		"4. Krajská hygienická stanice",
		"KHS informovala o monitoringu nových psychoaktivních látek.",
		"Usnesení: pracovní skupina doporučuje navýšení dotace o 5 %.",
		"Zapsal: Ing. Jiří Novák",
	}, true)
	docx2 := docx([]string{
		"Zápis z jednání 2. 11. 2022",
		"Situace ve věznicích: nárůst užívání pervitinu, nedostatek adiktologů.",
		"Závěr: připravit společný postup s Probační a mediační službou.",
	}, false)
	docx3 := docx([]string{
		"Prezenční listina",
		"Jméno\tOrganizace\tPodpis",
		"Mgr. Petra Svobodová\tMost k naději\t",
		"Ing. Jiří Novák\tKrajský úřad\t",
	}, false)
	odt := odt([]string{
		"Zápis z jednání Krajské hygienické stanice",
		"Téma: nové psychoaktivní látky a testování vzorků",
		"Účastníci se shodli na společném postupu při varování veřejnosti.",
	})
	pdf := pdfDoc([]string{
		"Zápis z jednání pracovní skupiny",
		"Financování služeb 2027",
		"Krajská hygienická stanice, Most k naději",
		"Usnesení: skupina doporučuje navýšení dotace o 5 %.",
	})
	csv := cp1250("Služba;Poskytovatel;Požadavek 2027 (Kč)\r\nTerénní program;Most k naději;1 250 000\r\nKontaktní centrum;Laxus;980 000\r\nAdiktologická ambulance;Nemocnice Jihlava;640 000\r\n")
	program := cp1250("Program jednání:\r\n1. Financování služeb\r\n2. Primární prevence\r\n3. Různé\r\n")
	tnef := tnefDoc(
		cp1250("Dobrý den,\r\nv příloze program jednání a prezenční listina.\r\nS pozdravem\r\nMarie Dvořáková\r\n"),
		[]tnefFile{
			{"Program jednání.txt", program},
			{"Prezenční listina.docx", docx3},
		})

	write("attachments/zapis-2027-03-23.docx", docx1)
	write("attachments/zapis-2022-11-02.docx", docx2)
	write("attachments/prezencni-listina.docx", docx3)
	write("attachments/zapis-khs.odt", odt)
	write("attachments/financovani-sluzeb.pdf", pdf)
	write("attachments/rozpocet-sluzeb-2027.csv", csv)
	write("attachments/program-jednani.txt", program)
	write("attachments/winmail.dat", tnef)

	write("outlook-cp1250.eml", outlookCP1250(docx1))
	write("iso-8859-2.eml", iso88592(pdf))
	write("html-only.eml", htmlOnly())
	write("forwarded.eml", forwarded(odt))
	write("rfc2047-filename.eml", rfc2047Filename(docx2))
	write("broken-boundary.eml", brokenBoundary(csv))
	write("raw-8bit-headers.eml", raw8bit())
	write("lying-charset.eml", lyingCharset())
	write("unknown-charset.eml", unknownCharset())
	write("winmail.eml", winmail(tnef))
	write("plain-utf8.eml", plainUTF8())
}

func write(name string, b []byte) {
	if err := os.WriteFile(filepath.Join(*dir, name), b, 0o644); err != nil {
		log.Fatal(err)
	}
}

// crlf turns LF line ends into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func cp1250(s string) []byte {
	b, err := charmap.Windows1250.NewEncoder().Bytes([]byte(s))
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func latin2(s string) []byte {
	b, err := charmap.ISO8859_2.NewEncoder().Bytes([]byte(s))
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// qp quoted-printable encodes b with CRLF line ends.
func qp(b []byte) string {
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		log.Fatal(err)
	}
	w.Close()
	return strings.ReplaceAll(strings.ReplaceAll(buf.String(), "\r\n", "\n"), "\n", "\r\n")
}

// b64 base64 encodes b in 76-character CRLF lines.
func b64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	out.WriteString(s + "\r\n")
	return out.String()
}

// qword encodes raw bytes as RFC 2047 Q encoded words of at most ~70
// characters, folded like Outlook does (words may split a Czech word).
func qword(charset string, raw []byte) string {
	var words []string
	var cur strings.Builder
	for _, c := range raw {
		var e string
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == ',', c == '-':
			e = string(c)
		case c == ' ':
			e = "_"
		default:
			e = fmt.Sprintf("=%02X", c)
		}
		if cur.Len()+len(e) > 45 {
			words = append(words, cur.String())
			cur.Reset()
		}
		cur.WriteString(e)
	}
	words = append(words, cur.String())
	for i, w := range words {
		words[i] = "=?" + charset + "?Q?" + w + "?="
	}
	return strings.Join(words, "\r\n ")
}

// bword encodes UTF-8 text as one RFC 2047 B encoded word.
func bword(charset string, raw []byte) string {
	return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString(raw) + "?="
}

// pct encodes raw bytes for an RFC 2231 extended parameter.
func pct(raw []byte) string {
	var b strings.Builder
	for _, c := range raw {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

var fixed = time.Date(2027, 3, 23, 10, 0, 0, 0, time.UTC)

// zipDoc builds a deterministic zip; the first entry may be stored.
func zipDoc(files [][2]string, storeFirst bool) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, f := range files {
		method := zip.Deflate
		if i == 0 && storeFirst {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f[0], Method: method, Modified: fixed})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := w.Write([]byte(f[1])); err != nil {
			log.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}

// docx builds a minimal WordprocessingML document: one paragraph per line,
// tabs as <w:tab/>; withExtras adds a field code, a deleted run and a
// paragraph tab stop that must not show up as text.
func docx(paras []string, withExtras bool) []byte {
	var body strings.Builder
	for i, p := range paras {
		body.WriteString(`<w:p>`)
		if i == 0 {
			body.WriteString(`<w:pPr><w:pStyle w:val="Nadpis1"/><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>`)
		}
		for j, part := range strings.Split(p, "\t") {
			if j > 0 {
				body.WriteString(`<w:r><w:tab/></w:r>`)
			}
			// Split runs in the middle like Word does.
			r := []rune(part)
			half := len(r) / 2
			body.WriteString(`<w:r><w:rPr><w:lang w:val="cs-CZ"/></w:rPr><w:t xml:space="preserve">` + xmlEscape(string(r[:half])) + `</w:t></w:r>`)
			body.WriteString(`<w:r><w:t xml:space="preserve">` + xmlEscape(string(r[half:])) + `</w:t></w:r>`)
		}
		if withExtras && i == 1 {
			body.WriteString(`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> HYPERLINK "http://skryty.example" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>`)
			body.WriteString(`<w:del w:id="1" w:author="JN"><w:r><w:delText>smazaný text</w:delText></w:r></w:del>`)
		}
		body.WriteString(`</w:p>`)
	}
	if withExtras {
		body.WriteString(`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Hlasování</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>pro 9, proti 0</w:t></w:r></w:p></w:tc></w:tr></w:tbl>`)
	}
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" +
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>` +
		body.String() + `<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>`
	return zipDoc([][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/document.xml", doc},
	}, false)
}

// odt builds a minimal OpenDocument text: mimetype stored first.
func odt(paras []string) []byte {
	var body strings.Builder
	for i, p := range paras {
		tag := "text:p"
		if i == 0 {
			tag = "text:h"
		}
		// Double space through <text:s/>, pretty-printing whitespace that
		// must collapse, and a span.
		words := strings.SplitN(p, " ", 2)
		if len(words) == 2 {
			body.WriteString("<" + tag + ">\n    " + xmlEscape(words[0]) + `<text:s text:c="1"/> <text:span>` + xmlEscape(words[1]) + "</text:span></" + tag + ">\n")
		} else {
			body.WriteString("<" + tag + ">" + xmlEscape(p) + "</" + tag + ">\n")
		}
	}
	body.WriteString(`<text:p>Poznámka<office:annotation><text:p>skrytý komentář</text:p></office:annotation></text:p>`)
	content := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:text>` + "\n" +
		body.String() + `</office:text></office:body></office:document-content>`
	return zipDoc([][2]string{
		{"mimetype", "application/vnd.oasis.opendocument.text"},
		{"META-INF/manifest.xml", `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
			`<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
		{"content.xml", content},
	}, true)
}

// pdfGlyphs are the Czech letters reachable through the font's
// /Differences array (codes 128 and up).
var pdfGlyphs = []struct {
	r    rune
	name string
}{
	{'á', "aacute"}, {'č', "ccaron"}, {'ď', "dcaron"}, {'é', "eacute"}, {'ě', "ecaron"},
	{'í', "iacute"}, {'ň', "ncaron"}, {'ó', "oacute"}, {'ř', "rcaron"}, {'š', "scaron"},
	{'ť', "tcaron"}, {'ú', "uacute"}, {'ů', "uring"}, {'ý', "yacute"}, {'ž', "zcaron"},
	{'Č', "Ccaron"}, {'Ř', "Rcaron"}, {'Š', "Scaron"}, {'Ž', "Zcaron"}, {'Ú', "Uacute"},
}

// pdfString encodes text for the font as a PDF literal string.
func pdfString(s string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 128:
			b.WriteRune(r)
		default:
			code := -1
			for i, g := range pdfGlyphs {
				if g.r == r {
					code = 128 + i
				}
			}
			if code < 0 {
				log.Fatalf("no glyph for %q", r)
			}
			fmt.Fprintf(&b, "\\%03o", code)
		}
	}
	b.WriteByte(')')
	return b.String()
}

// pdfDoc builds a one-page PDF 1.4 with a Helvetica text layer.
func pdfDoc(lines []string) []byte {
	var content strings.Builder
	y := 780
	for _, l := range lines {
		fmt.Fprintf(&content, "BT /F1 12 Tf 72 %d Td %s Tj ET\n", y, pdfString(l))
		y -= 20
	}
	var diffs []string
	for _, g := range pdfGlyphs {
		diffs = append(diffs, "/"+g.name)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [128 " + strings.Join(diffs, " ") + "] >> >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

type tnefFile struct {
	name string
	data []byte
}

// tnefDoc builds a TNEF (winmail.dat) stream with a cp1250 body and files
// whose long names are in MAPI properties (UTF-16) and whose short titles
// are in the OEM code page, as Outlook writes them.
func tnefDoc(body []byte, files []tnefFile) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write(le.AppendUint32(nil, 0x223E9F78))
	b.Write(le.AppendUint16(nil, 0x0001))
	attr := func(level byte, id uint32, data []byte) {
		b.WriteByte(level)
		b.Write(le.AppendUint32(nil, id))
		b.Write(le.AppendUint32(nil, uint32(len(data))))
		b.Write(data)
		var sum uint16
		for _, c := range data {
			sum += uint16(c)
		}
		b.Write(le.AppendUint16(nil, sum))
	}
	attr(1, 0x00089006, le.AppendUint32(nil, 0x00010000))                         // attTnefVersion
	attr(1, 0x00069007, append(le.AppendUint32(nil, 1250), 0, 0, 0, 0))           // attOemCodepage
	attr(1, 0x00078008, []byte("IPM.Microsoft Mail.Note\x00"))                    // attMessageClass
	attr(1, 0x00018004, append(cp1250("Program jednání a prezenční listina"), 0)) // attSubject
	attr(1, 0x0002800C, body)                                                     // attBody
	for _, f := range files {
		rend := make([]byte, 14)
		le.PutUint16(rend[0:], 1)          // attachment type: file
		le.PutUint32(rend[2:], 0xFFFFFFFF) // position
		attr(2, 0x00069002, rend)          // attAttachRendData
		short := f.name
		if i := strings.LastIndexByte(short, '.'); i > 8 {
			short = short[:6] + "~1" + short[i:]
		}
		attr(2, 0x00018010, append(cp1250(short), 0)) // attAttachTitle
		attr(2, 0x0006800F, f.data)                   // attAttachData
		// attAttachment: MAPI properties with PR_ATTACH_LONG_FILENAME_W.
		u := utf16.Encode([]rune(f.name + "\x00"))
		var ub []byte
		for _, c := range u {
			ub = le.AppendUint16(ub, c)
		}
		var props []byte
		props = le.AppendUint32(props, 2)
		props = le.AppendUint16(props, 0x0003) // PT_LONG
		props = le.AppendUint16(props, 0x0E21) // PR_ATTACH_NUM
		props = le.AppendUint32(props, 7)
		props = le.AppendUint16(props, 0x001F) // PT_UNICODE
		props = le.AppendUint16(props, 0x3707) // PR_ATTACH_LONG_FILENAME
		props = le.AppendUint32(props, 1)
		props = le.AppendUint32(props, uint32(len(ub)))
		props = append(props, ub...)
		for len(props)%4 != 0 {
			props = append(props, 0)
		}
		attr(2, 0x00069005, props)
	}
	return b.Bytes()
}

func outlookCP1250(docx []byte) []byte {
	text := "Dobrý den,\n\nv příloze zasílám zápis z jednání pracovní skupiny protidrogové politiky, které se konalo 23. 3. 2027 na krajském úřadě.\n\nHlavní body jednání:\n1. Financování služeb v roce 2027 – dotační řízení MZ a RVKPP, spolufinancování kraje.\n2. Primární prevence ve školách – nabídka programů pro školní metodiky prevence.\n3. Situace ve věznicích – substituční léčba a spolupráce s organizací Most k naději.\n4. Krajská hygienická stanice – monitoring nových psychoaktivních látek.\n\nPřípadné připomínky k zápisu prosím zašlete do pátku 26. 3. 2027.\n\nS pozdravem\n\nIng. Jiří Novák\nkrajský protidrogový koordinátor\nKrajský úřad Kraje Vysočina\ntel.: +420 564 602 111\n"
	var paras strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if line == "" {
			paras.WriteString("<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n")
			continue
		}
		paras.WriteString("<p class=MsoNormal>" + strings.ReplaceAll(line, "23. 3. 2027", "23.&nbsp;3.&nbsp;2027") + "<o:p></o:p></p>\n")
	}
	html := "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head><meta http-equiv=Content-Type content=\"text/html; charset=windows-1250\"><style><!-- p.MsoNormal {margin:0cm; font-family:\"Calibri\",sans-serif;} --></style></head><body lang=CS><div class=WordSection1>\n" + paras.String() + "</div></body></html>\n"
	name := cp1250("Zápis z jednání 23.3.2027.docx")
	var b strings.Builder
	b.WriteString(crlf("Received: from mail.kr-vysocina.example.cz (mail.kr-vysocina.example.cz [192.0.2.10])\n\tby mx.koordinace.example.cz with ESMTPS id 4Z8pQ71b2Kz9;\n\tTue, 23 Mar 2027 14:05:40 +0100\n"))
	b.WriteString("From: " + qword("windows-1250", cp1250("Jiří Novák")) + " <Jiri.Novak@Kr-Vysocina.example.cz>\r\n")
	b.WriteString("To: " + qword("windows-1250", cp1250("Archiv zápisů")) + " <archiv+pracovni-skupina@koordinace.example.cz>\r\n")
	b.WriteString("Cc: " + qword("windows-1250", cp1250("Marie Dvořáková")) + " <marie.dvorakova@mostknadeji.example.cz>,\r\n\t\"Ing. Petr Černý\" <petr.cerny@khsvy.example.cz>\r\n")
	b.WriteString("Subject: " + qword("windows-1250", cp1250("Zápis z jednání pracovní skupiny protidrogové politiky 23. 3. 2027")) + "\r\n")
	b.WriteString("Date: Tue, 23 Mar 2027 14:05:33 +0100\r\n")
	b.WriteString("Message-ID: <000001db9be3$3c4d5e60$b5e81b20$@Kr-Vysocina.example.cz>\r\n")
	b.WriteString(crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed;\n\tboundary=\"----=_NextPart_000_0001_01DB9BEB.9E2B1F60\"\nX-Mailer: Microsoft Outlook 16.0\nThread-Index: AdmhsjxNXmC16BsgQ0uQjzvL3Hf4Sg==\nContent-Language: cs\n\nThis is a multipart message in MIME format.\n\n------=_NextPart_000_0001_01DB9BEB.9E2B1F60\nContent-Type: multipart/alternative;\n\tboundary=\"----=_NextPart_001_0002_01DB9BEB.9E2B1F60\"\n\n\n------=_NextPart_001_0002_01DB9BEB.9E2B1F60\nContent-Type: text/plain;\n\tcharset=\"windows-1250\"\nContent-Transfer-Encoding: quoted-printable\n\n"))
	b.WriteString(qp(cp1250(crlf(text))))
	b.WriteString(crlf("\n------=_NextPart_001_0002_01DB9BEB.9E2B1F60\nContent-Type: text/html;\n\tcharset=\"windows-1250\"\nContent-Transfer-Encoding: quoted-printable\n\n"))
	b.WriteString(qp(cp1250(crlf(html))))
	b.WriteString(crlf("\n------=_NextPart_001_0002_01DB9BEB.9E2B1F60--\n\n------=_NextPart_000_0001_01DB9BEB.9E2B1F60\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\n\tname*=windows-1250''" + pct(name) + "\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment;\n\tfilename*=windows-1250''" + pct(name) + "\n\n"))
	b.WriteString(b64(docx))
	b.WriteString(crlf("\n------=_NextPart_000_0001_01DB9BEB.9E2B1F60--\n"))
	return []byte(b.String())
}

func iso88592(pdf []byte) []byte {
	text := "Dobrý den,\n\nposílám podklady k bodu Financování služeb na jednání pracovní skupiny.\nRozpočet na primární prevenci zůstává beze změny, u terénních programů žádáme navýšení.\n\nS pozdravem\nMgr. Petra Svobodová\nMost k naději, z. s.\n"
	var b strings.Builder
	b.WriteString("From: " + qword("ISO-8859-2", latin2("Petra Svobodová")) + " <petra.svobodova@mostknadeji.example.cz>\r\n")
	b.WriteString("To: archiv+financovani@koordinace.example.cz\r\n")
	b.WriteString("Subject: =?ISO-8859-2?B?" + base64.StdEncoding.EncodeToString(latin2("Financování služeb - podklady k jednání")) + "?=\r\n")
	b.WriteString("Date: 24 Mar 2027 08:30:00 +0100\r\n")
	b.WriteString("Message-Id: <20270324083000.GA1234@mostknadeji.example.cz>\r\n")
	b.WriteString(crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"=-=-=__O7rX2pLk__=-=-=\"\n\n--=-=-=__O7rX2pLk__=-=-=\nContent-Type: text/plain; charset=iso8859-2\nContent-Transfer-Encoding: base64\n\n"))
	b.WriteString(b64(latin2(crlf(text))))
	b.WriteString(crlf("--=-=-=__O7rX2pLk__=-=-=\nContent-Type: application/pdf; name=\"financovani-sluzeb-2027.pdf\"\nContent-Disposition: attachment; filename=\"financovani-sluzeb-2027.pdf\"\nContent-Transfer-Encoding: base64\n\n"))
	b.WriteString(b64(pdf))
	b.WriteString(crlf("--=-=-=__O7rX2pLk__=-=-=--\n"))
	return []byte(b.String())
}

func htmlOnly() []byte {
	html := `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Pozvánka na setkání</title>
<style>p { font-family: Calibri; } .skryte { display: none }</style>
<script>var sledovani = "tracking-pixel"; document.write("nesmí se zobrazit");</script>
</head><body>
<h1>Metodické setkání k primární prevenci</h1>
<p>Vážení koordinátoři,&nbsp;zveme Vás na metodické setkání&hellip;</p>
<p>Místo: Krajská hygienická stanice, Tovární&nbsp;11 &amp; zasedací místnost č.&nbsp;2<br>Čas: 9:00&ndash;12:00</p>
<p>Témata: Situace ve v&#283;znic&iacute;ch, financov&#xE1;n&iacute; služeb</p>
<ul><li>prevence rizikového chování</li><li>spolupráce s Mostem k naději</li></ul>
<table><tr><td>Termín</td><td>14. 4. 2027</td></tr></table>
</body></html>
`
	var b strings.Builder
	b.WriteString("From: =?utf-8?Q?Krajsk=C3=A1_hygienick=C3=A1_stanice?= <podatelna@khsvy.example.cz>\r\n")
	b.WriteString("To: koordinatori@kraj.example.cz\r\n")
	b.WriteString("Subject: " + bword("UTF-8", []byte("Pozvánka: Primární prevence – metodické setkání")) + "\r\n")
	b.WriteString("Date: Mon, 29 Mar 2027 16:20:00 +0200\r\n")
	b.WriteString("Message-ID: <pozvanka-2027-04-14@khsvy.example.cz>\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	b.WriteString(qp([]byte(crlf(html))))
	return []byte(b.String())
}

func forwarded(odt []byte) []byte {
	inner := "From: =?utf-8?Q?Krajsk=C3=A1_hygienick=C3=A1_stanice?= <podatelna@khsvy.example.cz>\r\n" +
		"To: jiri.novak@kr-vysocina.example.cz\r\n" +
		"Subject: " + bword("utf-8", []byte("Zápis z jednání KHS 14. 4. 2027")) + "\r\n" +
		"Date: Thu, 15 Apr 2027 09:12:00 +0200\r\n" +
		"Message-ID: <khs-zapis-20270415@khsvy.example.cz>\r\n" +
		crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"inner-7f3a\"\n\n--inner-7f3a\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n") +
		qp([]byte(crlf("Dobrý den,\n\nzasíláme zápis z jednání ke sledování nových psychoaktivních látek.\n\nKrajská hygienická stanice\n"))) +
		crlf("\n--inner-7f3a\nContent-Type: application/vnd.oasis.opendocument.text\nContent-Disposition: attachment;\n filename*=utf-8''"+pct([]byte("Zápis KHS 14. 4. 2027.odt"))+"\nContent-Transfer-Encoding: base64\n\n") +
		b64(odt) +
		crlf("--inner-7f3a--\n")
	var b strings.Builder
	b.WriteString("From: =?utf-8?Q?Ji=C5=99=C3=AD_Nov=C3=A1k?= <jiri.novak@kr-vysocina.example.cz>\r\n")
	b.WriteString("To: archiv+khs@koordinace.example.cz\r\n")
	b.WriteString("Subject: " + bword("utf-8", []byte("Fwd: Zápis z jednání KHS 14. 4. 2027")) + "\r\n")
	b.WriteString("Date: Thu, 15 Apr 2027 10:01:02 +0200\r\n")
	b.WriteString("Message-ID: <fwd-khs-20270415@kr-vysocina.example.cz>\r\n")
	b.WriteString(crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"outer-91c2\"\n\n--outer-91c2\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nPřeposílám zápis Krajské hygienické stanice do archivu.\n\n--outer-91c2\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename=\"zapis-khs.eml\"\n\n"))
	b.WriteString(inner)
	b.WriteString(crlf("\n--outer-91c2--\n"))
	return []byte(b.String())
}

func rfc2047Filename(docx []byte) []byte {
	enc := bword("utf-8", []byte("Zápis z jednání 2.11.2022.docx"))
	var b strings.Builder
	b.WriteString("From: \"Ing. Petr Černý\" <petr.cerny@khsvy.example.cz>\r\n")
	b.WriteString("To: archiv@koordinace.example.cz\r\n")
	b.WriteString("Subject: " + bword("utf-8", []byte("Zápis z jednání 2.11.2022")) + "\r\n")
	b.WriteString("Date: Thu, 3 Nov 2022 07:45:10 +0100\r\n")
	b.WriteString("Message-ID: <8c1e2f3a-5b6d-4e7f-9a0b-1c2d3e4f5a6b@khsvy.example.cz>\r\n")
	b.WriteString("User-Agent: Mozilla Thunderbird\r\n")
	b.WriteString(crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"------------0xKhTmLbOuNdArY\"\n\nThis is a multi-part message in MIME format.\n--------------0xKhTmLbOuNdArY\nContent-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 8bit\n\nDobrý den,\nv příloze zápis z jednání o situaci ve věznicích.\nPetr Černý\n\n--------------0xKhTmLbOuNdArY\nContent-Type: application/octet-stream; name=\"" + enc + "\"\nContent-Disposition: attachment; filename=\"" + enc + "\"\nContent-Transfer-Encoding: base64\n\n"))
	b.WriteString(b64(docx))
	b.WriteString(crlf("\n--------------0xKhTmLbOuNdArY--\n"))
	return []byte(b.String())
}

func brokenBoundary(csv []byte) []byte {
	var b strings.Builder
	b.WriteString("From: Marie Dvořáková <marie.dvorakova@mostknadeji.example.cz>\r\n")
	b.WriteString("To: archiv+rozpocet@koordinace.example.cz\r\n")
	b.WriteString("Subject: =?utf-8?Q?Rozpo=C4=8Det_slu=C5=BEeb_2027?=\r\n")
	b.WriteString("Date: Fri, 26 Mar 2027 11:00:00 +0100\r\n")
	b.WriteString("Message-ID: <rozpocet-2027@mostknadeji.example.cz>\r\n")
	b.WriteString(crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1_rozpocet\"\n\n--b1_rozpocet\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nV příloze požadavky na financování služeb pro rok 2027.\n\n--b1_rozpocet\nContent-Type: text/csv; charset=windows-1250\nContent-Disposition: attachment; filename*=utf-8''" + pct([]byte("rozpočet služeb 2027.csv")) + "\nContent-Transfer-Encoding: base64\n\n"))
	b.WriteString(b64(csv))
	// No closing "--b1_rozpocet--": the message was cut off.
	return []byte(b.String())
}

func raw8bit() []byte {
	var b []byte
	b = append(b, "From: "...)
	b = append(b, cp1250("Jiří Dvořák")...)
	b = append(b, " <J.Dvorak@Jihlava.Example.CZ>\r\nTo: archiv+jihlava@koordinace.example.cz\r\nSubject: "...)
	b = append(b, cp1250("Zápis - pracovní skupina Jihlava, připomínky")...)
	b = append(b, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=windows-1250\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"...)
	b = append(b, cp1250(crlf("Dobrý den,\n\nk zápisu mám připomínku: v bodě 2 chybí zmínka o Krajské hygienické stanici.\n\nJiří Dvořák\n"))...)
	return b
}

func lyingCharset() []byte {
	var b []byte
	b = append(b, crlf("From: Petr Černý <petr.cerny@khsvy.example.cz>\nTo: archiv@koordinace.example.cz\nSubject: =?utf-8?Q?Situace_ve_v=C4=9Bznic=C3=ADch?=\nDate: Wed, 24 Mar 2027 13:00:00 +0100\nMessage-ID: <lying-1@khsvy.example.cz>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")...)
	b = append(b, cp1250(crlf("Situace ve věznicích: substituční léčba, přeplněnost, nedostatek adiktologů.\nŽádáme o zařazení na příští jednání.\n"))...)
	return b
}

func unknownCharset() []byte {
	var b []byte
	b = append(b, crlf("From: Petr Černý <petr.cerny@khsvy.example.cz>\nTo: archiv@koordinace.example.cz\nSubject: =?x-unknown?Q?Prim=E1rn=ED_prevence?=\nDate: Wed, 24 Mar 2027 13:30:00 +0100\nMessage-ID: <unknown-1@khsvy.example.cz>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"x-unknown\"\nContent-Transfer-Encoding: 8bit\n\n")...)
	b = append(b, latin2(crlf("Školní metodici prevence: šťastná volba programů, žáci základních škol.\nPříští schůzka: pátek.\n"))...)
	return b
}

func winmail(tnef []byte) []byte {
	var b strings.Builder
	b.WriteString("From: " + qword("windows-1250", cp1250("Marie Dvořáková")) + " <marie.dvorakova@mostknadeji.example.cz>\r\n")
	b.WriteString("To: archiv+skupina@koordinace.example.cz\r\n")
	b.WriteString("Subject: " + qword("windows-1250", cp1250("Program jednání a prezenční listina")) + "\r\n")
	b.WriteString("Date: Thu, 25 Mar 2027 15:45:00 +0100\r\n")
	b.WriteString("Message-ID: <000a01db9dcf$8e7f6a50$ab6e3ef0$@mostknadeji.example.cz>\r\n")
	b.WriteString(crlf("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"----=_NextPart_000_000B_01DB9DD7.F043D250\"\nX-MS-TNEF-Correlator: 00000000A1B2C3D4\n\n------=_NextPart_000_000B_01DB9DD7.F043D250\nContent-Type: text/plain; charset=\"windows-1250\"\nContent-Transfer-Encoding: quoted-printable\n\n"))
	b.WriteString(qp(cp1250(crlf("Dobrý den, posílám program jednání.\n"))))
	b.WriteString(crlf("\n------=_NextPart_000_000B_01DB9DD7.F043D250\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"winmail.dat\"\n\n"))
	b.WriteString(b64(tnef))
	b.WriteString(crlf("\n------=_NextPart_000_000B_01DB9DD7.F043D250--\n"))
	return []byte(b.String())
}

func plainUTF8() []byte {
	return []byte(`Return-Path: <jana.horakova@obec.example.cz>
Delivered-To: archiv+primarni-prevence@koordinace.example.cz
From: =?utf-8?Q?Jana_Hor=C3=A1kov=C3=A1?= <Jana.Horakova@Obec.Example.CZ>
To: "Archiv" <archiv+primarni-prevence@koordinace.example.cz>
Subject: Re: =?utf-8?Q?Z=C3=A1pis_z_jedn=C3=A1n=C3=AD_pracovn=C3=AD_skupiny?=
 =?utf-8?Q?_protidrogov=C3=A9_politiky_23=2E_3=2E_2027?=
Date: Wed, 24 Mar 2027 09:15 +0100 (CET)
Message-ID: <c0ffee42-0001@obec.example.cz>
In-Reply-To: <000001db9be3$3c4d5e60$b5e81b20$@Kr-Vysocina.example.cz>
References: <starsi-zprava-1@kr-vysocina.example.cz>
 <000001db9be3$3c4d5e60$b5e81b20$@Kr-Vysocina.example.cz>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8; format=flowed
Content-Transfer-Encoding: 8bit

Dobrý den,

děkuji za zápis. K bodu primární prevence doplňuji, že obec podpoří
programy všeobecné prevence na základních školách částkou 150 000 Kč.

Jana Horáková
starostka obce

> Hlavní body jednání:
> 1. Financování služeb v roce 2027
`)
}
