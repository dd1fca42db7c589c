package mail

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// maxDecodedText bounds the output of a charset conversion through a generic
// (go-message) decoder, so that a hostile multi-byte charset cannot blow up.
const maxDecodedText = 256 << 20

// charsetQuirks maps the labels that golang.org/x/text/encoding/htmlindex
// gets wrong for mail, or does not know, to the name the parser uses:
//   - the us-ascii family: htmlindex follows the WHATWG Encoding Standard
//     and reads them as windows-1252, which would decode a mislabelled
//     windows-1250 text without a note;
//   - misspellings of the Czech charsets that real mail carries and
//     htmlindex lacks (it knows "cp1250", "x-cp1250", "iso8859-2", "latin2").
var charsetQuirks = map[string]string{
	"us-ascii": "us-ascii", "ascii": "us-ascii", "ansi_x3.4-1968": "us-ascii", "ansi_x3.4-1986": "us-ascii",
	"iso646-us": "us-ascii", "us": "us-ascii", "csascii": "us-ascii", "iso-ir-6": "us-ascii",
	"x-utf-8":   "utf-8",
	"iso8859_2": "iso-8859-2", "iso_8859_2": "iso-8859-2", "iso-8859_2": "iso-8859-2", "latin-2": "iso-8859-2", "iso-88592": "iso-8859-2",
	"cp-1250": "windows-1250", "win-1250": "windows-1250", "win1250": "windows-1250", "windows1250": "windows-1250",
	"windows_1250": "windows-1250", "ms-ee": "windows-1250",
}

// normalizeCharset turns a declared charset label into a lower-case name:
// quotes, whitespace and RFC 2231 language suffixes are dropped, and every
// alias of utf-8, us-ascii, iso-8859-2 and windows-1250 (the charsets
// decodeText treats itself) becomes that name. Other labels are returned
// cleaned but otherwise as they were, for go-message's charset package.
func normalizeCharset(label string) string {
	l := strings.ToLower(strings.TrimSpace(label))
	l = strings.Trim(l, "\"' \t")
	if i := strings.IndexByte(l, '*'); i >= 0 { // RFC 2231 "utf-8*cs"
		l = l[:i]
	}
	if name, ok := charsetQuirks[l]; ok {
		return name
	}
	if l == "" {
		return ""
	}
	if enc, err := htmlindex.Get(l); err == nil {
		if name, err := htmlindex.Name(enc); err == nil {
			switch name {
			case "utf-8", "iso-8859-2", "windows-1250":
				return name
			}
		}
	}
	return l
}

// legacyCandidates are the single-byte charsets tried when the declared
// charset is unknown or lies. windows-1250 comes first: it wins ties.
var legacyCandidates = [...]struct {
	name string
	enc  *charmap.Charmap
}{
	{"windows-1250", charmap.Windows1250},
	{"iso-8859-2", charmap.ISO8859_2},
}

// czechScore rates how much s looks like Czech (or generally Central
// European) text: Czech letters count up, control characters, replacement
// characters and typical mojibake characters count down.
func czechScore(s string) int {
	score := 0
	for _, r := range s {
		if r < 0x80 {
			if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
				score -= 4
			}
			continue
		}
		switch {
		case strings.ContainsRune("áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ", r):
			score += 2
		case strings.ContainsRune("äöüßôĺľŕąęłńśźżÄÖÜÔĹĽŔĄĘŁŃŚŹŻ„“‚‘–—…", r):
			score++
		case r == utf8.RuneError, r >= 0x80 && r < 0xA0, r < 0x20 && r != '\n' && r != '\r' && r != '\t':
			score -= 4
		case strings.ContainsRune("ĂÂăâ˘˙ˇ¤¦§¨©«¬®°±´µ¶·¸»Ĺ", r):
			score -= 2
		}
	}
	return score
}

// guessLegacy decodes b with the legacy candidate that scores best.
func guessLegacy(b []byte) (string, string) {
	best, bestName, bestScore := "", "", 0
	for i, c := range legacyCandidates {
		s := decodeCharmap(c.enc, b)
		sc := czechScore(s)
		if i == 0 || sc > bestScore {
			best, bestName, bestScore = s, c.name, sc
		}
	}
	return best, bestName
}

// guessCharset decodes b when its charset is not known: valid UTF-8 stays
// UTF-8, everything else is decoded by guessLegacy.
func guessCharset(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), "utf-8"
	}
	if mostlyUTF8(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD"), "utf-8"
	}
	return guessLegacy(b)
}

// mostlyUTF8 reports whether b holds more valid multi-byte UTF-8 sequences
// than invalid bytes, i.e. it is UTF-8 with a few broken bytes.
func mostlyUTF8(b []byte) bool {
	good, bad := 0, 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			bad++
			i++
			continue
		}
		good++
		i += n
	}
	return good > 0 && good > 2*bad
}

// hasMultibyteUTF8 reports whether b is valid UTF-8 with at least one
// non-ASCII character.
func hasMultibyteUTF8(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// isASCII reports whether b has no byte above 0x7f.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// decodeCharmap decodes single-byte text. Charmap decoders never fail.
func decodeCharmap(cm *charmap.Charmap, b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for _, c := range b {
		if c < utf8.RuneSelf {
			sb.WriteByte(c)
			continue
		}
		sb.WriteRune(cm.DecodeByte(c))
	}
	return sb.String()
}

// readCapped reads r up to maxDecodedText bytes.
func readCapped(r io.Reader) (string, error) {
	var sb strings.Builder
	_, err := io.Copy(&sb, io.LimitReader(r, maxDecodedText))
	return sb.String(), err
}

// decodeText converts b, declared to be in charset label, to valid UTF-8.
// It never fails: an unknown or lying charset is replaced by a guess, and
// the second result then says so (else it is the zero Problem).
func decodeText(b []byte, label string) (string, Problem) {
	cs := normalizeCharset(label)
	switch cs {
	case "", "us-ascii":
		if isASCII(b) {
			return string(b), Problem{}
		}
		s, guess := guessCharset(b)
		if cs == "" {
			if guess == "utf-8" && utf8.Valid(b) {
				return s, Problem{} // undeclared UTF-8 is common and harmless
			}
			return s, Problem{ProblemUndeclaredCharset, "no charset declared for 8-bit text, guessed " + guess}
		}
		return s, Problem{ProblemUndeclaredCharset, "8-bit bytes in us-ascii text, guessed " + guess}
	case "utf-8":
		if utf8.Valid(b) {
			return string(b), Problem{}
		}
		if mostlyUTF8(b) {
			return strings.ToValidUTF8(string(b), "\uFFFD"), Problem{ProblemBadCharset, "invalid UTF-8 bytes replaced"}
		}
		s, guess := guessLegacy(b)
		return s, Problem{ProblemBadCharset, "declared charset utf-8 is not valid UTF-8, guessed " + guess}
	case "windows-1250", "iso-8859-2":
		if isASCII(b) {
			return string(b), Problem{}
		}
		if hasMultibyteUTF8(b) {
			return string(b), Problem{ProblemBadCharset, "declared charset " + cs + " is really UTF-8"}
		}
		cm := charmap.Windows1250
		if cs == "iso-8859-2" {
			cm = charmap.ISO8859_2
		}
		s := decodeCharmap(cm, b)
		if alt, guess := guessLegacy(b); guess != cs && czechScore(alt) > czechScore(s) {
			return alt, Problem{ProblemBadCharset, "declared charset " + cs + " does not fit the text, guessed " + guess}
		}
		return s, Problem{}
	}
	if isASCII(b) && !isMultiByteCharset(cs) {
		return string(b), Problem{}
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil || r == nil {
		s, guess := guessCharset(b)
		return s, Problem{ProblemUnknownCharset, "unknown charset " + quoteLabel(label) + ", guessed " + guess}
	}
	s, err := readCapped(r)
	if err != nil {
		g, guess := guessCharset(b)
		return g, Problem{ProblemUnknownCharset, "charset " + quoteLabel(label) + " could not decode the text, guessed " + guess}
	}
	if !isMultiByteCharset(cs) && hasMultibyteUTF8(b) && czechScore(string(b)) > czechScore(s) {
		return string(b), Problem{ProblemBadCharset, "declared charset " + quoteLabel(label) + " is really UTF-8"}
	}
	return strings.ToValidUTF8(s, "\uFFFD"), Problem{}
}

// isMultiByteCharset reports charsets whose ASCII bytes may not mean ASCII.
func isMultiByteCharset(cs string) bool {
	return strings.HasPrefix(cs, "utf-16") || strings.HasPrefix(cs, "utf-32") ||
		strings.HasPrefix(cs, "ucs") || strings.HasPrefix(cs, "unicode") ||
		strings.HasPrefix(cs, "iso-2022") || strings.HasPrefix(cs, "hz") || cs == "utf-7"
}

// quoteLabel makes a charset label safe to show in a note.
func quoteLabel(label string) string {
	l := strings.ToValidUTF8(strings.TrimSpace(label), "?")
	if len(l) > 40 {
		l = l[:40] + "…"
		l = strings.ToValidUTF8(l, "")
	}
	if l == "" {
		return `""`
	}
	return l
}
