package mail

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
)

// mimeHeader is a header read by go-message's textproto.ReadHeader. Keys
// are looked up case-insensitively; values are unfolded and may hold raw
// bytes that are not UTF-8.
type mimeHeader struct {
	h textproto.Header
}

// get returns the first value of key, or "".
func (h mimeHeader) get(key string) string {
	return h.h.Get(key)
}

// has reports whether key is present.
func (h mimeHeader) has(key string) bool {
	return h.h.Has(key)
}

// values returns all values of key, in their order.
func (h mimeHeader) values(key string) []string {
	return h.h.Values(key)
}

// Caps on header size: fields kept per entity and bytes kept per field.
const (
	maxHeaderFields = 2000
	maxHeaderValue  = 64 << 10
)

// splitHeader splits raw into a header and a body. It never fails; what was
// wrong goes to the problems.
//
// textproto.ReadHeader stops at the first line that is not a field (see
// doc.go), so the header block is repaired first, line by line: an mbox
// "From " line is skipped, a line that is not a field is joined to the
// field before it, LF or CRLF ends are accepted, fields over
// maxHeaderFields and bytes over maxHeaderValue per field are dropped.
// Input that does not start with a field has no header: all of it is body.
func splitHeader(raw []byte) (mimeHeader, []byte, []Problem) {
	var (
		block    []byte // the repaired header block, "\n" line ends
		problems []Problem
		badLines int
		fields   int
		valueLen int  // bytes of the current field
		open     bool // a field is being collected
		dropped  bool
		body     []byte
		ended    bool // a blank line ended the header
	)
	// add appends b to the current field as a line of its own; ReadHeader
	// unfolds it (b starts with white space, or is a field's first line).
	add := func(b []byte) {
		if !open {
			return
		}
		if room := maxHeaderValue - valueLen; room < len(b) {
			b = b[:max(room, 0)]
			dropped = true
		}
		if len(b) == 0 {
			return
		}
		valueLen += len(b)
		block = append(block, b...)
		block = append(block, '\n')
	}
	rest := raw
	first := true
	for len(rest) > 0 {
		line, next := nextLine(rest)
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(trimmed)) == 0 {
			// Blank line: end of header. A header that starts with a blank
			// line has no fields at all.
			body, ended = next, true
			break
		}
		rest = next
		if first && bytes.HasPrefix(trimmed, []byte("From ")) {
			first = false
			continue
		}
		if trimmed[0] == ' ' || trimmed[0] == '\t' {
			add(trimmed)
			first = false
			continue
		}
		colon := bytes.IndexByte(trimmed, ':')
		key := ""
		if colon > 0 {
			key = string(bytes.TrimRight(trimmed[:colon], " \t"))
		}
		if !validHeaderKey(key) {
			if first {
				// Not a header at all: the whole input is body text.
				return mimeHeader{}, raw, []Problem{{ProblemNoHeader, "no header found, message read as text"}}
			}
			badLines++
			add(append([]byte{' '}, trimmed...))
			continue
		}
		first = false
		if fields >= maxHeaderFields {
			open = false
			dropped = true
			continue
		}
		fields++
		open, valueLen = true, 0
		add(trimmed)
	}
	var h textproto.Header
	var err error
	if len(block) > 0 {
		// A buffer no bigger than the block: most headers are small.
		h, err = textproto.ReadHeader(bufio.NewReaderSize(bytes.NewReader(block), min(len(block), 4096)))
	}
	if err != nil {
		// Not expected after the repair; keep the fields read so far.
		problems = append(problems, Problem{ProblemMalformedHeader, "header could not be read whole: " + err.Error()})
	}
	if badLines > 0 {
		problems = append(problems, Problem{ProblemMalformedHeader, "malformed header lines joined to the previous field"})
	}
	if dropped {
		problems = append(problems, Problem{ProblemLimitReached, "oversized header truncated"})
	}
	if !ended && fields > 0 {
		problems = append(problems, Problem{ProblemNoBody, "header not followed by a body"})
	}
	return mimeHeader{h: h}, body, problems
}

// nextLine returns the first line of b including its line end, and the rest.
func nextLine(b []byte) ([]byte, []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1], b[i+1:]
	}
	return b, nil
}

// validHeaderKey reports whether k is a plausible RFC 5322 field name.
func validHeaderKey(k string) bool {
	if k == "" || len(k) > 200 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// DecodeHeader decodes an RFC 2047 header value (subjects, display names)
// to UTF-8. Encoded words in unknown or lying charsets are guessed rather
// than rejected, adjacent encoded words are joined before decoding (so a
// character split between two words survives), and raw 8-bit bytes that are
// not valid UTF-8 are decoded as windows-1250 (or ISO-8859-2 when that fits
// the Czech text better). The result is always valid UTF-8.
func DecodeHeader(s string) string {
	out, _ := decodeHeaderNotes(s)
	return out
}

// decodeHeaderNotes is DecodeHeader that also returns what was guessed.
func decodeHeaderNotes(s string) (string, []Problem) {
	var notes []Problem
	if !utf8.ValidString(s) {
		d, guess := guessCharset([]byte(s))
		s = d
		notes = append(notes, Problem{ProblemRawHeaderBytes, "raw 8-bit bytes in header, guessed " + guess})
	}
	if !strings.Contains(s, "=?") {
		return s, notes
	}
	var (
		out      strings.Builder
		pending  []byte // bytes of adjacent encoded words in pendCS
		pendCS   string
		lastWord bool
	)
	flush := func() {
		if pendCS == "" {
			return
		}
		d, note := decodeText(pending, pendCS)
		if note.Kind != 0 {
			note.Detail = "header: " + note.Detail
			notes = append(notes, note)
		}
		out.WriteString(d)
		pending, pendCS = pending[:0], ""
	}
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			break
		}
		j += i
		cs, data, end, ok := parseEncodedWord(s, j)
		if !ok {
			// Not an encoded word: copy through "=?" and go on.
			flush()
			out.WriteString(s[i : j+2])
			i = j + 2
			lastWord = false
			continue
		}
		if between := s[i:j]; !lastWord || strings.TrimSpace(between) != "" {
			flush()
			out.WriteString(between)
		} // whitespace between adjacent encoded words is dropped
		if pendCS != cs {
			flush()
		}
		pendCS = cs
		pending = append(pending, data...)
		i = end
		lastWord = true
	}
	flush()
	out.WriteString(s[i:])
	return strings.ToValidUTF8(out.String(), "\uFFFD"), notes
}

// maxEncodedWord bounds the search for the end of an encoded word (RFC 2047
// allows 75 characters; broken mailers write longer ones).
const maxEncodedWord = 4096

// parseEncodedWord parses "=?charset?enc?text?=" at s[start:]. It returns
// the normalized charset, the decoded bytes, and the index after "?=".
func parseEncodedWord(s string, start int) (cs string, data []byte, end int, ok bool) {
	rest := s[start+2:]
	q1 := strings.IndexByte(rest, '?')
	if q1 <= 0 || q1 > 64 {
		return "", nil, 0, false
	}
	label := rest[:q1]
	rest = rest[q1+1:]
	if len(rest) < 2 || rest[1] != '?' {
		return "", nil, 0, false
	}
	enc := rest[0] | 0x20
	rest = rest[2:]
	window := rest
	if len(window) > maxEncodedWord {
		window = window[:maxEncodedWord]
	}
	e := strings.Index(window, "?=")
	if e < 0 {
		return "", nil, 0, false
	}
	text := rest[:e]
	if strings.ContainsAny(text, " \t\r\n") && enc == 'b' {
		text = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, text)
	}
	switch enc {
	case 'b':
		data, _ = decodeBase64Lenient([]byte(text))
	case 'q':
		data = decodeQEncoding(text)
	default:
		return "", nil, 0, false
	}
	cs = normalizeCharset(label)
	if cs == "" {
		cs = "us-ascii"
	}
	return cs, data, start + 2 + q1 + 1 + 2 + e + 2, true
}

// decodeQEncoding decodes the RFC 2047 "Q" encoding leniently.
func decodeQEncoding(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			b = append(b, ' ')
		case c == '=' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			b = append(b, hexValue(s[i+1])<<4|hexValue(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return b
}

// isHex reports whether c is a hexadecimal digit.
func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unhex returns the value of the hexadecimal digit c.
func hexValue(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// decodeBase64Lenient decodes base64 ignoring whitespace and line breaks,
// accepting the URL alphabet, missing padding and concatenated padded
// blocks. It keeps whatever decodes and reports whether anything was wrong.
func decodeBase64Lenient(src []byte) ([]byte, bool) {
	clean := make([]byte, 0, len(src))
	damaged := false
	var out []byte
	decodeClean := func() {
		if len(clean) == 0 {
			return
		}
		switch len(clean) % 4 {
		case 1:
			clean = clean[:len(clean)-1]
			damaged = true
		case 2:
			clean = append(clean, '=', '=')
		case 3:
			clean = append(clean, '=')
		}
		dst := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(dst, clean)
		if err != nil {
			damaged = true
		}
		out = append(out, dst[:n]...)
		clean = clean[:0]
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		case c == '=':
			// Padding ends a block; a later block may follow.
			for i+1 < len(src) && (src[i+1] == '=' || src[i+1] == '\r' || src[i+1] == '\n' || src[i+1] == ' ' || src[i+1] == '\t') {
				i++
			}
			decodeClean()
		case c == ' ', c == '\t', c == '\r', c == '\n':
		default:
			damaged = true
		}
	}
	decodeClean()
	if out == nil {
		out = []byte{}
	}
	return out, damaged
}

// foldSpace collapses runs of whitespace (including folded line breaks) to
// single spaces and trims the ends.
func foldSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == 0 {
			space = true
			continue
		}
		if unicode.IsControl(r) {
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// mediaParams parses a Content-Type or Content-Disposition value leniently:
// unquoted values with spaces, missing quotes, RFC 2231 continuations and
// charsets (any charset, e.g. windows-1250), and RFC 2047 encoded words
// inside quoted values are all accepted. Parameter names are lower-case.
func mediaParams(v string) (string, map[string]string) {
	v = strings.TrimSpace(v)
	semi := strings.IndexByte(v, ';')
	value := v
	rest := ""
	if semi >= 0 {
		value, rest = v[:semi], v[semi+1:]
	}
	value = strings.ToLower(strings.TrimSpace(stripComments(value)))
	params := map[string]string{}
	type part struct {
		val     string
		encoded bool
	}
	cont := map[string]map[int]part{}
	for rest != "" {
		rest = strings.TrimLeft(rest, " \t\r\n;")
		if rest == "" {
			break
		}
		eq := strings.IndexByte(rest, '=')
		semi := strings.IndexByte(rest, ';')
		if eq < 0 || (semi >= 0 && semi < eq) {
			// A token without a value: skip it.
			if semi < 0 {
				break
			}
			rest = rest[semi+1:]
			continue
		}
		name := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t\r\n")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			closed := false
			for ; i < len(rest); i++ {
				c := rest[i]
				if c == '\\' && i+1 < len(rest) {
					i++
					b.WriteByte(rest[i])
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(c)
			}
			val = b.String()
			rest = rest[i:]
			if !closed {
				rest = ""
			}
			if j := strings.IndexByte(rest, ';'); j >= 0 {
				rest = rest[j:]
			} else {
				rest = ""
			}
		} else {
			j := strings.IndexByte(rest, ';')
			if j < 0 {
				j = len(rest)
			}
			val = strings.TrimSpace(rest[:j])
			rest = rest[j:]
		}
		if name == "" {
			continue
		}
		// RFC 2231: name*, name*0, name*0*, name*1 ...
		if star := strings.IndexByte(name, '*'); star >= 0 {
			base := name[:star]
			suffix := name[star+1:]
			encoded := strings.HasSuffix(suffix, "*") || suffix == ""
			suffix = strings.TrimSuffix(suffix, "*")
			idx := 0
			if suffix != "" {
				n, ok := atoiSmall(suffix)
				if !ok {
					continue
				}
				idx = n
			}
			if cont[base] == nil {
				cont[base] = map[int]part{}
			}
			if _, dup := cont[base][idx]; !dup && len(cont[base]) < 1000 {
				cont[base][idx] = part{val, encoded}
			}
			continue
		}
		if _, dup := params[name]; !dup {
			params[name] = val
		}
	}
	for base, parts := range cont {
		var raw []byte
		label := ""
		for i := 0; i < len(parts); i++ {
			p, ok := parts[i]
			if !ok {
				break
			}
			val := p.val
			if p.encoded {
				if i == 0 {
					// charset'language'value
					if a := strings.IndexByte(val, '\''); a >= 0 {
						if b := strings.IndexByte(val[a+1:], '\''); b >= 0 {
							label = val[:a]
							val = val[a+1+b+1:]
						}
					}
				}
				raw = append(raw, percentDecode(val)...)
			} else {
				raw = append(raw, val...)
			}
		}
		if len(raw) == 0 && len(parts) == 0 {
			continue
		}
		s, _ := decodeText(raw, label)
		params[base] = s // RFC 2231 wins over a plain parameter
	}
	return value, params
}

// stripComments removes RFC 5322 (comments) from a structured value.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth := 0
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (quoted || depth > 0):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
			continue
		case c == '"' && depth == 0:
			quoted = !quoted
		case c == '(' && !quoted:
			depth++
			continue
		case c == ')' && !quoted && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
			continue
		}
		if depth == 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// atoiSmall parses a small non-negative decimal number.
func atoiSmall(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// percentDecode undoes RFC 2231 %XX escapes; invalid escapes stay literal.
func percentDecode(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			b = append(b, hexValue(s[i+1])<<4|hexValue(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return b
}

// parseMsgIDs returns the message ids in v without angle brackets. Ids
// without brackets are accepted when nothing bracketed is present.
func parseMsgIDs(v string) []string {
	v = stripComments(v)
	var ids []string
	rest := v
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i+1:], '>')
		if j < 0 {
			break
		}
		if id := cleanMsgID(rest[i+1 : i+1+j]); id != "" {
			ids = append(ids, id)
		}
		rest = rest[i+1+j+1:]
	}
	if len(ids) > 0 {
		return ids
	}
	for _, f := range strings.Fields(v) {
		f = strings.Trim(f, "<>,;")
		if strings.Contains(f, "@") {
			if id := cleanMsgID(f); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// cleanMsgID trims an id and rejects unusable ones (empty, with spaces or
// control characters, or absurdly long).
func cleanMsgID(id string) string {
	id = strings.TrimSpace(id)
	if id == "" || len(id) > 995 || !utf8.ValidString(id) {
		return ""
	}
	for _, r := range id {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' {
			return ""
		}
	}
	return id
}
