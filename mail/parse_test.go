package mail

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// wantFile is an attachment expected in a fixture; file names the
// generator's copy under testdata/attachments.
type wantFile struct {
	name      string
	mediaType string
	file      string
	words     []string // must appear in Text
}

// fixture is the expected parse of one testdata/*.eml.
type fixture struct {
	file        string
	messageID   string
	inReplyTo   string
	references  []string
	from        Address
	to          []string
	subject     string
	date        string // RFC 3339, "" for zero
	bodyWords   []string
	bodyNot     []string
	attachments []wantFile
	problems    []ProblemKind // kinds that must appear in Problems; nil means Problems must be empty
}

var fixtures = []fixture{
	{
		file:      "outlook-cp1250.eml",
		messageID: "000001db9be3$3c4d5e60$b5e81b20$@Kr-Vysocina.example.cz",
		from:      Address{Name: "Jiří Novák", Addr: "jiri.novak@kr-vysocina.example.cz"},
		to:        []string{"archiv+pracovni-skupina@koordinace.example.cz", "marie.dvorakova@mostknadeji.example.cz", "petr.cerny@khsvy.example.cz"},
		subject:   "Zápis z jednání pracovní skupiny protidrogové politiky 23. 3. 2027",
		date:      "2027-03-23T14:05:33+01:00",
		bodyWords: []string{"Dobrý den,", "Financování služeb v roce 2027 – dotační řízení", "Primární prevence ve školách", "Situace ve věznicích", "Most k naději", "Krajská hygienická stanice", "Ing. Jiří Novák"},
		bodyNot:   []string{"MsoNormal", "<p", "=\r\n", "\r"},
		attachments: []wantFile{{
			name: "Zápis z jednání 23.3.2027.docx", mediaType: mediaDOCX, file: "zapis-2027-03-23.docx",
			words: []string{"Zápis z jednání pracovní skupiny protidrogové politiky", "Financování služeb", "Situace ve věznicích", "Spolufinancování kraje činí 4,2 mil. Kč.", "Hlasování", "pro 9, proti 0"},
		}},
	},
	{
		file:      "iso-8859-2.eml",
		messageID: "20270324083000.GA1234@mostknadeji.example.cz",
		from:      Address{Name: "Petra Svobodová", Addr: "petra.svobodova@mostknadeji.example.cz"},
		to:        []string{"archiv+financovani@koordinace.example.cz"},
		subject:   "Financování služeb - podklady k jednání",
		date:      "2027-03-24T08:30:00+01:00",
		bodyWords: []string{"posílám podklady k bodu Financování služeb", "primární prevenci zůstává beze změny", "žádáme navýšení", "Most k naději, z. s."},
		attachments: []wantFile{{
			name: "financovani-sluzeb-2027.pdf", mediaType: mediaPDF, file: "financovani-sluzeb.pdf",
			words: []string{"Zápis z jednání pracovní skupiny", "Financování služeb 2027", "Krajská hygienická stanice, Most k naději", "doporučuje navýšení dotace"},
		}},
	},
	{
		file:      "html-only.eml",
		messageID: "pozvanka-2027-04-14@khsvy.example.cz",
		from:      Address{Name: "Krajská hygienická stanice", Addr: "podatelna@khsvy.example.cz"},
		to:        []string{"koordinatori@kraj.example.cz"},
		subject:   "Pozvánka: Primární prevence – metodické setkání",
		date:      "2027-03-29T16:20:00+02:00",
		bodyWords: []string{
			"Metodické setkání k primární prevenci\n\nVážení koordinátoři, zveme Vás na metodické setkání…",
			"Tovární 11 & zasedací místnost č. 2\nČas: 9:00–12:00",
			"Situace ve věznicích, financování služeb",
			"- prevence rizikového chování\n- spolupráce s Mostem k naději",
			"Termín\t14. 4. 2027",
		},
		bodyNot: []string{"sledovani", "tracking", "nesmí se zobrazit", "font-family", "Pozvánka na setkání", "&nbsp;", "&amp;", "&#283;", "\u00a0", "<"},
	},
	{
		file:      "forwarded.eml",
		messageID: "fwd-khs-20270415@kr-vysocina.example.cz",
		from:      Address{Name: "Jiří Novák", Addr: "jiri.novak@kr-vysocina.example.cz"},
		to:        []string{"archiv+khs@koordinace.example.cz"},
		subject:   "Fwd: Zápis z jednání KHS 14. 4. 2027",
		date:      "2027-04-15T10:01:02+02:00",
		bodyWords: []string{
			"Přeposílám zápis Krajské hygienické stanice do archivu.",
			"---------- Forwarded message ----------\nFrom: Krajská hygienická stanice <podatelna@khsvy.example.cz>\nSubject: Zápis z jednání KHS 14. 4. 2027\nDate: Thu, 15 Apr 2027 09:12:00 +0200",
			"zasíláme zápis z jednání ke sledování nových psychoaktivních látek",
		},
		attachments: []wantFile{{
			name: "Zápis KHS 14. 4. 2027.odt", mediaType: mediaODT, file: "zapis-khs.odt",
			words: []string{"Zápis  z jednání Krajské hygienické stanice", "nové psychoaktivní látky a testování vzorků", "Poznámka"},
		}},
	},
	{
		file:      "rfc2047-filename.eml",
		messageID: "8c1e2f3a-5b6d-4e7f-9a0b-1c2d3e4f5a6b@khsvy.example.cz",
		from:      Address{Name: "Ing. Petr Černý", Addr: "petr.cerny@khsvy.example.cz"},
		to:        []string{"archiv@koordinace.example.cz"},
		subject:   "Zápis z jednání 2.11.2022",
		date:      "2022-11-03T07:45:10+01:00",
		bodyWords: []string{"v příloze zápis z jednání o situaci ve věznicích."},
		attachments: []wantFile{{
			name: "Zápis z jednání 2.11.2022.docx", mediaType: mediaDOCX, file: "zapis-2022-11-02.docx",
			words: []string{"Situace ve věznicích: nárůst užívání pervitinu", "Probační a mediační službou"},
		}},
	},
	{
		file:      "broken-boundary.eml",
		messageID: "rozpocet-2027@mostknadeji.example.cz",
		from:      Address{Name: "Marie Dvořáková", Addr: "marie.dvorakova@mostknadeji.example.cz"},
		to:        []string{"archiv+rozpocet@koordinace.example.cz"},
		subject:   "Rozpočet služeb 2027",
		date:      "2027-03-26T11:00:00+01:00",
		bodyWords: []string{"V příloze požadavky na financování služeb pro rok 2027."},
		attachments: []wantFile{{
			name: "rozpočet služeb 2027.csv", mediaType: "text/csv", file: "rozpocet-sluzeb-2027.csv",
			words: []string{"Služba;Poskytovatel;Požadavek 2027 (Kč)", "Terénní program;Most k naději;1 250 000"},
		}},
		problems: []ProblemKind{ProblemBrokenBoundary},
	},
	{
		file:      "raw-8bit-headers.eml",
		from:      Address{Name: "Jiří Dvořák", Addr: "j.dvorak@jihlava.example.cz"},
		to:        []string{"archiv+jihlava@koordinace.example.cz"},
		subject:   "Zápis - pracovní skupina Jihlava, připomínky",
		bodyWords: []string{"k zápisu mám připomínku: v bodě 2 chybí zmínka o Krajské hygienické stanici."},
		problems:  []ProblemKind{ProblemMissingDate, ProblemMissingMessageID, ProblemRawHeaderBytes},
	},
	{
		file:      "lying-charset.eml",
		messageID: "lying-1@khsvy.example.cz",
		from:      Address{Name: "Petr Černý", Addr: "petr.cerny@khsvy.example.cz"},
		to:        []string{"archiv@koordinace.example.cz"},
		subject:   "Situace ve věznicích",
		date:      "2027-03-24T13:00:00+01:00",
		bodyWords: []string{"Situace ve věznicích: substituční léčba, přeplněnost, nedostatek adiktologů.", "Žádáme o zařazení na příští jednání."},
		problems:  []ProblemKind{ProblemBadCharset},
	},
	{
		file:      "unknown-charset.eml",
		messageID: "unknown-1@khsvy.example.cz",
		from:      Address{Name: "Petr Černý", Addr: "petr.cerny@khsvy.example.cz"},
		to:        []string{"archiv@koordinace.example.cz"},
		subject:   "Primární prevence",
		date:      "2027-03-24T13:30:00+01:00",
		bodyWords: []string{"Školní metodici prevence: šťastná volba programů, žáci základních škol.", "Příští schůzka: pátek."},
		problems:  []ProblemKind{ProblemUnknownCharset},
	},
	{
		file:      "winmail.eml",
		messageID: "000a01db9dcf$8e7f6a50$ab6e3ef0$@mostknadeji.example.cz",
		from:      Address{Name: "Marie Dvořáková", Addr: "marie.dvorakova@mostknadeji.example.cz"},
		to:        []string{"archiv+skupina@koordinace.example.cz"},
		subject:   "Program jednání a prezenční listina",
		date:      "2027-03-25T15:45:00+01:00",
		bodyWords: []string{"Dobrý den, posílám program jednání.", "v příloze program jednání a prezenční listina.", "Marie Dvořáková"},
		attachments: []wantFile{
			{name: "Program jednání.txt", mediaType: "text/plain", file: "program-jednani.txt", words: []string{"1. Financování služeb\n2. Primární prevence"}},
			{name: "Prezenční listina.docx", mediaType: mediaDOCX, file: "prezencni-listina.docx", words: []string{"Mgr. Petra Svobodová\tMost k naději"}},
		},
	},
	{
		file:       "plain-utf8.eml",
		messageID:  "c0ffee42-0001@obec.example.cz",
		inReplyTo:  "000001db9be3$3c4d5e60$b5e81b20$@Kr-Vysocina.example.cz",
		references: []string{"starsi-zprava-1@kr-vysocina.example.cz", "000001db9be3$3c4d5e60$b5e81b20$@Kr-Vysocina.example.cz"},
		from:       Address{Name: "Jana Horáková", Addr: "jana.horakova@obec.example.cz"},
		to:         []string{"archiv+primarni-prevence@koordinace.example.cz"},
		subject:    "Re: Zápis z jednání pracovní skupiny protidrogové politiky 23. 3. 2027",
		date:       "2027-03-24T09:15:00+01:00",
		bodyWords:  []string{"K bodu primární prevence doplňuji", "částkou 150 000 Kč", "> 1. Financování služeb v roce 2027"},
	},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v (regenerate with: go run testdata/gen/main.go -dir testdata)", err)
	}
	return raw
}

func TestParseFixtures(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			raw := readFixture(t, f.file)
			orig := bytes.Clone(raw)
			p, err := Parse(raw, ParseOptions{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !bytes.Equal(raw, orig) {
				t.Fatal("Parse modified its input")
			}
			if p.MessageID != f.messageID {
				t.Errorf("MessageID = %q, want %q", p.MessageID, f.messageID)
			}
			if p.InReplyTo != f.inReplyTo {
				t.Errorf("InReplyTo = %q, want %q", p.InReplyTo, f.inReplyTo)
			}
			if strings.Join(p.References, " ") != strings.Join(f.references, " ") {
				t.Errorf("References = %q, want %q", p.References, f.references)
			}
			if p.From != f.from {
				t.Errorf("From = %#v, want %#v", p.From, f.from)
			}
			var to []string
			for _, a := range p.To {
				to = append(to, a.Addr)
			}
			if strings.Join(to, ",") != strings.Join(f.to, ",") {
				t.Errorf("To = %q, want %q", to, f.to)
			}
			if p.Subject != f.subject {
				t.Errorf("Subject = %q, want %q", p.Subject, f.subject)
			}
			switch {
			case f.date == "" && !p.Date.IsZero():
				t.Errorf("Date = %v, want zero", p.Date)
			case f.date != "":
				want, err := time.Parse(time.RFC3339, f.date)
				if err != nil {
					t.Fatal(err)
				}
				if !p.Date.Equal(want) {
					t.Errorf("Date = %v, want %v", p.Date, want)
				}
				_, off := p.Date.Zone()
				_, wantOff := want.Zone()
				if off != wantOff {
					t.Errorf("Date zone offset = %d, want %d", off, wantOff)
				}
			}
			if !utf8.ValidString(p.Body) {
				t.Error("Body is not valid UTF-8")
			}
			for _, w := range f.bodyWords {
				if !strings.Contains(p.Body, w) {
					t.Errorf("Body lacks %q; body:\n%s", w, p.Body)
				}
			}
			for _, w := range f.bodyNot {
				if strings.Contains(p.Body, w) {
					t.Errorf("Body contains %q; body:\n%s", w, p.Body)
				}
			}
			if len(p.Attachments) != len(f.attachments) {
				t.Fatalf("%d attachments, want %d: %+v", len(p.Attachments), len(f.attachments), p.Attachments)
			}
			for i, w := range f.attachments {
				a := p.Attachments[i]
				if a.Filename != w.name {
					t.Errorf("attachment %d Filename = %q, want %q", i, a.Filename, w.name)
				}
				if a.MediaType != w.mediaType {
					t.Errorf("attachment %d MediaType = %q, want %q", i, a.MediaType, w.mediaType)
				}
				want := readFixture(t, filepath.Join("attachments", w.file))
				if len(a.Content) != len(want) || sha256.Sum256(a.Content) != sha256.Sum256(want) {
					t.Errorf("attachment %d Content: %d bytes sha256 %x, want %d bytes sha256 %x",
						i, len(a.Content), sha256.Sum256(a.Content), len(want), sha256.Sum256(want))
				}
				if a.TextError != "" {
					t.Errorf("attachment %d TextError = %q", i, a.TextError)
				}
				for _, word := range w.words {
					if !strings.Contains(a.Text, word) {
						t.Errorf("attachment %d Text lacks %q; text:\n%s", i, word, a.Text)
					}
				}
			}
			if f.problems == nil && len(p.Problems) > 0 {
				t.Errorf("unexpected Problems %q", p.Problems)
			}
			if f.problems != nil && len(p.Problems) == 0 {
				t.Error("Problems is empty for a broken message")
			}
			for _, k := range f.problems {
				if !p.HasProblem(k) {
					t.Errorf("Problems %q lack kind %v", p.Problems, k)
				}
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", " \r\n\t\n"} {
		p, err := Parse([]byte(in), ParseOptions{})
		if !errors.Is(err, ErrEmpty) || p != nil {
			t.Errorf("Parse(%q) = %v, %v; want nil, ErrEmpty", in, p, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "mail: ") {
			t.Errorf("error %q lacks the mail: prefix", err)
		}
	}
}

func TestParseOddMessages(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		body    []string
		subject string
		from    string
		problem ProblemKind // 0: Problems must be empty
	}{
		{
			name: "no header at all",
			raw:  "Dobrý den, zápis je v příloze.\nS pozdravem",
			body: []string{"Dobrý den, zápis je v příloze."}, problem: ProblemNoHeader,
		},
		{
			name:    "header only",
			raw:     "Subject: jen předmět\r\nFrom: a@b.cz\r\n",
			subject: "jen předmět", from: "a@b.cz", problem: ProblemNoBody,
		},
		{
			name: "mbox From line and LF ends",
			raw:  "From a@b.cz Tue Mar 23 10:00:00 2027\nFrom: a@b.cz\nSubject: x\nDate: 23 Mar 2027 10:00 +0100\nMessage-ID: <x@y>\n\nText zápisu",
			body: []string{"Text zápisu"}, subject: "x", from: "a@b.cz",
		},
		{
			name: "multipart without boundary parameter",
			raw:  "From: a@b.cz\r\nContent-Type: multipart/mixed\r\n\r\n--abc\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nčást jedna\r\n--abc--\r\n",
			body: []string{"část jedna"}, from: "a@b.cz", problem: ProblemBrokenBoundary,
		},
		{
			name: "multipart whose boundary never appears",
			raw:  "From: a@b.cz\r\nContent-Type: multipart/mixed; boundary=zzz\r\n\r\nprostý text bez hranic\r\n",
			body: []string{"prostý text bez hranic"}, from: "a@b.cz", problem: ProblemBrokenBoundary,
		},
		{
			name: "broken base64 body",
			raw:  "From: a@b.cz\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nWsOhcGlzIHogamVkbsOhbsOt\r\n*!*\r\n",
			body: []string{"Zápis z jednání"}, from: "a@b.cz", problem: ProblemBadEncoding,
		},
		{
			name: "missing From uses Sender",
			raw:  "Sender: Sekretariát <sekretariat@kraj.cz>\r\nSubject: s\r\n\r\ntext",
			body: []string{"text"}, subject: "s", from: "sekretariat@kraj.cz", problem: ProblemSenderFallback,
		},
		{
			name: "unparsable From taken leniently",
			raw:  "From: Novák, Jan <Jan.Novak@Kraj.cz>\r\nSubject: s\r\n\r\ntext",
			body: []string{"text"}, subject: "s", from: "jan.novak@kraj.cz", problem: ProblemBadAddress,
		},
		{
			name: "html inside alternative with plain empty",
			raw:  "From: a@b.cz\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>jen&nbsp;HTML</p>\r\n--b--\r\n",
			body: []string{"jen HTML"}, from: "a@b.cz", problem: ProblemMissingDate,
		},
		{
			name: "boundary with a line break",
			raw:  "From: a@b.cz\r\nContent-Type: multipart/mixed; boundary*=utf-8''%0A%0A\r\n\r\n--\n\ntext\r\n",
			body: []string{"text"}, from: "a@b.cz", problem: ProblemBrokenBoundary,
		},
		{
			name: "invalid content type",
			raw:  "From: a@b.cz\r\nContent-Type: textplain\r\n\r\nobsah",
			body: []string{"obsah"}, from: "a@b.cz", problem: ProblemBadContentType,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.raw), ParseOptions{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for _, w := range tt.body {
				if !strings.Contains(p.Body, w) {
					t.Errorf("Body %q lacks %q", p.Body, w)
				}
			}
			if p.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", p.Subject, tt.subject)
			}
			if p.From.Addr != tt.from {
				t.Errorf("From = %+v, want %q", p.From, tt.from)
			}
			switch {
			case tt.problem == 0 && len(p.Problems) > 0:
				t.Errorf("Problems = %q, want none", p.Problems)
			case tt.problem != 0 && !p.HasProblem(tt.problem):
				t.Errorf("Problems = %q, want kind %v", p.Problems, tt.problem)
			}
		})
	}
}

func TestParseDeepForwards(t *testing.T) {
	msg := "From: a@b.cz\r\nSubject: nejhlubší\r\n\r\nvnitřek"
	for i := 0; i < 15; i++ {
		msg = "From: a@b.cz\r\nSubject: vrstva\r\nContent-Type: message/rfc822\r\n\r\n" + msg
	}
	p, err := Parse([]byte(msg), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasProblem(ProblemLimitReached) {
		t.Errorf("no depth note in %q", p.Problems)
	}
	if len(p.Attachments) != 1 {
		t.Errorf("the too-deep message should be kept as an attachment, got %d", len(p.Attachments))
	}
}

func TestParseTruncatesAttachmentText(t *testing.T) {
	raw := readFixture(t, "outlook-cp1250.eml")
	p, err := Parse(raw, ParseOptions{MaxAttachmentText: 40})
	if err != nil {
		t.Fatal(err)
	}
	a := p.Attachments[0]
	if len(a.Text) > 40 || !strings.HasPrefix(a.Text, "Zápis z jednání") || !utf8.ValidString(a.Text) {
		t.Errorf("Text = %q, want at most 40 bytes of valid UTF-8", a.Text)
	}
	if !p.HasProblem(ProblemTruncatedText) {
		t.Errorf("no truncation note in %q", p.Problems)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339; "" means an error
	}{
		{"Tue, 23 Mar 2027 14:05:33 +0100", "2027-03-23T14:05:33+01:00"},
		{"23 Mar 2027 14:05:33 +0100", "2027-03-23T14:05:33+01:00"},
		{"Tue, 23 Mar 2027 14:05 +0100", "2027-03-23T14:05:00+01:00"},
		{"  Tue,  23 Mar 2027 14:05:33 +0100 (CET)  ", "2027-03-23T14:05:33+01:00"},
		{"Tue, 23 Mar 2027 14:05:33 GMT+1", "2027-03-23T14:05:33+01:00"},
		{"Tue, 23 Mar 2027 14:05:33 GMT+0100", "2027-03-23T14:05:33+01:00"},
		{"Tue, 23 Mar 2027 14:05:33 UTC+01:00", "2027-03-23T14:05:33+01:00"},
		{"Tue, 23 Mar 2027 14:05:33 +01:00", "2027-03-23T14:05:33+01:00"},
		{"Tue, 23 Mar 2027 14:05:33 CET", "2027-03-23T14:05:33+01:00"},
		{"Fri, 23 Jul 2027 14:05:33 CEST", "2027-07-23T14:05:33+02:00"},
		{"Tue, 23 Mar 27 14:05:33 +0100", "2027-03-23T14:05:33+01:00"},
		{"Tue, 23 Mar 2027 14:05:33 GMT", "2027-03-23T14:05:33Z"},
		{"Tue, 23 Mar 2027 14:05:33", "2027-03-23T14:05:33Z"},
		{"út, 2 lis 2022 10:00:00 +0100", "2022-11-02T10:00:00+01:00"},
		{"st 2. listopadu 2022 10:00", "2022-11-02T10:00:00Z"},
		{"2. 11. 2022 10:00:00 +0100", "2022-11-02T10:00:00+01:00"},
		{"23.3.2027 8:30", "2027-03-23T08:30:00Z"},
		{"2027-03-23T14:05:33+01:00", "2027-03-23T14:05:33+01:00"},
		{"2027-03-23 14:05:33", "2027-03-23T14:05:33Z"},
		{"Tuesday, March 23, 2027 2:05:33 PM", ""},
		{"", ""},
		{"dnes", ""},
		{"31 Feb 2027 10:00 +0100", ""},
		{"Tue, 23 Mar 2027 25:00:00 +0100", ""},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseDate(%q) = %v, want error", tt.in, got)
			} else if !strings.HasPrefix(err.Error(), "mail: ") {
				t.Errorf("ParseDate(%q) error %q lacks prefix", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tt.in, err)
			continue
		}
		want, _ := time.Parse(time.RFC3339, tt.want)
		_, off := got.Zone()
		_, wantOff := want.Zone()
		if !got.Equal(want) || off != wantOff {
			t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, want)
		}
	}
}

func TestDecodeHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=?windows-1250?Q?Z=E1pis_z_jedn=E1n=ED?=", "Zápis z jednání"},
		{"=?iso-8859-2?B?WuFwaXM=?=", "Zápis"},
		{"=?ISO8859-2?Q?=B9koln=ED?=", "školní"},
		{"=?utf-8?Q?Z=C3=A1pis?= =?utf-8?Q?_z_jedn=C3=A1n=C3=AD?=", "Zápis z jednání"},
		{"=?utf-8?B?WsOh?= =?utf-8?B?cGlz?=", "Zápis"},
		// A character split between two encoded words.
		{"=?utf-8?Q?Z=C3?= =?utf-8?Q?=A1pis?=", "Zápis"},
		{"Re: =?utf-8?Q?Z=C3=A1pis?= a text", "Re: Zápis a text"},
		{"=?x-unknown?Q?Prim=E1rn=ED?=", "Primární"},
		{"=?utf-8?Q?Prim=E1rn=ED?=", "Primární"}, // lying: utf-8 label, cp1250 bytes
		{"=?utf-8*cs?Q?=C4=8Cesky?=", "Česky"},
		{"=?utf-8?X?abc?=", "=?utf-8?X?abc?="},
		{"cena =? neznámá", "cena =? neznámá"},
		{"\xc8esk\xfd Krumlov", "Český Krumlov"},
		{"plain ascii", "plain ascii"},
		{"=?windows-1250?Q?=9Akola?=\xe8", "školač"},
	}
	for _, tt := range tests {
		if got := DecodeHeader(tt.in); got != tt.want {
			t.Errorf("DecodeHeader(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMediaParams(t *testing.T) {
	tests := []struct {
		in, mt, key, want string
	}{
		{`attachment; filename="Zápis.docx"`, "attachment", "filename", "Zápis.docx"},
		{`attachment; filename=Zapis z jednani.docx`, "attachment", "filename", "Zapis z jednani.docx"},
		{`attachment; filename*=windows-1250''Z%E1pis.docx`, "attachment", "filename", "Zápis.docx"},
		{`attachment; filename*0*=utf-8''Z%C3%A1pis%20z; filename*1=" jednání"; filename*2*=.docx`, "attachment", "filename", "Zápis z jednání.docx"},
		{`attachment; filename="old.docx"; filename*=UTF-8''nov%C3%A9.docx`, "attachment", "filename", "nové.docx"},
		{`Text/Plain; Charset="Windows-1250"`, "text/plain", "charset", "Windows-1250"},
		{`multipart/mixed; boundary="----=_NextPart_000"`, "multipart/mixed", "boundary", "----=_NextPart_000"},
		{`text/plain (komentář); charset=utf-8 (x)`, "text/plain", "charset", "utf-8 (x)"},
		{`attachment; filename="nedokončeno.docx`, "attachment", "filename", "nedokončeno.docx"},
		{`attachment; filename="a\"b.txt"`, "attachment", "filename", `a"b.txt`},
	}
	for _, tt := range tests {
		mt, params := mediaParams(tt.in)
		if mt != tt.mt || params[tt.key] != tt.want {
			t.Errorf("mediaParams(%q) = %q, %q; want %q, %s=%q", tt.in, mt, params, tt.mt, tt.key, tt.want)
		}
	}
}

func TestSplitMultipart(t *testing.T) {
	body := "preambule\r\n--b\r\nA\r\n--bb\r\nnot a delimiter\r\n--b  \r\nB\n--b--\r\nepilog"
	res := splitMultipart([]byte(body), "b")
	if !res.closed || len(res.parts) != 2 {
		t.Fatalf("got %q closed=%v", res.parts, res.closed)
	}
	if string(res.parts[0]) != "A\r\n--bb\r\nnot a delimiter" || string(res.parts[1]) != "B" {
		t.Errorf("parts = %q", res.parts)
	}
	res = splitMultipart([]byte("--b\nA\n--b\nB"), "b")
	if res.closed || len(res.parts) != 2 || string(res.parts[1]) != "B" {
		t.Errorf("unclosed: %q closed=%v", res.parts, res.closed)
	}
}

func TestAddresses(t *testing.T) {
	tests := []struct {
		in   string
		want []Address
	}{
		{`"Novák, Jan" <Jan.Novak@Kraj.CZ>, eva@x.cz`, []Address{{"Novák, Jan", "jan.novak@kraj.cz"}, {"", "eva@x.cz"}}},
		{`Novák, Jan <jan@kraj.cz>; Eva <eva@x.cz>`, []Address{{"Novák, Jan", "jan@kraj.cz"}, {"Eva", "eva@x.cz"}}},
		{`=?utf-8?Q?Ji=C5=99=C3=AD?= <jiri@x.cz>`, []Address{{"Jiří", "jiri@x.cz"}}},
		{`"=?utf-8?Q?Ji=C5=99=C3=AD?=" <jiri@x.cz>`, []Address{{"Jiří", "jiri@x.cz"}}},
		{`Mgr. Jiří Novák <jiri@x.cz>`, []Address{{"Mgr. Jiří Novák", "jiri@x.cz"}}},
		{`<archiv+skupina@koordinace.cz>`, []Address{{"", "archiv+skupina@koordinace.cz"}}},
	}
	for _, tt := range tests {
		got, _ := parseAddressList(tt.in)
		if len(got) != len(tt.want) {
			t.Errorf("parseAddressList(%q) = %+v, want %+v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("parseAddressList(%q)[%d] = %+v, want %+v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

func TestDecodeText(t *testing.T) {
	tests := []struct {
		in, label, want string
		kind            ProblemKind // 0: no problem
	}{
		{"\xe8\xe1st", "windows-1250", "část", 0},
		{"\xe8\xe1st", "Win-1250", "část", 0}, // misspellings htmlindex lacks
		{"\xe8\xe1st", `"cp-1250"`, "část", 0},
		{"\xb9kola", "latin2", "škola", 0},
		{"\xb9kola", "ISO8859_2", "škola", 0},
		{"\x9akola", "iso-8859-2", "škola", ProblemBadCharset}, // declared latin2, really cp1250
		{"část", "iso-8859-2", "část", ProblemBadCharset},      // declared latin2, really UTF-8
		{"\xe8\xe1st", "us-ascii", "část", ProblemUndeclaredCharset},
		{"\xe8\xe1st", "ascii", "část", ProblemUndeclaredCharset}, // not windows-1252 as htmlindex has it
		{"\xe8\xe1st", "", "část", ProblemUndeclaredCharset},
		{"část", "", "část", 0},
		{"abc", "x-whatever", "abc", 0},
		{"\xe8\xe1st", "x-whatever", "část", ProblemUnknownCharset},
		{"Situace ve v\xecznic\xedch", "utf-8", "Situace ve věznicích", ProblemBadCharset},
		{"\xff\xfec\x00", "utf-16", "c", 0},
		{"\x8a\x9e", "windows-1252", "Šž", 0},
	}
	for _, tt := range tests {
		got, note := decodeText([]byte(tt.in), tt.label)
		if got != tt.want || note.Kind != tt.kind {
			t.Errorf("decodeText(%q, %q) = %q, %v (%q); want %q, %v", tt.in, tt.label, got, note.Kind, note, tt.want, tt.kind)
		}
	}
}

// FuzzParse checks that no input makes Parse panic and that its output is
// always well-formed.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: message/rfc822\r\n\r\n--a--"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(raw, ParseOptions{MaxAttachmentText: 1 << 16})
		if err != nil {
			if !errors.Is(err, ErrEmpty) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if p == nil {
			t.Fatal("nil result without error")
		}
		for _, s := range []string{p.Body, p.Subject, p.From.Name, p.From.Addr, p.MessageID, p.InReplyTo} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
		}
		for _, pr := range p.Problems {
			if pr.Kind.String() == "unknown" || !utf8.ValidString(pr.Detail) {
				t.Fatalf("problem %#v: no kind or invalid UTF-8", pr)
			}
		}
		for _, a := range p.Attachments {
			if a.Content == nil {
				t.Fatal("nil attachment Content")
			}
			if !utf8.ValidString(a.Text) || !utf8.ValidString(a.Filename) {
				t.Fatalf("invalid UTF-8 in attachment %q", a.Filename)
			}
			if len(a.Text) > 1<<16 {
				t.Fatalf("attachment text %d bytes over the cap", len(a.Text))
			}
		}
	})
}

// FuzzParseDate checks that ParseDate never panics and returns plausible
// dates only.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"Tue, 23 Mar 2027 14:05:33 +0100", "út, 2 lis 2022 10:00:00 +0100", "2027-03-23T14:05:33+01:00",
		"23.3.2027 8:30", "Tue, 23 Mar 27 14:05 GMT+1 (CET)", "2. listopadu 2022",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err == nil && (d.Year() < 1970 || d.Year() > 2200) {
			t.Fatalf("ParseDate(%q) = %v", s, d)
		}
	})
}

// FuzzDecodeHeader checks that DecodeHeader always returns valid UTF-8.
func FuzzDecodeHeader(f *testing.F) {
	for _, s := range []string{
		"=?windows-1250?Q?Z=E1pis?=", "=?utf-8?B?WsOhcGlz?= =?utf-8?B?IHo=?=", "\xe8\xe1st =?x?q?a?=",
		"=?iso-8859-2?Q?=B9?==?utf-16?B?//5j?=", "=?utf-7?Q?+AOE-?=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if out := DecodeHeader(s); !utf8.ValidString(out) {
			t.Fatalf("DecodeHeader(%q) = %q, invalid UTF-8", s, out)
		}
	})
}

// BenchmarkParse parses the 7 KB Outlook message with a DOCX attachment.
func BenchmarkParse(b *testing.B) {
	raw := readFixture(b, "outlook-cp1250.eml")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw, ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseHostileSizes(t *testing.T) {
	var nb strings.Builder
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&nb, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	nested := nb.String() + "konec"
	many := "Content-Type: multipart/mixed; boundary=x\r\n\r\n" + strings.Repeat("--x\r\nContent-Type: text/plain\r\n\r\nčást\r\n", 20000) + "--x--"
	inputs := map[string]string{
		"encoded-word starts":   "Subject: " + strings.Repeat("=?a?q?x", 200000) + "\r\n\r\nx",
		"at signs":              "To: " + strings.Repeat("@", 1<<20) + "\r\n\r\nx",
		"address list":          "To: " + strings.Repeat("a@b.cz, ", 100000) + "\r\n\r\nx",
		"continuation lines":    "Subject: a\r\n" + strings.Repeat(" b\r\n", 300000) + "\r\nx",
		"many fields":           strings.Repeat("X-A: b\r\n", 300000) + "\r\nx",
		"nested multiparts":     nested,
		"many parts":            many,
		"comment parens":        "Content-Type: text/plain" + strings.Repeat("(", 500000) + "\r\n\r\nx",
		"message ids":           "References: " + strings.Repeat("<a@b> ", 200000) + "\r\n\r\nx",
		"param continuations":   "Content-Type: application/pdf" + strings.Repeat("; name*9999*=%41", 100000) + "\r\n\r\nx",
		"long base64 line":      "Content-Transfer-Encoding: base64\r\n\r\n" + strings.Repeat("QUJD", 1<<20),
		"many forwarded levels": strings.Repeat("Content-Type: message/rfc822\r\n\r\n", 10000) + "x",
	}
	for name, in := range inputs {
		start := time.Now()
		p, err := Parse([]byte(in), ParseOptions{})
		if err != nil || p == nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		d := time.Since(start)
		if d > 3*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		t.Logf("%s: %v, body %d bytes, %d attachments, problems %q", name, d, len(p.Body), len(p.Attachments), p.Problems)
	}
}

func TestSplitHeader(t *testing.T) {
	tests := []struct {
		name, raw string
		key, want string // h.get(key) must be want (when want is not "")
		body      string // the body split off
		kinds     []ProblemKind
	}{
		{name: "folded value unfolded", raw: "Subject: Zápis z\r\n\tjednání\r\n\r\ntext", key: "subject", want: "Zápis z jednání", body: "text"},
		{name: "keys case-insensitive", raw: "CONTENT-type: text/plain\n\ntext", key: "content-type", want: "text/plain", body: "text"},
		{name: "first of repeated fields", raw: "To: a@b.cz\nTo: c@d.cz\n\nx", key: "to", want: "a@b.cz", body: "x"},
		{name: "raw 8-bit bytes kept", raw: "Subject: Z\xe1pis\r\n\r\nx", key: "subject", want: "Z\xe1pis", body: "x"},
		{name: "mbox From line skipped", raw: "From a@b.cz Tue Mar 23 10:00:00 2027\nFrom: a@b.cz\n\nx", key: "from", want: "a@b.cz", body: "x"},
		{
			name: "stray line joined to the field before", raw: "Subject: a\r\nnení pole\r\nDate: d\r\n\r\nx", key: "subject", want: "a není pole", body: "x",
			kinds: []ProblemKind{ProblemMalformedHeader},
		},
		{name: "header only", raw: "Subject: s\r\n", key: "subject", want: "s", kinds: []ProblemKind{ProblemNoBody}},
		{name: "no header", raw: "Dobrý den,\r\nzápis.", key: "subject", want: "", body: "Dobrý den,\r\nzápis.", kinds: []ProblemKind{ProblemNoHeader}},
		{
			// want "": only the length is checked
			name: "oversized value cut", raw: "Subject: a\r\n" + strings.Repeat(" b\r\n", maxHeaderValue) + "\r\nx", key: "subject", body: "x",
			kinds: []ProblemKind{ProblemLimitReached},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body, problems := splitHeader([]byte(tt.raw))
			got := h.get(tt.key)
			if got != tt.want && tt.want != "" || len(got) > maxHeaderValue {
				t.Errorf("get(%q) = %.80q (%d bytes), want %q", tt.key, got, len(got), tt.want)
			}
			if string(body) != tt.body {
				t.Errorf("body = %q, want %q", body, tt.body)
			}
			var kinds []ProblemKind
			for _, p := range problems {
				kinds = append(kinds, p.Kind)
			}
			if fmt.Sprint(kinds) != fmt.Sprint(tt.kinds) {
				t.Errorf("problems %q, want kinds %v", problems, tt.kinds)
			}
		})
	}
}

func TestNormalizeCharset(t *testing.T) {
	tests := []struct{ in, want string }{
		{"UTF-8", "utf-8"},
		{"utf8", "utf-8"},
		{"x-utf-8", "utf-8"},
		{`"Windows-1250"`, "windows-1250"},
		{"x-cp1250", "windows-1250"}, // from htmlindex
		{"cp-1250", "windows-1250"},  // misspellings htmlindex lacks
		{"win-1250", "windows-1250"},
		{"windows_1250", "windows-1250"},
		{"latin2", "iso-8859-2"}, // from htmlindex
		{"csISOLatin2", "iso-8859-2"},
		{"iso8859_2", "iso-8859-2"}, // misspellings htmlindex lacks
		{"latin-2", "iso-8859-2"},
		{"utf-8*cs", "utf-8"},
		{"ascii", "us-ascii"}, // htmlindex says windows-1252
		{"US-ASCII", "us-ascii"},
		{"iso-8859-1", "iso-8859-1"}, // left to go-message's charset package
		{"utf-16", "utf-16"},
		{"x-unknown", "x-unknown"},
		{"  ", ""},
	}
	for _, tt := range tests {
		if got := normalizeCharset(tt.in); got != tt.want {
			t.Errorf("normalizeCharset(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestProblemString(t *testing.T) {
	p := Problem{Kind: ProblemUnknownCharset, Detail: "unknown charset x-unknown, guessed iso-8859-2"}
	if p.String() != p.Detail || p.Kind.String() != "unknown-charset" {
		t.Errorf("String() = %q, Kind.String() = %q", p, p.Kind)
	}
	if s := (Problem{Kind: ProblemBrokenBoundary}).String(); s != "broken-boundary" {
		t.Errorf("String() without detail = %q", s)
	}
	for k := ProblemNoHeader; k <= ProblemAttachment; k++ {
		if k.String() == "unknown" || k.String() == "" {
			t.Errorf("kind %d has no name", k)
		}
	}
	if ProblemKind(0).String() != "unknown" {
		t.Errorf("zero kind named %q", ProblemKind(0))
	}
}
