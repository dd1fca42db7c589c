package mail

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/charmap"
)

// maxDecodedText bounds the output of a charset conversion through a generic
// (go-message) decoder, so that a hostile multi-byte charset cannot blow up.
const maxDecodedText = 256 << 20

// normalizeCharset turns a declared charset label into a canonical,
// lower-case name: quotes, whitespace and RFC 2231 language suffixes are
// dropped and the common Czech aliases are unified.
func normalizeCharset(label string) string {
	l := strings.ToLower(strings.TrimSpace(label))
	l = strings.Trim(l, "\"' \t")
	if i := strings.IndexByte(l, '*'); i >= 0 { // RFC 2231 "utf-8*cs"
		l = l[:i]
	}
	switch l {
	case "utf-8", "utf8", "unicode-1-1-utf-8", "x-utf-8", "x-unicode20utf8":
		return "utf-8"
	case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "csascii", "iso-ir-6", "ansi_x3.4-1986":
		return "us-ascii"
	case "iso-8859-2", "iso8859-2", "iso_8859-2", "iso8859_2", "iso_8859_2", "iso-8859_2",
		"latin2", "latin-2", "l2", "iso-ir-101", "csisolatin2", "iso_8859-2:1987", "iso88592", "iso-88592":
		return "iso-8859-2"
	case "windows-1250", "cp1250", "cp-1250", "win-1250", "windows1250", "x-cp1250", "win1250", "ms-ee", "windows_1250":
		return "windows-1250"
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
// the second result is then a human-readable note for Parsed.Problems.
func decodeText(b []byte, label string) (string, string) {
	cs := normalizeCharset(label)
	switch cs {
	case "", "us-ascii":
		if isASCII(b) {
			return string(b), ""
		}
		s, guess := guessCharset(b)
		if cs == "" {
			if guess == "utf-8" && utf8.Valid(b) {
				return s, "" // undeclared UTF-8 is common and harmless
			}
			return s, "no charset declared for 8-bit text, guessed " + guess
		}
		return s, "8-bit bytes in us-ascii text, guessed " + guess
	case "utf-8":
		if utf8.Valid(b) {
			return string(b), ""
		}
		if mostlyUTF8(b) {
			return strings.ToValidUTF8(string(b), "\uFFFD"), "invalid UTF-8 bytes replaced"
		}
		s, guess := guessLegacy(b)
		return s, "declared charset utf-8 is not valid UTF-8, guessed " + guess
	case "windows-1250", "iso-8859-2":
		if isASCII(b) {
			return string(b), ""
		}
		if hasMultibyteUTF8(b) {
			return string(b), "declared charset " + cs + " is really UTF-8"
		}
		cm := charmap.Windows1250
		if cs == "iso-8859-2" {
			cm = charmap.ISO8859_2
		}
		s := decodeCharmap(cm, b)
		if alt, guess := guessLegacy(b); guess != cs && czechScore(alt) > czechScore(s) {
			return alt, "declared charset " + cs + " does not fit the text, guessed " + guess
		}
		return s, ""
	}
	if isASCII(b) && !isMultiByteCharset(cs) {
		return string(b), ""
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil || r == nil {
		s, guess := guessCharset(b)
		return s, "unknown charset " + quoteLabel(label) + ", guessed " + guess
	}
	s, err := readCapped(r)
	if err != nil {
		g, guess := guessCharset(b)
		return g, "charset " + quoteLabel(label) + " could not decode the text, guessed " + guess
	}
	if !isMultiByteCharset(cs) && hasMultibyteUTF8(b) && czechScore(string(b)) > czechScore(s) {
		return string(b), "declared charset " + quoteLabel(label) + " is really UTF-8"
	}
	return strings.ToValidUTF8(s, "\uFFFD"), ""
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
