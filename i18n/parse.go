package i18n

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Supported range of years. Years are typed with exactly four digits, so
// every supported date can be formatted and parsed back. The range stays
// well inside four digits so that anything computed from an accepted date
// (a meeting's end, a reminder, an iCalendar DTEND) has four digits too; a
// meeting dated 31. 12. 9999 would end in year 10000, which iCalendar
// cannot write.
const (
	minYear = 1900
	maxYear = 2999
)

// ValidYear reports whether year lies in the supported range, 1900 to
// 2999: every door that takes a year (report -year, /report) checks it.
func ValidYear(year int) bool { return year >= minYear && year <= maxYear }

// maxInputLen bounds the work done on a single input; nobody types a date
// longer than this.
const maxInputLen = 256

// ParseDateTime parses a meeting date and time typed by a person and returns
// the instant, in loc, at which that wall-clock time occurs in loc. A nil loc
// is treated as UTC.
//
// Accepted forms (letter case does not matter; surrounding and repeated white
// space, including no-break spaces, is tolerated):
//
//   - Czech: "23. 3. 2027 10:00", "23.3.2027 10:00", "23. 03. 2027 9:05"; day
//     and month with or without leading zeros, spaces after the dots optional.
//   - Czech with a preposition or comma before the time: "23. 3. 2027 v 10:00",
//     "24. 3. 2027 ve 14:00", "23. 3. 2027, 10:00".
//   - A dot as the time separator: "23.3.2027 10.00".
//   - An optional suffix "h", "hod." or "hodin": "23. 3. 2027 10:00 hod.".
//   - A Czech month name in the genitive, with or without diacritics:
//     "23. března 2027 10:00", "23. brezna 2027 10:00".
//   - An English month name or abbreviation, as FormatDateTime writes it:
//     "23 Mar 2027, 10:00", "23 March 2027 10:00".
//   - ISO 8601 with a space or "T" and optional seconds: "2027-03-23 10:00",
//     "2027-03-23T10:00", "2027-03-23T10:00:00".
//   - RFC 3339 with an explicit offset or "Z": "2027-03-23T10:00:00+01:00",
//     "2027-03-23T09:00:00Z"; the instant is converted to loc.
//
// Years have four digits and must lie in 1900..2999 (after conversion to loc).
// Hours are 0-23, minutes and seconds 0-59. A time is required. Seconds and
// fractions of a second are discarded: the result is the start of its
// wall-clock minute in loc.
//
// A wall-clock time that occurs twice in loc (when clocks go back, e.g.
// 31. 10. 2027 2:30 in Europe/Prague) resolves to the earlier instant, the one
// before the change (2:30 CEST = 00:30 UTC); [ParseDateTimeNote] also says
// so. After the time a zone may be named to choose: an offset ("2:30
// +01:00"), an abbreviation loc uses around that date ("2:30 CET", "2:30
// CEST"), or summer or winter time in Czech or English ("2:30 SELČ", "2:30
// SEČ", "letní", "zimní", "summer", "winter"). Such a time names an instant
// like an explicit offset does. A wall-clock time that does not
// occur in loc (when clocks go forward, e.g. 28. 3. 2027 2:30 in
// Europe/Prague) is an error of kind ErrNonexistentLocalTime. Inputs with an
// explicit offset name an instant directly and are never ambiguous.
//
// Errors are of type *ParseError.
func ParseDateTime(s string, loc *time.Location) (time.Time, error) {
	t, _, err := ParseDateTimeNote(s, loc)
	return t, err
}

// Ambiguity is a wall-clock time that occurs twice in its zone, when the
// clocks go back, and which of the two [ParseDateTimeNote] took.
type Ambiguity struct {
	// Date and Clock are the date as typed and the time as "2:30".
	Date, Clock string
	// Zone is the location's name ("Europe/Prague").
	Zone string
	// Taken is the instant returned (the earlier one); Other the later.
	Taken, Other time.Time
}

// ParseDateTimeNote is [ParseDateTime] that also reports, when the typed
// time occurs twice in loc and no zone was named, which of the two it
// took; the Ambiguity is nil otherwise.
func ParseDateTimeNote(s string, loc *time.Location) (time.Time, *Ambiguity, error) {
	loc = orUTC(loc)
	f, ok := scan(s)
	if !ok {
		return time.Time{}, nil, &ParseError{Input: s, Kind: ErrSyntax}
	}
	// A date that does not exist is a more useful complaint than a missing
	// time, so validate first.
	if err := f.validate(s, false); err != nil {
		return time.Time{}, nil, err
	}
	if !f.hasTime {
		return time.Time{}, nil, &ParseError{Input: s, Kind: ErrSyntax, ctx: errContext{missingTime: true, dateText: f.dateText}}
	}
	if f.zoneWord != "" {
		wall := time.Date(f.year, time.Month(f.month), f.day, f.hour, f.minute, 0, 0, time.UTC)
		off, ok := zoneOffset(f.zoneWord, wall, loc)
		if !ok {
			return time.Time{}, nil, &ParseError{Input: s, Kind: ErrSyntax}
		}
		f.hasOffset, f.offset = true, off
	}
	if f.hasOffset {
		t, err := f.instant(s, loc)
		return t, nil, err
	}
	if f.year < minYear || f.year > maxYear {
		return time.Time{}, nil, f.errorf(s, ErrOutOfRange, false)
	}
	t, gap, ok := resolve(f.year, f.month, f.day, f.hour, f.minute, loc)
	if !ok {
		e := f.errorf(s, ErrNonexistentLocalTime, false)
		e.ctx.zone = loc.String()
		e.ctx.dst = gap.dst
		if gap.found && sameDate(gap.from, f.year, f.month, f.day) && sameDate(gap.to, f.year, f.month, f.day) {
			e.ctx.gapFrom = clock(gap.from)
			e.ctx.gapTo = clock(gap.to)
		}
		return time.Time{}, nil, e
	}
	if other, ok := repeat(t, f.year, f.month, f.day, f.hour, f.minute, loc); ok {
		return t, &Ambiguity{Date: f.dateText, Clock: clock(t.In(loc)), Zone: loc.String(), Taken: t, Other: other}, nil
	}
	return t, nil, nil
}

// ParseDate parses a date without a time ("23. 3. 2027", "23.3.2027",
// "2027-03-23", "23. března 2027", "23 Mar 2027") and returns the start of
// that day in loc, normally 00:00. If midnight is skipped by a clock change in
// loc, the day starts at the end of the skipped interval; if the whole day is
// skipped the error kind is ErrNonexistentLocalTime. A nil loc is treated as
// UTC. Errors are of type *ParseError.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	loc = orUTC(loc)
	f, ok := scan(s)
	if !ok || f.hasTime {
		return time.Time{}, &ParseError{Input: s, Kind: ErrSyntax, ctx: errContext{dateOnly: true}}
	}
	if err := f.validate(s, true); err != nil {
		return time.Time{}, err
	}
	if f.year < minYear || f.year > maxYear {
		return time.Time{}, f.errorf(s, ErrOutOfRange, true)
	}
	t, gap, ok := resolve(f.year, f.month, f.day, 0, 0, loc)
	if ok {
		return t, nil
	}
	if gap.found && sameDate(gap.to, f.year, f.month, f.day) {
		return gap.at.In(loc), nil
	}
	e := f.errorf(s, ErrNonexistentLocalTime, true)
	e.ctx.zone = loc.String()
	return time.Time{}, e
}

// orUTC returns loc, or time.UTC if loc is nil.
func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// fields is the syntactic result of scanning an input.
type fields struct {
	year, month, day     int
	hour, minute, second int
	nano                 int
	hasTime              bool
	hasOffset            bool
	offset               int    // seconds east of UTC
	zoneWord             string // a zone name typed after the time ("SEČ", "CET"), lower case
	dateText, timeText   string
}

// errorf builds a ParseError carrying everything Message needs.
func (f *fields) errorf(input string, kind ErrorKind, dateOnly bool) *ParseError {
	return &ParseError{Input: input, Kind: kind, ctx: errContext{
		dateOnly:  dateOnly,
		hasOffset: f.hasOffset,
		dateText:  f.dateText,
		timeText:  f.timeText,
		year:      f.year,
		month:     f.month,
		day:       f.day,
		hour:      f.hour,
		minute:    f.minute,
		second:    f.second,
	}}
}

// validate checks that the date and the time of day exist in the calendar.
// time.Date would silently normalise 31. 2. to 3. 3. and 24:00 to 0:00 of the
// next day, so the ranges are checked explicitly.
func (f *fields) validate(input string, dateOnly bool) *ParseError {
	if f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysIn(f.year, f.month) {
		return f.errorf(input, ErrNoSuchDate, dateOnly)
	}
	if f.hasTime && (f.hour > 23 || f.minute > 59 || f.second > 59) {
		return f.errorf(input, ErrNoSuchTime, dateOnly)
	}
	return nil
}

// instant converts an input with an explicit UTC offset to loc and truncates
// it to the start of its wall-clock minute there.
func (f *fields) instant(input string, loc *time.Location) (time.Time, error) {
	t := time.Date(f.year, time.Month(f.month), f.day, f.hour, f.minute, f.second, f.nano,
		time.FixedZone("", f.offset)).In(loc)
	if y := t.Year(); y < minYear || y > maxYear {
		e := f.errorf(input, ErrOutOfRange, false)
		e.ctx.zone = loc.String()
		return time.Time{}, e
	}
	frac := time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
	if frac == 0 {
		return t, nil
	}
	// Normally the minute started frac ago. If a zone transition falls inside
	// the minute (only historical local mean time offsets have seconds), that
	// wall-clock minute may not exist; use the next whole minute instead.
	for _, c := range []time.Time{t.Add(-frac), t.Add(time.Minute - frac)} {
		if c.Second() == 0 && c.Nanosecond() == 0 {
			if y := c.Year(); y >= minYear && y <= maxYear {
				return c, nil
			}
		}
	}
	e := f.errorf(input, ErrOutOfRange, false)
	e.ctx.zone = loc.String()
	return time.Time{}, e
}

// daysIn returns the number of days in the month (1-12) of the year.
func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// gapInfo describes the clock change that skips a wall-clock time.
type gapInfo struct {
	found    bool
	at       time.Time // instant of the change
	from, to time.Time // first skipped and first existing wall-clock time after it, as UTC-labelled wall clocks
	dst      bool      // the new zone is daylight-saving time
}

// segment is a period during which loc uses one offset.
type segment struct {
	start  time.Time // zero if unbounded
	offset int       // seconds east of UTC
	name   string    // the zone's abbreviation ("CET")
	dst    bool      // daylight-saving time
}

// resolve finds the instant at which the wall clock in loc shows the given
// date and time. If it shows it twice, the earlier instant is returned. If it
// never shows it, ok is false and gap describes the clock change.
//
// Every candidate instant is wall-time minus one of the offsets loc uses
// around that time; a candidate is valid if loc's wall clock at it shows the
// requested time.
func resolve(year, month, day, hour, minute int, loc *time.Location) (t time.Time, gap gapInfo, ok bool) {
	wall := time.Date(year, time.Month(month), day, hour, minute, 0, 0, time.UTC)
	segs := segments(wall, loc)
	for _, s := range segs {
		c := wall.Add(-time.Duration(s.offset) * time.Second).In(loc)
		if sameWall(c, wall) && (!ok || c.Before(t)) {
			t, ok = c, true
		}
	}
	if ok {
		return t, gapInfo{}, true
	}
	for i := 1; i < len(segs); i++ {
		before, after := segs[i-1].offset, segs[i].offset
		at := segs[i].start
		from := at.Add(time.Duration(before) * time.Second).UTC()
		to := at.Add(time.Duration(after) * time.Second).UTC()
		if !wall.Before(from) && wall.Before(to) {
			return time.Time{}, gapInfo{found: true, at: at, from: from, to: to, dst: at.In(loc).IsDST()}, false
		}
	}
	return time.Time{}, gapInfo{}, false
}

// segments lists the offsets loc uses within two days either side of wall
// (a wall clock labelled UTC). Real offsets are well under a day, so every
// instant whose wall clock in loc could equal wall is covered.
func segments(wall time.Time, loc *time.Location) []segment {
	limit := wall.Add(48 * time.Hour)
	p := wall.Add(-48 * time.Hour).In(loc)
	var segs []segment
	for range 64 {
		name, off := p.Zone()
		start, end := p.ZoneBounds()
		segs = append(segs, segment{start: start, offset: off, name: name, dst: p.IsDST()})
		if end.IsZero() || end.After(limit) || !end.After(p) {
			break
		}
		p = end.In(loc)
	}
	return segs
}

// repeat returns the later instant at which loc's wall clock shows the
// given date and time, when it shows it more than once and t is the
// earlier.
func repeat(t time.Time, year, month, day, hour, minute int, loc *time.Location) (time.Time, bool) {
	wall := time.Date(year, time.Month(month), day, hour, minute, 0, 0, time.UTC)
	var later time.Time
	for _, s := range segments(wall, loc) {
		c := wall.Add(-time.Duration(s.offset) * time.Second).In(loc)
		if sameWall(c, wall) && c.After(t) && (later.IsZero() || c.Before(later)) {
			later = c
		}
	}
	return later, !later.IsZero()
}

// Words naming summer or winter time in general, in Czech (with and
// without diacritics) and English.
var (
	summerWords = []string{"selč", "selc", "letní", "letni", "summer"}
	winterWords = []string{"seč", "sec", "zimní", "zimni", "winter"}
)

// zoneOffset returns the offset that w (lower case) names among those loc
// uses around wall: an abbreviation such as "cet", or summer or winter
// time.
func zoneOffset(w string, wall time.Time, loc *time.Location) (int, bool) {
	segs := segments(wall, loc)
	for _, s := range segs {
		if strings.ToLower(s.name) == w {
			return s.offset, true
		}
	}
	summer, winter := slices.Contains(summerWords, w), slices.Contains(winterWords, w)
	if !summer && !winter {
		return 0, false
	}
	for _, s := range segs {
		if s.dst == summer {
			return s.offset, true
		}
	}
	return 0, false
}

// sameWall reports whether t's wall clock shows the date, hour and minute of
// wall (seconds are zero in both by construction).
func sameWall(t, wall time.Time) bool {
	y1, m1, d1 := t.Date()
	y2, m2, d2 := wall.Date()
	h1, mi1, s1 := t.Clock()
	h2, mi2, s2 := wall.Clock()
	return y1 == y2 && m1 == m2 && d1 == d2 && h1 == h2 && mi1 == mi2 && s1 == s2 && t.Nanosecond() == wall.Nanosecond()
}

// sameDate reports whether t falls on the given day.
func sameDate(t time.Time, year, month, day int) bool {
	y, m, d := t.Date()
	return y == year && int(m) == month && d == day
}

// clock formats t's wall clock as "H:MM".
func clock(t time.Time) string {
	return itoa(t.Hour()) + ":" + pad2(t.Minute())
}

// scan recognises the syntax of an input without judging whether the date and
// time exist.
func scan(input string) (fields, bool) {
	var f fields
	if len(input) > maxInputLen {
		return f, false
	}
	p := &scanner{s: normalizeSpace(input)}
	iso := false
	switch {
	case p.isoDate(&f):
		iso = true
	case p.czechDate(&f), p.englishDate(&f):
	default:
		return f, false
	}
	f.dateText = p.s[:p.i]
	if p.eof() {
		return f, true
	}
	if !p.separator(iso) {
		return f, false
	}
	start := p.i
	if !p.clock(&f) {
		return f, false
	}
	f.timeText = p.s[start:p.i]
	f.hasTime = true
	if !(iso && p.offset(&f)) {
		p.suffix()
		p.zone(&f)
	}
	return f, p.eof()
}

// normalizeSpace trims s, collapses every run of white space (including
// no-break and thin spaces) into one ASCII space, and drops invisible
// formatting characters such as zero-width spaces.
func normalizeSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case unicode.Is(unicode.Cf, r):
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// scanner is a cursor over a normalised input. Every method either consumes
// what it recognises and reports true, or leaves the cursor unchanged.
type scanner struct {
	s string
	i int
}

func (p *scanner) eof() bool { return p.i >= len(p.s) }

// char consumes c if it is next.
func (p *scanner) char(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// num consumes an unsigned decimal number of lo to hi ASCII digits that is not
// followed by another digit.
func (p *scanner) num(lo, hi int) (int, bool) {
	start, n := p.i, 0
	for p.i < len(p.s) && p.i-start < hi && isDigit(p.s[p.i]) {
		n = n*10 + int(p.s[p.i]-'0')
		p.i++
	}
	if p.i-start < lo || (p.i < len(p.s) && isDigit(p.s[p.i])) {
		p.i = start
		return 0, false
	}
	return n, true
}

// word consumes a run of letters and returns it in lower case.
func (p *scanner) word() string {
	start := p.i
	for p.i < len(p.s) {
		r, size := utf8.DecodeRuneInString(p.s[p.i:])
		if !unicode.IsLetter(r) {
			break
		}
		p.i += size
	}
	return strings.ToLower(p.s[start:p.i])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isoDate consumes "2027-03-23".
func (p *scanner) isoDate(f *fields) bool {
	start := p.i
	var ok1, ok2, ok3 bool
	f.year, ok1 = p.num(4, 4)
	if ok1 && p.char('-') {
		f.month, ok2 = p.num(1, 2)
		if ok2 && p.char('-') {
			f.day, ok3 = p.num(1, 2)
			if ok3 {
				return true
			}
		}
	}
	p.i = start
	return false
}

// czechDate consumes "23. 3. 2027", "23.3.2027" or "23. března 2027".
func (p *scanner) czechDate(f *fields) bool {
	start := p.i
	if d, ok := p.num(1, 2); ok && p.char('.') {
		p.char(' ')
		m, ok := p.num(1, 2)
		if ok && p.char('.') {
			p.char(' ')
		} else {
			m = dateMonth(p.word())
			ok = m > 0 && p.char(' ')
		}
		if y, okYear := p.num(4, 4); ok && okYear {
			f.year, f.month, f.day = y, m, d
			return true
		}
	}
	p.i = start
	return false
}

// englishDate consumes "23 Mar 2027" or "23 March 2027".
func (p *scanner) englishDate(f *fields) bool {
	start := p.i
	if d, ok := p.num(1, 2); ok && p.char(' ') {
		if m := dateMonth(p.word()); m > 0 {
			p.char('.')
			if p.char(' ') {
				if y, ok := p.num(4, 4); ok {
					f.year, f.month, f.day = y, m, d
					return true
				}
			}
		}
	}
	p.i = start
	return false
}

// separator consumes what stands between the date and the time: "T" (ISO
// only), or a space or comma optionally followed by "v", "ve" or "at".
func (p *scanner) separator(iso bool) bool {
	if iso && (p.char('T') || p.char('t')) {
		return true
	}
	comma := p.char(',')
	if !p.char(' ') && !comma {
		return false
	}
	save := p.i
	switch p.word() {
	case "v", "ve", "at":
		if p.char(' ') {
			return true
		}
	}
	p.i = save
	return true
}

// clock consumes "10:00", "9:05", "10.00", "10:00:00" or "10:00:00.123".
func (p *scanner) clock(f *fields) bool {
	start := p.i
	h, ok := p.num(1, 2)
	if !ok {
		return false
	}
	colon := p.char(':')
	if !colon && !p.char('.') {
		p.i = start
		return false
	}
	m, ok := p.num(2, 2)
	if !ok {
		p.i = start
		return false
	}
	f.hour, f.minute, f.second, f.nano = h, m, 0, 0
	if !colon {
		return true
	}
	save := p.i
	if !p.char(':') {
		return true
	}
	sec, ok := p.num(2, 2)
	if !ok {
		p.i = save
		return true
	}
	f.second = sec
	save = p.i
	if p.char('.') || p.char(',') {
		digits, nano := 0, 0
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			if digits < 9 {
				nano = nano*10 + int(p.s[p.i]-'0')
			}
			digits++
			p.i++
		}
		if digits == 0 {
			p.i = save
			return true
		}
		for n := digits; n < 9; n++ {
			nano *= 10
		}
		f.nano = nano
	}
	return true
}

// offset consumes an RFC 3339 offset: "Z" or "+01:00".
func (p *scanner) offset(f *fields) bool {
	start := p.i
	if p.char('Z') || p.char('z') {
		f.hasOffset, f.offset = true, 0
		return true
	}
	sign := 1
	switch {
	case p.char('+'):
	case p.char('-'):
		sign = -1
	default:
		return false
	}
	h, ok1 := p.num(2, 2)
	if ok1 && p.char(':') {
		if m, ok2 := p.num(2, 2); ok2 && h <= 23 && m <= 59 {
			f.hasOffset, f.offset = true, sign*(h*3600+m*60)
			return true
		}
	}
	p.i = start
	return false
}

// suffix consumes an optional " h", " hod." or " hodin" after the time.
func (p *scanner) suffix() {
	save := p.i
	p.char(' ')
	switch p.word() {
	case "h", "hod", "hodin":
		p.char('.')
		return
	}
	p.i = save
}

// zone consumes an optional zone after the time: " +01:00" or a word
// (" SEČ", " CET"), which ParseDateTimeNote looks up.
func (p *scanner) zone(f *fields) {
	save := p.i
	p.char(' ')
	if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') && p.offset(f) {
		return
	}
	if w := p.word(); w != "" {
		f.zoneWord = w
		return
	}
	p.i = save
}

// dateMonth returns the month (1-12) named by a Czech genitive (with or
// without diacritics) or an English name or abbreviation, the forms a date
// is written with, or 0. The nominative and the mail clients'
// abbreviations ("leden", "led") are not Czech dates.
func dateMonth(w string) int {
	m, _ := monthByName(w, formGenitive|formEnglish)
	return int(m)
}
