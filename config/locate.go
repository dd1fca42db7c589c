package config

import (
	"strconv"
	"strings"
)

// BurntSushi/toml does not expose where a key is defined (and for arrays of
// tables it does not keep one position per element), so error lines come
// from this small scanner. It runs only on text that toml has already
// parsed successfully, maps every key path it meets ("groups[1].time_zone",
// "mail.allowed_senders[2]") to the line it starts on, and gives up quietly
// (leaving the remaining keys without a line) on anything it does not
// understand.

// maxLocateDepth bounds the nesting of arrays and inline tables.
const maxLocateDepth = 64

// locator is the state of one scan.
type locator struct {
	src   string
	i     int
	line  int
	depth int
	bad   bool
	lines map[string]int // key path -> first line
	aot   map[string]int // array-of-tables path -> elements seen
}

// locate returns the line on which each key path of the TOML text src is
// first defined.
func locate(src string) map[string]int {
	l := &locator{
		src:   strings.TrimPrefix(src, "\ufeff"),
		line:  1,
		lines: make(map[string]int),
		aot:   make(map[string]int),
	}
	table := ""
	for !l.bad {
		l.skipBlank(true)
		if l.eof() {
			break
		}
		start := l.i
		if l.peek() == '[' {
			table = l.header()
		} else {
			l.keyval(table)
		}
		if l.i == start {
			break
		}
	}
	return l.lines
}

// joinKey appends the key segment seg to the path parent.
func joinKey(parent, seg string) string {
	seg = quoteKey(seg)
	if parent == "" {
		return seg
	}
	return parent + "." + seg
}

// indexKey appends an array index to the path parent.
func indexKey(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// quoteKey returns seg as written in a key path: bare if it can be, quoted
// otherwise.
func quoteKey(seg string) string {
	if seg == "" {
		return `""`
	}
	for i := 0; i < len(seg); i++ {
		if !isBare(seg[i]) {
			return strconv.Quote(seg)
		}
	}
	return seg
}

// isBare reports whether c may appear in a bare TOML key.
func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func (l *locator) eof() bool { return l.i >= len(l.src) }

// peek returns the current byte, or 0 at the end.
func (l *locator) peek() byte {
	if l.eof() {
		return 0
	}
	return l.src[l.i]
}

func (l *locator) record(path string, line int) {
	if _, ok := l.lines[path]; !ok {
		l.lines[path] = line
	}
}

// skipBlank skips spaces, tabs, comments and, if newlines is true, line
// breaks.
func (l *locator) skipBlank(newlines bool) {
	for !l.eof() {
		switch c := l.src[l.i]; {
		case c == ' ' || c == '\t' || c == '\r':
			l.i++
		case c == '\n' && newlines:
			l.i++
			l.line++
		case c == '#':
			for !l.eof() && l.src[l.i] != '\n' {
				l.i++
			}
		default:
			return
		}
	}
}

// header scans a [table] or [[array]] header and returns the path of the
// table it opens.
func (l *locator) header() string {
	line := l.line
	l.i++ // '['
	array := l.peek() == '['
	if array {
		l.i++
	}
	segs := l.key()
	l.skipBlank(false)
	for n := 0; n < 1 || array && n < 2; n++ {
		if l.bad || l.peek() != ']' {
			l.bad = true
			return ""
		}
		l.i++
	}
	path := ""
	for j, seg := range segs {
		path = joinKey(path, seg)
		if array && j == len(segs)-1 {
			n := l.aot[path]
			l.aot[path] = n + 1
			l.record(path, line)
			path = indexKey(path, n)
		} else if n, ok := l.aot[path]; ok && n > 0 {
			path = indexKey(path, n-1)
		}
		l.record(path, line)
	}
	return path
}

// keyval scans key = value inside the table prefix.
func (l *locator) keyval(prefix string) {
	line := l.line
	segs := l.key()
	l.skipBlank(false)
	if l.bad || l.peek() != '=' {
		l.bad = true
		return
	}
	l.i++
	path := prefix
	for _, seg := range segs {
		path = joinKey(path, seg)
		l.record(path, line)
	}
	l.value(path)
}

// key scans a possibly dotted key and returns its segments.
func (l *locator) key() []string {
	var segs []string
	for {
		l.skipBlank(false)
		start := l.i
		switch c := l.peek(); {
		case c == '"':
			l.str()
			raw := l.src[start:min(l.i, len(l.src))]
			s, err := strconv.Unquote(raw)
			if err != nil && len(raw) >= 2 {
				s = raw[1 : len(raw)-1]
			}
			segs = append(segs, s)
		case c == '\'':
			l.str()
			if l.i-start >= 2 && l.i <= len(l.src) {
				segs = append(segs, l.src[start+1:l.i-1])
			}
		case isBare(c):
			for !l.eof() && isBare(l.src[l.i]) {
				l.i++
			}
			segs = append(segs, l.src[start:l.i])
		default:
			l.bad = true
		}
		if l.bad {
			return segs
		}
		l.skipBlank(false)
		if l.peek() != '.' {
			return segs
		}
		l.i++
	}
}

// value scans the value of the key path.
func (l *locator) value(path string) {
	l.skipBlank(false)
	if l.eof() || l.depth >= maxLocateDepth {
		l.bad = true
		return
	}
	l.depth++
	defer func() { l.depth-- }()
	switch l.peek() {
	case '"', '\'':
		l.str()
	case '[':
		l.i++
		for idx := 0; ; idx++ {
			l.skipBlank(true)
			if l.eof() {
				l.bad = true
				return
			}
			if l.peek() == ']' {
				l.i++
				return
			}
			elem := indexKey(path, idx)
			l.record(elem, l.line)
			l.value(elem)
			l.skipBlank(true)
			switch {
			case l.bad:
				return
			case l.peek() == ',':
				l.i++
			case l.peek() == ']':
				l.i++
				return
			default:
				l.bad = true
				return
			}
		}
	case '{':
		l.i++
		for {
			l.skipBlank(true)
			if l.eof() {
				l.bad = true
				return
			}
			if l.peek() == '}' {
				l.i++
				return
			}
			l.keyval(path)
			l.skipBlank(true)
			switch {
			case l.bad:
				return
			case l.peek() == ',':
				l.i++
			case l.peek() == '}':
				l.i++
				return
			default:
				l.bad = true
				return
			}
		}
	default:
		start := l.i
		for !l.eof() && !strings.ContainsRune(",]}\n\r#", rune(l.src[l.i])) {
			l.i++
		}
		if l.i == start {
			l.bad = true
		}
	}
}

// str scans a basic or literal string, single- or multi-line, starting at
// its opening quote.
func (l *locator) str() {
	q := l.src[l.i]
	triple := strings.Repeat(string(q), 3)
	if strings.HasPrefix(l.src[l.i:], triple) {
		l.i += 3
		for !l.eof() {
			c := l.src[l.i]
			switch {
			case c == '\\' && q == '"':
				l.i++
				if l.peek() == '\n' {
					l.line++
				}
				l.i++
			case strings.HasPrefix(l.src[l.i:], triple):
				l.i += 3
				// Up to two more quotes belong to the content.
				for n := 0; n < 2 && l.peek() == q; n++ {
					l.i++
				}
				return
			default:
				if c == '\n' {
					l.line++
				}
				l.i++
			}
		}
		l.bad = true
		return
	}
	l.i++
	for !l.eof() {
		c := l.src[l.i]
		switch {
		case c == '\n':
			l.bad = true
			return
		case c == '\\' && q == '"':
			l.i += 2
		case c == q:
			l.i++
			return
		default:
			l.i++
		}
	}
	l.bad = true
}
