// Package snippet shows where the words of an archive search occur in a
// found message: a fragment of sixteen words of its best-matching text,
// the words found between [ and ], much as SQLite's FTS5 snippet()
// function makes it for the archive's index (unicode61 tokens, case and
// diacritics folded, a word ending in * matching as a prefix).
//
// FTS5 makes its snippet by tokenizing every column of the message again,
// for every message found; for a word in 10,000 messages that took
// seconds. This package does it in Go on the texts the search reads
// anyway, and stops at the first fragment that holds every word of the
// query (FTS5 scores every fragment and may prefer a later one with a
// word repeated): the window centred on the words, or from the start of
// their sentence, scored as FTS5 scores them.
package snippet

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// How a snippet is written: the marks around a found word, what stands
// for the text left out, and how many words it shows. They are what the
// store asked of FTS5 before (snippet(..., '[', ']', '…', 16)), and what
// the web page and the bot read.
const (
	Open     = "["
	Close    = "]"
	Ellipsis = "…"
	Tokens   = 16
)

// Scores of a fragment, as FTS5 counts them: 1000 for each word of the
// query found in it, 1 for each further occurrence, and a bonus when it
// starts a sentence (more at the start of the text).
const (
	scoreWord        = 1000
	bonusSentence    = 100
	bonusTextStart   = 120
	scoreRepeatedHit = 1
)

// term is one word of a query, folded.
type term struct {
	runes  []rune
	prefix bool
}

// Query is the words to mark. The zero Query marks nothing.
type Query struct {
	terms []term
	// firsts has the first letters of the terms that are ASCII: most
	// tokens are told apart from every term by their first byte.
	firsts [utf8.RuneSelf]bool
	// leads, when every term starts with an ASCII letter or digit (fast),
	// are the bytes a word that folds to one of them can start with: the
	// letter in either case and the first bytes of the Latin letters with
	// diacritics that fold to it. Make skips the text up to the first
	// such word without cutting it into words.
	leads [256]bool
	fast  bool
}

// New reads the words of a full-text query: runs of letters and digits,
// each a word to find; a * right after a word makes it a prefix, as in
// the store's query. Everything else separates words.
func New(text string) Query {
	var q Query
	text = norm.NFC.String(text)
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !isTokenRune(r) {
			i += n
			continue
		}
		start := i
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if !isTokenRune(r) {
				break
			}
			i += n
		}
		t := term{runes: fold(nil, text[start:i]), prefix: i < len(text) && text[i] == '*'}
		if len(t.runes) > 0 && !q.has(t) {
			q.terms = append(q.terms, t)
			if t.runes[0] < utf8.RuneSelf {
				q.firsts[t.runes[0]] = true
			}
		}
	}
	q.fast = len(q.terms) > 0
	for _, t := range q.terms {
		c := t.runes[0]
		if c >= utf8.RuneSelf {
			q.fast = false
			break
		}
		q.leads[c] = true
		q.leads[unicode.ToUpper(c)] = true
	}
	if q.fast {
		// Latin-1, Latin Extended-A and B, and Latin Extended Additional
		// (Vietnamese): where the letters with diacritics are.
		for _, block := range [][2]rune{{0xC0, 0x250}, {0x1E00, 0x1F00}} {
			for r := block[0]; r < block[1]; r++ {
				if f := foldRune(r); f >= 0 && f < utf8.RuneSelf && q.firsts[f] {
					var b [utf8.UTFMax]byte
					utf8.EncodeRune(b[:], r)
					q.leads[b[0]] = true
				}
			}
		}
	}
	return q
}

func (q Query) has(t term) bool {
	for _, u := range q.terms {
		if u.prefix == t.prefix && string(u.runes) == string(t.runes) {
			return true
		}
	}
	return false
}

// Empty reports whether the query has no word to mark.
func (q Query) Empty() bool { return len(q.terms) == 0 }

// Good is the score of a fragment that holds every word of the query:
// Make takes the first such fragment (the better of the window around
// the words and the window from the start of their sentence) instead of
// scoring every later one as FTS5 does, which would read the whole text
// of every message found.
func (q Query) Good() int { return scoreWord * len(q.terms) }

// Make returns the best fragment of the columns (a message's subject,
// sender, body and attachments, in the order of the index: on equal
// scores the first wins), its score (0 and "" when no word of the query
// occurs), and the index of the column it is from.
func (q Query) Make(columns ...string) (snippet string, score, column int) {
	var best fragment
	column = -1
	for i, text := range columns {
		f := q.best(text)
		if f.score > best.score {
			best, column = f, i
		}
		if best.score >= q.Good() {
			break
		}
	}
	if column < 0 {
		return "", 0, -1
	}
	return best.render(), best.score, column
}

// Best is Make for one text, with a score to compare with other texts'.
func (q Query) Best(text string) (snippet string, score int) {
	f := q.best(text)
	if f.score == 0 {
		return "", 0
	}
	return f.render(), f.score
}

// token is one word of a text: where it is, whether a sentence starts
// with it, and which term it is (-1 for none).
type token struct {
	start, end int32
	term       int16
	sentence   bool
}

// scanner cuts a text into tokens as it is asked for them.
type scanner struct {
	q    *Query
	text string
	off  int
	// base: the scan began after the start of the text (there are words
	// before tokens[0]).
	base   bool
	tokens []token
	done   bool
	buf    []rune
}

// upTo scans until there are n tokens or the text ends; it reports
// whether there are n.
func (s *scanner) upTo(n int) bool {
	for len(s.tokens) < n && !s.done {
		s.next()
	}
	return len(s.tokens) >= n
}

// next scans one more token.
func (s *scanner) next() {
	text := s.text
	i := s.off
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			if isASCIITokenByte(c) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		if isTokenRune(r) {
			break
		}
		i += n
	}
	if i >= len(text) {
		s.off, s.done = len(text), true
		return
	}
	start := i
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			if !isASCIITokenByte(c) {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		if !isTokenRune(r) {
			break
		}
		i += n
	}
	s.off = i
	term := -1
	if c := text[start]; c >= utf8.RuneSelf || s.q.firsts[c|0x20] {
		term = s.q.match(text[start:i], &s.buf)
	}
	s.tokens = append(s.tokens, token{start: int32(start), end: int32(i), term: int16(term),
		sentence: len(s.tokens) == 0 && !s.base || sentenceBefore(text, start)})
}

// sentenceBefore reports whether the token at start begins a sentence the
// way FTS5 sees it: white space before it, and a '.' or ':' before that.
func sentenceBefore(text string, start int) bool {
	i := start - 1
	for i >= 0 && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i--
	}
	return i != start-1 && i >= 0 && (text[i] == '.' || text[i] == ':')
}

// fragment is a chosen window of a text.
type fragment struct {
	s          *scanner
	start, end int // tokens [start, end)
	score      int
}

// best finds the best window of text: for each occurrence of a word, the
// window of Tokens tokens from it (moved so that the words in it are in
// the middle) and the window from the sentence it is in, scored like
// FTS5 does; the first of the best wins. It stops after the occurrence
// whose windows are as good as Good.
func (q *Query) best(text string) fragment {
	if len(q.terms) == 0 || text == "" {
		return fragment{}
	}
	s := &scanner{q: q, text: text}
	if q.fast {
		// Skip to the first word of the query, less the words a window
		// before it may show.
		at := q.firstWord(text)
		if at < 0 {
			return fragment{}
		}
		s.off = wordsBack(text, at, Tokens)
		s.base = s.off > 0
	}
	s.tokens = make([]token, 0, 64)
	var best fragment
	lastSentence := -1
	for i := 0; s.upTo(i + 1); i++ {
		if s.tokens[i].sentence {
			lastSentence = i
		}
		if s.tokens[i].term < 0 {
			continue
		}
		score, adj := q.score(s, i)
		if score > best.score {
			best = fragment{s: s, start: adj, score: score}
		}
		// The window from the start of the sentence, when the text is
		// longer than a window (FTS5 knows its length; here: another
		// token after one window's worth).
		if 0 <= lastSentence && lastSentence < i && (s.base || s.upTo(Tokens+1)) {
			score, _ := q.score(s, lastSentence)
			if lastSentence == 0 && !s.base {
				score += bonusTextStart
			} else {
				score += bonusSentence
			}
			if score > best.score {
				best = fragment{s: s, start: lastSentence, score: score}
			}
		}
		if best.score >= q.Good() {
			break
		}
	}
	if best.score == 0 {
		return fragment{}
	}
	// The window ends Tokens tokens on, or at the end of the text.
	s.upTo(best.start + Tokens)
	best.end = min(best.start+Tokens, len(s.tokens))
	return best
}

// firstWord returns where the first word of text that is a word of the
// query starts, or -1: it looks only at the bytes that can start one
// (leads) at the start of a word.
func (q *Query) firstWord(text string) int {
	var buf []rune
	for i := 0; i < len(text); i++ {
		if !q.leads[text[i]] {
			continue
		}
		if i > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:i]); isTokenRune(r) {
				continue // inside a word
			}
		}
		end := i
		for end < len(text) {
			r, n := utf8.DecodeRuneInString(text[end:])
			if !isTokenRune(r) {
				break
			}
			end += n
		}
		if q.match(text[i:end], &buf) >= 0 {
			return i
		}
		i = end - 1
	}
	return -1
}

// wordsBack returns where the word n words before the one at offset at
// starts, or 0 when there are fewer.
func wordsBack(text string, at, n int) int {
	i := at
	for range n {
		for i > 0 {
			r, size := utf8.DecodeLastRuneInString(text[:i])
			if isTokenRune(r) {
				break
			}
			i -= size
		}
		if i == 0 {
			return 0
		}
		for i > 0 {
			r, size := utf8.DecodeLastRuneInString(text[:i])
			if !isTokenRune(r) {
				break
			}
			i -= size
		}
	}
	return i
}

// score counts the words found in the window of Tokens tokens from token
// at and returns where the window should start for them to be in its
// middle (and not run past the end of the text).
func (q *Query) score(s *scanner, at int) (score, adjusted int) {
	s.upTo(at + Tokens)
	var seen uint64
	first, last := -1, -1
	for i := at; i < min(at+Tokens, len(s.tokens)); i++ {
		t := s.tokens[i].term
		if t < 0 {
			continue
		}
		if t < 64 && seen&(1<<t) == 0 {
			seen |= 1 << t
			score += scoreWord
		} else {
			score += scoreRepeatedHit
		}
		if first < 0 {
			first = i
		}
		last = i
	}
	if first < 0 {
		return 0, at
	}
	adjusted = first - (Tokens-(last+1-first))/2
	if adjusted > 0 && !s.upTo(adjusted+Tokens) {
		adjusted = len(s.tokens) - Tokens
	}
	return score, max(0, adjusted)
}

// render writes the window: the marked words, the text between them, an
// ellipsis where text was left out.
func (f fragment) render() string {
	s := f.s
	text := s.text
	var b strings.Builder
	b.Grow(min(len(text), 256))
	from := 0
	if f.start > 0 || s.base {
		b.WriteString(Ellipsis)
		from = int(s.tokens[f.start].start)
	}
	for i := f.start; i < f.end; i++ {
		t := s.tokens[i]
		b.WriteString(text[from:t.start])
		if t.term >= 0 {
			b.WriteString(Open)
			b.WriteString(text[t.start:t.end])
			b.WriteString(Close)
		} else {
			b.WriteString(text[t.start:t.end])
		}
		from = int(t.end)
	}
	// More tokens after the window: an ellipsis; else the rest of the
	// text (the full stop after the last word).
	if s.upTo(f.end + 1) {
		b.WriteString(Ellipsis)
	} else {
		b.WriteString(text[from:])
	}
	return b.String()
}

// match returns which term the token is, or -1.
func (q *Query) match(tok string, buf *[]rune) int {
	// Most tokens differ from every term in their first letter: fold
	// that one first.
	r, _ := utf8.DecodeRuneInString(tok)
	first := foldRune(r)
	maybe := false
	for _, t := range q.terms {
		if t.runes[0] == first {
			maybe = true
			break
		}
	}
	if !maybe {
		return -1
	}
	*buf = fold((*buf)[:0], tok)
	for i, t := range q.terms {
		if len(*buf) == len(t.runes) || t.prefix && len(*buf) > len(t.runes) {
			if string((*buf)[:len(t.runes)]) == string(t.runes) {
				return i
			}
		}
	}
	return -1
}

// fold appends the letters of s, lower-cased and without diacritics, to
// dst.
func fold(dst []rune, s string) []rune {
	for _, r := range s {
		if f := foldRune(r); f >= 0 {
			dst = append(dst, f)
		}
	}
	return dst
}

// foldRune is r lower-cased and without its diacritics (the letter its
// canonical decomposition starts with, when the rest are combining
// marks), or -1 for a combining mark itself: what unicode61 with
// remove_diacritics does to Czech and other Latin letters.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	if unicode.Is(unicode.Mn, r) {
		return -1
	}
	r = unicode.ToLower(r)
	var b [utf8.UTFMax]byte
	n := utf8.EncodeRune(b[:], r)
	d := norm.NFD.Properties(b[:n]).Decomposition()
	if len(d) == 0 {
		return r
	}
	base, size := utf8.DecodeRune(d)
	for rest := d[size:]; len(rest) > 0; {
		m, n := utf8.DecodeRune(rest)
		if !unicode.Is(unicode.Mn, m) {
			return r // not a letter with diacritics (Hangul, ligatures…)
		}
		rest = rest[n:]
	}
	return base
}

// isTokenRune reports whether r is part of a word for unicode61: letters,
// numbers, private-use characters, and combining marks (the diacritics
// of a decomposed letter). Latin letters, most of any Czech text, are
// told without the Unicode tables.
func isTokenRune(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return isASCIITokenByte(byte(r))
	case r < 0xC0: // Latin-1 punctuation and signs; ª µ º, ² ³ ¹ and ¼ ½ ¾
		return r == 0xAA || r == 0xB5 || r == 0xBA || r == 0xB2 || r == 0xB3 || r == 0xB9 || 0xBC <= r && r <= 0xBE
	case r < 0x250: // Latin-1 letters (but × and ÷), Latin Extended-A and B
		return r != 0xD7 && r != 0xF7
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Co, r)
}

func isASCIITokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
