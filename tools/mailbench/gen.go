package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"net/url"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/encoding/charmap"
)

// senderDomain is the domain every generated sender is in; coordbot's
// allowed_senders lists it.
const senderDomain = "kr-ustecky.example.cz"

// docxOnlyWord occurs only inside the DOCX attachments, never in a body or
// subject: a search for it shows whether attachment text is indexed.
const docxOnlyWord = "harmonogram"

// generator makes realistic minutes mails, deterministically from a seed.
type generator struct {
	rng *rand.Rand
	// prague is the time zone of the Date headers.
	prague *time.Location
	// buf is reused between messages.
	buf bytes.Buffer
}

// genStats counts what was generated, for the report and to check search
// results against.
type genStats struct {
	Messages, WithDOCX, CP1250 int
	Bytes                      int64
	// WordMessages counts, per tracked word, the messages whose subject or
	// body has it (Body) and those with it anywhere including the DOCX
	// (All). Words are compared lower-cased, diacritics kept.
	WordBody, WordAll map[string]int
}

// nearlyAllWord is in (nearly) every mail: every subject says "Zápis z
// jednání"; the reference archive of the issue had financování in 10,002
// of its 10,013 mails, a search whose every message matches.
const nearlyAllWord = "jednání"

// noHitWord is in no mail: a search that finds nothing.
const noHitWord = "xylofon"

// trackedWords are the words whose occurrences are counted.
var trackedWords = []string{"financování", "věznicích", docxOnlyWord, nearlyAllWord, noHitWord}

func newGenerator(seed uint64) *generator {
	loc, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		loc = time.FixedZone("CET", 3600)
	}
	return &generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), prague: loc}
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) person() person { return people[g.rng.IntN(len(people))] }

// person is a sender or attendee.
type person struct{ name, local string }

var people = []person{
	{"Jiří Novák", "jiri.novak"}, {"Marie Dvořáková", "marie.dvorakova"}, {"Petr Černý", "petr.cerny"},
	{"Jana Horáková", "jana.horakova"}, {"Petra Svobodová", "petra.svobodova"}, {"Tomáš Procházka", "tomas.prochazka"},
	{"Lucie Kučerová", "lucie.kucerova"}, {"Martin Veselý", "martin.vesely"}, {"Kateřina Šťastná", "katerina.stastna"},
	{"Zdeněk Růžička", "zdenek.ruzicka"}, {"Hana Benešová", "hana.benesova"}, {"Pavel Kříž", "pavel.kriz"},
	{"Eva Němcová", "eva.nemcova"}, {"Ondřej Fiala", "ondrej.fiala"}, {"Veronika Šimková", "veronika.simkova"},
	{"Radek Žák", "radek.zak"},
}

var kraje = []string{"Ústeckého kraje", "Libereckého kraje", "Karlovarského kraje", "Plzeňského kraje",
	"Jihočeského kraje", "Kraje Vysočina", "Jihomoravského kraje", "Zlínského kraje", "Olomouckého kraje",
	"Moravskoslezského kraje", "Pardubického kraje", "Královéhradeckého kraje", "Středočeského kraje"}

var mesta = []string{"Most", "Děčín", "Teplice", "Chomutov", "Litoměřice", "Ústí nad Labem", "Louny", "Žatec",
	"Jihlava", "Třebíč", "Havlíčkův Brod", "Žďár nad Sázavou", "Liberec", "Jablonec nad Nisou", "Česká Lípa"}

var organizace = []string{"Most k naději", "Drop In", "Sdružení Podané ruce", "Kontaktní centrum Most",
	"Terénní program Děčín", "Adiktologická ambulance Teplice", "Probační a mediační služba", "White Light I.",
	"Laxus", "Point 14", "Krajská hygienická stanice"}

var veznice = []string{"Věznice Bělušice", "Věznice Rýnovice", "Věznice Horní Slavkov", "Věznice Všehrdy",
	"Věznice Jiřice", "Věznice Pardubice", "Vazební věznice Litoměřice"}

var skupiny = []string{"pracovní skupiny protidrogové politiky", "koordinační skupiny pro adiktologické služby",
	"metodického setkání místních protidrogových koordinátorů", "pracovní skupiny pro primární prevenci",
	"komise pro protidrogovou politiku"}

// topics are agenda items: a heading and sentences with placeholders
// {kraj} {mesto} {org} {veznice} {datum} {castka} {pocet} {osoba}. Only
// the first topic uses the word "financování".
var topics = []struct {
	heading   string
	sentences []string
}{
	{"Financování služeb", []string{
		"Koordinátor informoval o výsledcích dotačního řízení RVKPP a Ministerstva zdravotnictví na rok 2027.",
		"Spolufinancování ze strany {kraj} činí {castka} mil. Kč, což pokrývá zhruba třetinu nákladů sítě služeb.",
		"Zástupce organizace {org} upozornil, že financování služeb z víceletých dotací stále chybí a organizace předfinancují provoz z vlastních zdrojů.",
		"Pracovní skupina doporučuje radě kraje navýšit financování adiktologických služeb o {pocet} % oproti loňskému roku.",
		"Město {mesto} přislíbilo příspěvek na provoz kontaktního centra ve výši {castka} mil. Kč.",
		"Byla diskutována udržitelnost financování terénních programů po skončení projektu z ESF+.",
		"Vyúčtování dotací za minulý rok je třeba odevzdat do {datum}; formuláře jsou na webu kraje.",
		"Členové se shodli, že stabilní financování služeb je předpokladem kvalitní sítě péče.",
	}},
	{"Primární prevence", []string{
		"Školní metodici prevence žádají o rozšíření nabídky programů všeobecné primární prevence.",
		"Krajský školský koordinátor prevence představil minimální preventivní program pro školní rok.",
		"V {mesto} proběhlo {pocet} programů selektivní primární prevence pro žáky druhého stupně.",
		"Byla projednána certifikace programů primární prevence a nabídka akreditovaných poskytovatelů.",
		"Zástupci škol upozornili na rostoucí užívání nikotinových sáčků mezi žáky.",
		"Pracovní skupina doporučuje zapojit rodiče do programů prevence formou besed.",
		"Na příští jednání bude pozván zástupce pedagogicko-psychologické poradny.",
	}},
	{"Adiktologické služby v kraji", []string{
		"Kontaktní centrum v {mesto} evidovalo {pocet} klientů a vydalo přes deset tisíc injekčních setů.",
		"Terénní program organizace {org} rozšířil působnost do dalších obcí s rozšířenou působností.",
		"Adiktologická ambulance hlásí čekací dobu na první kontakt přibližně tři týdny.",
		"Síť adiktologických služeb {kraj} byla aktualizována a bude zveřejněna na webu kraje.",
		"Poskytovatelé upozornili na nedostatek adiktologů a zdravotních sester v regionu.",
		"Substituční léčba je dostupná v {mesto}, kapacita programu je však naplněna.",
		"Zástupce organizace {org} informoval o nárůstu klientů užívajících pervitin.",
	}},
	{"Situace ve věznicích", []string{
		"Most k naději zajišťuje poradenství ve věznici; substituční léčba je dostupná omezeně.",
		"{veznice} spolupracuje s adiktologickými službami na přípravě odsouzených na propuštění.",
		"Zástupce Vězeňské služby informoval o bezdrogových zónách a jejich obsazenosti.",
		"Situace ve věznicích se zhoršila, roste počet odsouzených s problémovým užíváním drog.",
		"Ve věznicích chybí návazná péče po propuštění; pracovní skupina navrhuje pilotní program.",
		"Most k naději plánuje rozšířit poradenství ve věznicích {kraj} od {datum}.",
	}},
	{"Krajská hygienická stanice", []string{
		"Krajská hygienická stanice informovala o monitoringu nových psychoaktivních látek.",
		"KHS provedla {pocet} kontrol prodeje alkoholu a tabákových výrobků mladistvým.",
		"Krajská hygienická stanice doporučuje rozšířit testování na hepatitidu C v nízkoprahových službách.",
		"Epidemiologická situace v {mesto} je stabilní, případů žloutenky typu A nepřibylo.",
		"Zástupkyně KHS představila výsledky měření odpadních vod na přítomnost drog.",
	}},
	{"Protidrogová politika kraje", []string{
		"Byla projednána střednědobá strategie protidrogové politiky {kraj} na období 2027–2030.",
		"Protidrogová politika kraje klade důraz na dostupnost služeb i v menších obcích.",
		"Krajský protidrogový koordinátor seznámil členy s vyhodnocením akčního plánu.",
		"Zpráva o realizaci protidrogové politiky bude předložena zastupitelstvu do {datum}.",
		"Členové pracovní skupiny podpořili zařazení hazardního hraní do krajské strategie.",
		"Místní protidrogoví koordinátoři z {mesto} a okolí podali informace o situaci v obcích.",
	}},
	{"Snižování škod", []string{
		"Výměnný program v {mesto} vydal {pocet} injekčních setů a sebral většinu použitého materiálu.",
		"Nálezy použitých stříkaček v parcích řeší město ve spolupráci s terénním programem.",
		"Organizace {org} zahájila distribuci naloxonu uživatelům opioidů.",
		"Pracovní skupina doporučuje instalaci kontejneru na použité injekční stříkačky u nádraží.",
	}},
	{"Alkohol, tabák a hazard", []string{
		"Obec {mesto} připravuje obecně závaznou vyhlášku o regulaci hazardních her.",
		"Policie ČR informovala o kontrolách řidičů pod vlivem alkoholu a jiných návykových látek.",
		"Zástupce obce upozornil na prodej alkoholu nezletilým na kulturních akcích.",
		"Adiktologické poradenství pro hráče je v kraji dostupné pouze ve dvou městech.",
	}},
	{"Děti a mládež", []string{
		"OSPOD v {mesto} řeší {pocet} případů dětí ohrožených užíváním návykových látek.",
		"Nízkoprahové zařízení pro děti a mládež hlásí vyšší zájem o večerní služby.",
		"Pracovní skupina projednala spolupráci se středními školami v {mesto}.",
		"Bylo dohodnuto, že organizace {org} připraví informační leták pro rodiče.",
	}},
	{"Různé", []string{
		"Příští jednání se uskuteční {datum} od 9:00 v zasedací místnosti krajského úřadu.",
		"Členové obdrželi pozvánku na konferenci o adiktologii, která proběhne {datum}.",
		"Zápis bude rozeslán e-mailem a připomínky lze zasílat do pěti pracovních dnů.",
		"Předsedající poděkoval přítomným za účast a jednání ukončil ve 12:30.",
		"Koordinátor připomněl povinnost hlásit změny kontaktních údajů do adresáře služeb.",
	}},
}

// discussion is general talk, free of the words the benchmark searches for.
var discussion = []string{
	"{osoba} doplnil(a), že situaci v {mesto} bude třeba sledovat i v příštím období.",
	"Diskuse se zúčastnili {osoba} a {osoba}; shodli se na dalším postupu.",
	"{osoba} se dotázal(a) na zkušenosti ostatních obcí; odpověděli zástupci z {mesto}.",
	"Předsedající shrnul(a) diskusi a navrhl(a) vrátit se k bodu na příštím jednání dne {datum}.",
	"Organizace {org} nabídla spolupráci a kontaktní osobu pro tuto oblast.",
	"Členové pracovní skupiny vzali informace na vědomí bez dalších připomínek.",
	"{osoba} upozornil(a) na nutnost lepší výměny informací mezi obcemi {kraj}.",
	"Podklady k bodu budou rozeslány spolu se zápisem nejpozději {datum}.",
	"Bylo dohodnuto, že {osoba} osloví zástupce {mesto} a zjistí jejich stanovisko.",
	"Z diskuse vyplynulo, že obce potřebují více metodické podpory ze strany kraje.",
	"{osoba} informoval(a) o semináři, který proběhl v {mesto} za účasti {pocet} osob.",
	"Zástupce organizace {org} poděkoval za dosavadní spolupráci s krajským úřadem.",
}

// docxSentences fill the DOCX attachment: resolutions and a schedule.
var docxSentences = []string{
	"Usnesení č. {pocet}/2027: pracovní skupina bere na vědomí informace o síti služeb {kraj}.",
	"Usnesení: pracovní skupina doporučuje navýšení dotace o {pocet} %.",
	"Úkol: koordinátor připraví harmonogram jednání na příští rok a rozešle jej do {datum}.",
	"Harmonogram akčního plánu byl schválen bez připomínek.",
	"Prezenční listina je přílohou tohoto zápisu.",
	"Most k naději předloží zprávu o poradenství ve věznicích do {datum}.",
	"Krajská hygienická stanice doplní údaje o monitoringu do harmonogramu.",
}

// czDate formats a date the Czech way: 23. 3. 2027.
func czDate(t time.Time) string {
	return fmt.Sprintf("%d. %d. %d", t.Day(), int(t.Month()), t.Year())
}

// fill replaces the placeholders of a sentence.
func (g *generator) fill(s string, meeting time.Time) string {
	if !strings.Contains(s, "{") {
		return s
	}
	r := strings.NewReplacer(
		"{kraj}", g.pick(kraje),
		"{mesto}", g.pick(mesta),
		"{org}", g.pick(organizace),
		"{veznice}", g.pick(veznice),
		"{datum}", czDate(meeting.AddDate(0, 0, 7+g.rng.IntN(60))),
		"{castka}", fmt.Sprintf("%d,%d", 1+g.rng.IntN(9), g.rng.IntN(10)),
		"{pocet}", fmt.Sprint(3+g.rng.IntN(400)),
		"{osoba}", g.person().name,
	)
	return r.Replace(s)
}

// minutes is one generated message before encoding.
type minutes struct {
	from      person
	subject   string
	date      time.Time
	body      string
	docx      []byte // nil: no attachment
	docxText  string
	docxName  string
	cp1250    bool
	messageID string
}

// next makes the i-th message (0-based): every third in windows-1250
// quoted-printable, the others UTF-8 base64; every fourth with a DOCX.
func (g *generator) next(i int) *minutes {
	m := &minutes{from: g.person(), cp1250: i%3 == 0}
	// Dates spread over 2020–2027, during office hours in Prague.
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, g.prague)
	day := start.AddDate(0, 0, g.rng.IntN(8*365))
	m.date = time.Date(day.Year(), day.Month(), day.Day(), 8+g.rng.IntN(9), g.rng.IntN(60), g.rng.IntN(60), 0, g.prague)
	meeting := m.date.AddDate(0, 0, -1-g.rng.IntN(5))
	skupina := g.pick(skupiny)
	m.subject = fmt.Sprintf("Zápis z jednání %s %s", skupina, czDate(meeting))
	if g.rng.IntN(5) == 0 {
		m.subject = "RE: " + m.subject
	}
	m.messageID = fmt.Sprintf("mailbench-%06d.%08x@%s", i, g.rng.Uint32(), senderDomain)

	target := 5000 + g.rng.IntN(3000) // bytes of UTF-8 body text
	var b strings.Builder
	fmt.Fprintf(&b, "Dobrý den,\r\n\r\nv příloze i níže zasílám zápis z jednání %s, které se konalo %s v %s.\r\n\r\n",
		skupina, czDate(meeting), g.pick(mesta))
	fmt.Fprintf(&b, "Zápis z jednání %s\r\nDatum: %s\r\nMísto: Krajský úřad %s\r\nPřítomni: ", skupina, czDate(meeting), g.pick(kraje))
	for k, n := 0, 4+g.rng.IntN(6); k < n; k++ {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString(g.person().name)
	}
	b.WriteString("\r\n\r\n")
	// Four of the ten agenda topics, so each topic word is in about 40 %
	// of the mails; each gets its share of the target size, its own
	// sentences mixed with general discussion.
	const perMail = 4
	budget := (target - b.Len()) / perMail
	for n, ti := range g.rng.Perm(len(topics))[:perMail] {
		t := topics[ti]
		fmt.Fprintf(&b, "%d. %s\r\n", n+1, t.heading)
		end := b.Len() + budget
		sents := g.rng.Perm(len(t.sentences))
		for k := 0; b.Len() < end; k++ {
			if k > 0 {
				b.WriteString(" ")
			}
			if k < len(sents) && (k < 2 || g.rng.IntN(2) == 0) {
				b.WriteString(g.fill(t.sentences[sents[k]], meeting))
			} else {
				b.WriteString(g.fill(g.pick(discussion), meeting))
			}
		}
		b.WriteString("\r\n\r\n")
	}
	fmt.Fprintf(&b, "Zapsal(a): %s\r\nOvěřil(a): %s\r\n\r\nS pozdravem\r\n%s\r\nkrajský protidrogový koordinátor\r\n",
		g.person().name, g.person().name, m.from.name)
	m.body = wrap(b.String(), 76)

	if i%4 == 0 {
		var paras []string
		paras = append(paras, "Zápis z jednání "+skupina, "Datum: "+czDate(meeting))
		for _, si := range g.rng.Perm(len(docxSentences))[:4] {
			paras = append(paras, g.fill(docxSentences[si], meeting))
		}
		paras = append(paras, "Zapsal: "+m.from.name)
		m.docx = docx(paras)
		m.docxText = strings.Join(paras, "\n")
		m.docxName = fmt.Sprintf("Zápis z jednání %s.docx", czDate(meeting))
	}
	return m
}

// wrap breaks lines longer than width at spaces, keeping CRLF endings.
func wrap(s string, width int) string {
	var out strings.Builder
	for line := range strings.SplitSeq(s, "\r\n") {
		for len([]rune(line)) > width {
			r := []rune(line)
			cut := strings.LastIndex(string(r[:width]), " ")
			if cut <= 0 {
				break
			}
			out.WriteString(line[:cut])
			out.WriteString("\r\n")
			line = line[cut+1:]
		}
		out.WriteString(line)
		out.WriteString("\r\n")
	}
	return strings.TrimSuffix(out.String(), "\r\n")
}

// encode renders the message as RFC 5322 bytes with CRLF line endings. The
// returned slice is reused by the next call.
func (g *generator) encode(m *minutes) ([]byte, error) {
	b := &g.buf
	b.Reset()
	charset := "utf-8"
	enc := func(s string) (string, error) { return s, nil }
	if m.cp1250 {
		charset = "windows-1250"
		enc = func(s string) (string, error) { return charmap.Windows1250.NewEncoder().String(s) }
	}
	word := func(s string) (string, error) {
		e, err := enc(s)
		if err != nil {
			return "", err
		}
		return mime.QEncoding.Encode(charset, e), nil
	}
	name, err := word(m.from.name)
	if err != nil {
		return nil, err
	}
	subject, err := word(m.subject)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b, "Return-Path: <%s@%s>\r\n", m.from.local, senderDomain)
	fmt.Fprintf(b, "Received: from mail.%s (mail.%s [192.0.2.25])\r\n\tby mx.koordinace.example.cz with ESMTPS; %s\r\n",
		senderDomain, senderDomain, m.date.Add(7*time.Second).Format(time.RFC1123Z))
	fmt.Fprintf(b, "From: %s <%s@%s>\r\n", name, m.from.local, senderDomain)
	fmt.Fprintf(b, "To: =?utf-8?q?Archiv_z=C3=A1pis=C5=AF?= <archiv@koordinace.example.cz>\r\n")
	fmt.Fprintf(b, "Subject: %s\r\n", subject)
	fmt.Fprintf(b, "Date: %s\r\n", m.date.Format(time.RFC1123Z))
	fmt.Fprintf(b, "Message-ID: <%s>\r\n", m.messageID)
	b.WriteString("MIME-Version: 1.0\r\nContent-Language: cs\r\n")
	if m.cp1250 {
		b.WriteString("X-Mailer: Microsoft Outlook 16.0\r\n")
	}

	boundary := ""
	if m.docx != nil {
		boundary = fmt.Sprintf("----=_NextPart_%08x", g.rng.Uint32())
		fmt.Fprintf(b, "Content-Type: multipart/mixed;\r\n\tboundary=\"%s\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n--%s\r\n", boundary, boundary)
	}
	body, err := enc(m.body)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b, "Content-Type: text/plain; charset=\"%s\"\r\n", charset)
	if m.cp1250 {
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
		qp := quotedprintable.NewWriter(b)
		if _, err := qp.Write([]byte(body)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
		b.WriteString("\r\n")
	} else {
		b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
		writeBase64(b, []byte(body))
	}
	if m.docx != nil {
		const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		fn := rfc2231(m.docxName)
		fmt.Fprintf(b, "\r\n--%s\r\nContent-Type: %s;\r\n\tname*=%s\r\nContent-Transfer-Encoding: base64\r\n"+
			"Content-Disposition: attachment;\r\n\tfilename*=%s\r\n\r\n", boundary, docxType, fn, fn)
		writeBase64(b, m.docx)
		fmt.Fprintf(b, "\r\n--%s--\r\n", boundary)
	}
	return b.Bytes(), nil
}

// rfc2231 encodes a parameter value the RFC 2231 way: the charset utf-8,
// an empty language and the percent-encoded bytes.
func rfc2231(s string) string {
	e := url.PathEscape(s)
	// PathEscape leaves some characters RFC 2231's attribute-char excludes.
	e = strings.NewReplacer("'", "%27", "(", "%28", ")", "%29", "*", "%2A", ",", "%2C", ";", "%3B",
		":", "%3A", "=", "%3D", "@", "%40", "&", "%26", "+", "%2B", "$", "%24").Replace(e)
	return "utf-8''" + e
}

// writeBase64 writes data base64-encoded in lines of 76 characters.
func writeBase64(b *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
}

// docx builds a minimal valid Word document holding the paragraphs.
func docx(paras []string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, content string) {
		w, err := zw.Create(name)
		if err != nil {
			panic(err) // writing to a bytes.Buffer does not fail
		}
		w.Write([]byte(content))
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`+
		`<Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>`+
		`</Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>`+
		`</Relationships>`)
	var doc strings.Builder
	doc.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	for _, p := range paras {
		doc.WriteString(`<w:p><w:r><w:t xml:space="preserve">`)
		xmlEscape(&doc, p)
		doc.WriteString(`</w:t></w:r></w:p>`)
	}
	doc.WriteString(`<w:sectPr/></w:body></w:document>`)
	add("word/document.xml", doc.String())
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func xmlEscape(b *strings.Builder, s string) {
	strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").WriteString(b, s)
}

// words returns the lower-cased words of s.
func words(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out[strings.ToLower(w)] = true
	}
	return out
}

// count adds the message to the statistics.
func (st *genStats) count(m *minutes, size int) {
	st.Messages++
	st.Bytes += int64(size)
	if m.docx != nil {
		st.WithDOCX++
	}
	if m.cp1250 {
		st.CP1250++
	}
	if st.WordBody == nil {
		st.WordBody, st.WordAll = map[string]int{}, map[string]int{}
	}
	bw := words(m.subject + "\n" + m.body)
	dw := words(m.docxText)
	for _, w := range trackedWords {
		if bw[w] {
			st.WordBody[w]++
		}
		if bw[w] || dw[w] {
			st.WordAll[w]++
		}
	}
}
