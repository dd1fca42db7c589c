package mail

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText converts HTML to readable plain text: script, style, head and
// similar non-content elements are dropped, entities are decoded (the
// tokenizer knows the full HTML5 entity table), block elements become line
// breaks and paragraphs are separated by blank lines. Whitespace is
// collapsed except inside <pre>.
func htmlToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var w textWriter
	skip := 0 // depth inside elements whose content is not text
	pre := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return normalizeText(w.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			if pre > 0 {
				w.raw(t)
			} else {
				w.text(t)
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			start := tt != html.EndTagToken
			if a == atom.Body && start {
				skip = 0 // an unclosed <head> ends where <body> starts
			}
			if skipElement(a) {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch a {
			case atom.Br:
				w.newline()
			case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
				atom.Blockquote, atom.Table, atom.Ul, atom.Ol, atom.Dl, atom.Hr,
				atom.Section, atom.Article, atom.Header, atom.Footer, atom.Address,
				atom.Figure, atom.Fieldset, atom.Form, atom.Main, atom.Nav, atom.Aside:
				w.paragraph()
			case atom.Pre:
				w.paragraph()
				if tt == html.StartTagToken {
					pre++
				} else if tt == html.EndTagToken && pre > 0 {
					pre--
				}
			case atom.Div, atom.Tr, atom.Dt, atom.Dd, atom.Caption, atom.Center, atom.Body, atom.Html:
				w.newline()
			case atom.Li:
				w.newline()
				if start {
					w.raw("- ")
				}
			case atom.Td, atom.Th:
				if start {
					w.tab()
				}
			case atom.Img:
				if alt, ok := attr(z, "alt"); ok && start && strings.TrimSpace(alt) != "" {
					w.text(" " + alt + " ")
				}
			}
		}
	}
}

// attr returns the value of attribute key of the current tag.
func attr(z *html.Tokenizer, key string) (string, bool) {
	for i := 0; i < 100; i++ {
		k, v, more := z.TagAttr()
		if string(k) == key {
			return string(v), true
		}
		if !more {
			break
		}
	}
	return "", false
}

// skipElement reports elements whose content is never readable text.
func skipElement(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript,
		atom.Template, atom.Svg, atom.Math, atom.Object, atom.Iframe, atom.Select, atom.Canvas:
		return true
	}
	return false
}

// textWriter accumulates text with collapsed whitespace and tracks pending
// line breaks so that block boundaries never produce more than one blank
// line.
type textWriter struct {
	b        strings.Builder
	space    bool // a space is pending
	newlines int  // pending line breaks (max 2)
}

// String returns the text written so far.
func (w *textWriter) String() string { return w.b.String() }

// flush writes pending separators before new text.
func (w *textWriter) flush() {
	if w.b.Len() == 0 {
		w.space, w.newlines = false, 0
		return
	}
	if w.newlines > 0 {
		w.b.WriteString(strings.Repeat("\n", w.newlines))
	} else if w.space {
		w.b.WriteByte(' ')
	}
	w.space, w.newlines = false, 0
}

// text writes t collapsing whitespace.
func (w *textWriter) text(t string) {
	for _, r := range t {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\u00a0', '\u2007', '\u202f':
			w.space = true
			continue
		case '\u200b', '\u200c', '\u200d', '\ufeff', '\u00ad', 0:
			continue
		}
		w.flush()
		w.b.WriteRune(r)
	}
}

// raw writes t keeping its whitespace (for <pre>).
func (w *textWriter) raw(t string) {
	if t == "" {
		return
	}
	w.flush()
	w.b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "\r\n", "\n"), "\u00a0", " "))
}

// newline requests a line break.
func (w *textWriter) newline() {
	if w.newlines < 1 {
		w.newlines = 1
	}
}

// paragraph requests a blank line.
func (w *textWriter) paragraph() { w.newlines = 2 }

// tab separates table cells.
func (w *textWriter) tab() {
	if w.newlines == 0 && w.b.Len() > 0 {
		w.flush()
		w.b.WriteByte('\t')
	}
}

// normalizeText makes extracted text tidy and safe: valid UTF-8, LF line
// ends, no NUL bytes, no trailing spaces, at most one blank line in a row,
// no leading or trailing blank lines.
func normalizeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.ContainsRune(s, 0) {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if strings.Contains(s, "\r") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	var b strings.Builder
	b.Grow(len(s))
	blank := 0
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimRight(line, " \t\u00a0")
		if strings.TrimSpace(line) == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			if blank > 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.WriteString(line)
	}
	return b.String()
}
