package i18n

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrorKind classifies why ParseDateTime or ParseDate rejected its input.
type ErrorKind int

const (
	// ErrSyntax means the input is not in any recognised format. This includes
	// a date without a time passed to ParseDateTime and a date with a time
	// passed to ParseDate.
	ErrSyntax ErrorKind = iota + 1
	// ErrNoSuchDate means the input is well-formed but names a day that does
	// not exist, such as 31. 2. 2027, 29. 2. 2027 or month 13.
	ErrNoSuchDate
	// ErrNoSuchTime means the input is well-formed but names a time of day that
	// does not exist, such as 24:00 or 10:60.
	ErrNoSuchTime
	// ErrNonexistentLocalTime means the wall-clock time is skipped in the
	// location by a clock change, such as 28. 3. 2027 2:30 in Europe/Prague
	// (the switch to summer time). ParseDate reports it only for a day that
	// is skipped entirely.
	ErrNonexistentLocalTime
	// ErrOutOfRange means the date, after conversion to the location, lies
	// outside the supported years 1900 to 2999.
	ErrOutOfRange
)

// String returns the name of the kind, for logs and tests.
func (k ErrorKind) String() string {
	switch k {
	case ErrSyntax:
		return "ErrSyntax"
	case ErrNoSuchDate:
		return "ErrNoSuchDate"
	case ErrNoSuchTime:
		return "ErrNoSuchTime"
	case ErrNonexistentLocalTime:
		return "ErrNonexistentLocalTime"
	case ErrOutOfRange:
		return "ErrOutOfRange"
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// ParseError describes a date or time that ParseDateTime or ParseDate could
// not accept. Error gives an English description for logs; Message gives a
// sentence suitable for showing to the user.
type ParseError struct {
	// Input is the string as it was passed to the parser.
	Input string
	// Kind says what was wrong with it.
	Kind ErrorKind

	// ctx carries the parsed details used by Message. It is zero when the
	// ParseError was constructed outside this package; Message then falls
	// back to quoting Input.
	ctx errContext
}

// errContext holds what the parser learned about an input before rejecting it.
type errContext struct {
	dateOnly    bool   // returned by ParseDate
	missingTime bool   // ParseDateTime got a valid date but no time
	hasOffset   bool   // the input carried an explicit UTC offset
	dateText    string // the date as typed (white space normalised)
	timeText    string // the time as typed (white space normalised)
	year        int
	month       int
	day         int
	hour        int
	minute      int
	second      int
	zone        string // name of the location
	gapFrom     string // wall clock where the skipped interval starts, "2:00"
	gapTo       string // wall clock where the skipped interval ends, "3:00"
	dst         bool   // the gap is caused by the switch to daylight-saving time
}

// maxQuotedError and maxQuotedMessage limit how many runes of the input
// Error and Message repeat.
const (
	maxQuotedError   = 100
	maxQuotedMessage = 40
)

// Error returns an English description including the quoted input, for
// example `i18n: "31. 2. 2027 10:00" is not a valid date`.
func (e *ParseError) Error() string {
	if e == nil {
		return "i18n: <nil>"
	}
	q := strconv.Quote(truncateRunes(e.Input, maxQuotedError))
	switch e.Kind {
	case ErrSyntax:
		switch {
		case e.ctx.missingTime:
			return "i18n: " + q + " has a date but no time"
		case e.ctx.dateOnly:
			return "i18n: " + q + " is not a recognised date"
		}
		return "i18n: " + q + " is not a recognised date and time"
	case ErrNoSuchDate:
		return "i18n: " + q + " is not a valid date"
	case ErrNoSuchTime:
		return "i18n: " + q + " is not a valid time of day"
	case ErrNonexistentLocalTime:
		zone := e.ctx.zone
		if zone == "" {
			return "i18n: " + q + " does not exist in the time zone (skipped by a clock change)"
		}
		return "i18n: " + q + " does not exist in time zone " + zone + " (skipped by a clock change)"
	case ErrOutOfRange:
		return "i18n: " + q + " is outside the supported years 1900-2999"
	}
	return "i18n: cannot parse " + q
}

// Message returns a sentence explaining the problem to the end user in the
// given language (Czech for unrecognised values). The sentence repeats the
// relevant part of the input; free-form input is shortened and stripped of
// control and formatting characters, so the result is a single line of
// printable text. Escaping for a particular markup (HTML, Markdown) is left to
// the caller.
func (e *ParseError) Message(lang Lang) string {
	en := lang.resolved() == English
	if e == nil {
		if en {
			return "The date and time could not be used."
		}
		return "Datum a čas nelze použít."
	}
	c := e.ctx
	in := sanitize(e.Input, maxQuotedMessage)
	switch e.Kind {
	case ErrSyntax:
		return syntaxMessage(en, c, in)
	case ErrNoSuchDate:
		if c.dateText == "" {
			break
		}
		if en {
			return "The date " + c.dateText + " does not exist (" + dateReason(true, c) + ")."
		}
		return "Datum " + c.dateText + " neexistuje (" + dateReason(false, c) + ")."
	case ErrNoSuchTime:
		if c.timeText == "" || c.dateText == "" {
			break
		}
		return timeMessage(en, c)
	case ErrNonexistentLocalTime:
		if c.dateText == "" || c.zone == "" {
			break
		}
		return gapMessage(en, c)
	case ErrOutOfRange:
		if c.dateText == "" {
			break
		}
		if c.hasOffset {
			if en {
				return "The date and time " + quote(true, in) + " fall outside the supported years 1900 to 2999 once converted to the time zone " + c.zone + "."
			}
			return "Datum a čas " + quote(false, in) + " po převodu do časového pásma " + c.zone + " spadají mimo podporovaný rozsah (roky 1900 až 2999)."
		}
		if en {
			return "The date " + c.dateText + " is outside the supported range (years 1900 to 2999)."
		}
		return "Datum " + c.dateText + " je mimo podporovaný rozsah (roky 1900 až 2999)."
	}
	// A ParseError built outside this package, or an unknown kind.
	switch {
	case in == "" && en:
		return "The date and time could not be used."
	case in == "":
		return "Datum a čas nelze použít."
	case en:
		return "The date and time " + quote(true, in) + " cannot be used."
	}
	return "Datum a čas " + quote(false, in) + " nelze použít."
}

func syntaxMessage(en bool, c errContext, in string) string {
	switch {
	case c.missingTime && en:
		return "The time is missing after the date " + c.dateText + ". Please enter both a date and a time, e.g. 23 Mar 2027 10:00 or 23. 3. 2027 10:00."
	case c.missingTime:
		return "U data " + c.dateText + " chybí čas. Zadejte prosím datum i čas, např. 23. 3. 2027 10:00."
	case c.dateOnly && in == "" && en:
		return "Please enter a date, e.g. 23 Mar 2027 or 23. 3. 2027."
	case c.dateOnly && in == "":
		return "Zadejte prosím datum, např. 23. 3. 2027."
	case c.dateOnly && en:
		return "I don't understand the date " + quote(true, in) + ". Please enter it e.g. as 23 Mar 2027, 23. 3. 2027 or 2027-03-23."
	case c.dateOnly:
		return "Datu " + quote(false, in) + " nerozumím. Zadejte ho prosím např. jako 23. 3. 2027."
	case in == "" && en:
		return "Please enter a date and time, e.g. 23 Mar 2027 10:00 or 23. 3. 2027 10:00."
	case in == "":
		return "Zadejte prosím datum a čas, např. 23. 3. 2027 10:00."
	case en:
		return "I don't understand the date and time " + quote(true, in) + ". Please enter them e.g. as 23 Mar 2027 10:00, 23. 3. 2027 10:00 or 2027-03-23 10:00."
	}
	return "Datu a času " + quote(false, in) + " nerozumím. Zadejte je prosím např. jako 23. 3. 2027 10:00."
}

// dateReason explains why a well-formed date does not exist.
func dateReason(en bool, c errContext) string {
	switch {
	case c.month < 1 || c.month > 12:
		if en {
			return "the month must be 1 to 12"
		}
		return "měsíc může být jen 1 až 12"
	case c.day < 1:
		if en {
			return "the day must be at least 1"
		}
		return "den musí být alespoň 1"
	}
	n := daysIn(c.year, c.month)
	if en {
		return fmt.Sprintf("%s %d has only %d days", time.Month(c.month), c.year, n)
	}
	return fmt.Sprintf("%s %d má jen %d dní", czechMonthNominative(c.month), c.year, n)
}

func timeMessage(en bool, c errContext) string {
	if c.hour == 24 && c.minute == 0 && c.second == 0 {
		next := time.Date(c.year, time.Month(c.month), c.day+1, 0, 0, 0, 0, time.UTC)
		if en {
			return "Invalid time " + c.timeText + " on " + c.dateText + ": for midnight, enter 0:00 of the following day (" + englishDate(next) + ")."
		}
		return "Neplatný čas " + c.timeText + " u data " + c.dateText + ": půlnoc zadejte jako 0:00 následujícího dne (" + czechDate(next) + ")."
	}
	var reason string
	switch {
	case c.hour > 23 && en:
		reason = "hours must be 0 to 23"
	case c.hour > 23:
		reason = "hodiny mohou být jen 0 až 23"
	case c.minute > 59 && en:
		reason = "minutes must be 0 to 59"
	case c.minute > 59:
		reason = "minuty mohou být jen 0 až 59"
	case en:
		reason = "seconds must be 0 to 59"
	default:
		reason = "sekundy mohou být jen 0 až 59"
	}
	if en {
		return "Invalid time " + c.timeText + " on " + c.dateText + ": " + reason + "."
	}
	return "Neplatný čas " + c.timeText + " u data " + c.dateText + ": " + reason + "."
}

func gapMessage(en bool, c errContext) string {
	if c.dateOnly {
		if en {
			return "The date " + c.dateText + " does not exist in the time zone " + c.zone + " (the whole day was skipped by a clock change)."
		}
		return "Datum " + c.dateText + " v časovém pásmu " + c.zone + " neexistuje (celý den byl přeskočen při změně času)."
	}
	var why string
	switch {
	case en && c.dst:
		why = "clocks go forward for daylight saving time"
	case en:
		why = "clocks go forward"
	case c.dst:
		why = "posun hodin na letní čas"
	default:
		why = "posun hodin"
	}
	if c.gapFrom != "" && c.gapTo != "" {
		if en {
			why += ", from " + c.gapFrom + " straight to " + c.gapTo
		} else {
			why += ": z " + c.gapFrom + " rovnou na " + c.gapTo
		}
	}
	if en {
		return "The time " + c.timeText + " on " + c.dateText + " does not exist in the time zone " + c.zone + " (" + why + "). Please choose a different time."
	}
	return "Čas " + c.timeText + " dne " + c.dateText + " v časovém pásmu " + c.zone + " neexistuje (" + why + "). Zvolte prosím jiný čas."
}

// quote wraps s in the language's quotation marks.
func quote(en bool, s string) string {
	if en {
		return "“" + s + "”"
	}
	return "„" + s + "“"
}

// sanitize makes s safe to repeat in a message: invalid UTF-8 becomes U+FFFD,
// control and formatting characters (including bidirectional overrides) are
// dropped, white space runs become a single space, and the result is cut to at
// most limit runes (plus an ellipsis).
func sanitize(s string, limit int) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r):
			continue
		case !unicode.IsPrint(r) && !unicode.IsGraphic(r):
			continue
		}
		if space {
			if n+1 >= limit {
				b.WriteString("…")
				return b.String()
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		if n >= limit {
			b.WriteString("…")
			return b.String()
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// truncateRunes cuts s to at most limit runes, marking the cut with "...".
func truncateRunes(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	i := 0
	for j := range s {
		if i == limit {
			return s[:j] + "..."
		}
		i++
	}
	return s
}
