package mail

import (
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"
	"unicode"

	"coordbot/i18n"
)

// errBadDate is wrapped by ParseDate's errors.
var errBadDate = errors.New("unparsable date")

// weekdayNames are skipped wherever they appear.
var weekdayNames = map[string]bool{
	"mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true, "sun": true,
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
	"tues": true, "thur": true, "thurs": true,
	"po": true, "út": true, "ut": true, "st": true, "čt": true, "ct": true, "pá": true, "pa": true, "so": true, "ne": true,
	"pondělí": true, "úterý": true, "středa": true, "čtvrtek": true, "pátek": true, "sobota": true, "neděle": true,
}

// zoneNames maps zone abbreviations to offsets in minutes.
var zoneNames = map[string]int{
	"ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 60, "west": 60,
	"cet": 60, "met": 60, "mez": 60, "sec": 60, "seč": 60,
	"cest": 120, "mest": 120, "mesz": 120, "selc": 120, "selč": 120, "eet": 120, "eest": 180,
	"est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
}

// ParseDate parses a Date header leniently. Besides RFC 5322 (via net/mail)
// it accepts missing weekday or seconds, comments and extra whitespace,
// "GMT+1" / "UTC+01:00" / "+01:00" / zone abbreviations such as CET and
// CEST, two-digit years, ISO 8601 ("2027-03-23T10:00:00+01:00"), Czech
// numeric dates ("23.3.2027 10:00") and Czech month and weekday names as
// written by localized Outlook ("út, 23 bře 2027 10:00:00 +0100"). A date
// without a zone is taken as UTC.
func ParseDate(s string) (time.Time, error) {
	orig := s
	if len(s) > 300 {
		return time.Time{}, fmt.Errorf("mail: date too long: %w", errBadDate)
	}
	s = strings.TrimSpace(stripComments(s))
	if s == "" {
		return time.Time{}, fmt.Errorf("mail: empty date: %w", errBadDate)
	}
	// The tokenizer comes first: net/mail takes zone names such as CET
	// as UTC and misreads "GMT+1".
	if t, ok := parseDateTokens(s); ok {
		return t, nil
	}
	if t, err := netmail.ParseDate(s); err == nil && plausibleYear(t.Year()) {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("mail: date %q: %w", strings.ToValidUTF8(orig, "?"), errBadDate)
}

// plausibleYear rejects years no mail was or will be written in.
func plausibleYear(y int) bool {
	return y >= 1970 && y <= 2200
}

// parseDateTokens is the lenient tokenizing parser behind ParseDate.
func parseDateTokens(s string) (time.Time, bool) {
	s = strings.ToLower(s)
	// Separate ISO "T" between date and time.
	if i := strings.IndexByte(s, 't'); i == 10 && len(s) > 11 && isASCIIDigit(s[9]) && isASCIIDigit(s[11]) {
		s = s[:10] + " " + s[11:]
	}
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == ','
	})
	var (
		day, year, hour, min, sec = -1, -1, -1, -1, 0
		month                     time.Month
		zone                      = 0
		haveZone                  bool
		nums                      []int
		numLens                   []int
	)
	for _, f := range fields {
		f = strings.TrimSuffix(f, ".")
		if f == "" {
			continue
		}
		if weekdayNames[f] {
			continue
		}
		if m, ok := i18n.MonthByName(f); ok && month == 0 {
			month = m
			continue
		}
		if off, ok := parseZone(f); ok && (hour >= 0 || year >= 0) && !haveZone {
			zone, haveZone = off, true
			continue
		}
		if strings.Contains(f, ":") {
			tz := ""
			// "10:00:00+01:00" or "10:00:00z"
			if i := strings.IndexAny(f, "+-z"); i > 0 {
				f, tz = f[:i], f[i:]
			}
			h, m, sc, ok := parseClock(f)
			if !ok || hour >= 0 {
				return time.Time{}, false
			}
			hour, min, sec = h, m, sc
			if tz != "" && !haveZone {
				off, ok := parseZone(tz)
				if !ok {
					return time.Time{}, false
				}
				zone, haveZone = off, true
			}
			continue
		}
		if strings.ContainsAny(f, ".-/") {
			d, m, y, ok := parseNumericDate(f)
			if !ok || year >= 0 {
				return time.Time{}, false
			}
			day, month, year = d, m, y
			continue
		}
		n, ok := atoiDate(f)
		if !ok {
			if month == 0 {
				if m := monthPrefix(f); m != 0 {
					month = m
					continue
				}
			}
			return time.Time{}, false
		}
		nums = append(nums, n)
		numLens = append(numLens, len(f))
	}
	if month == 0 && day < 0 && year < 0 && len(nums) == 3 {
		// "2. 11. 2022" or "2022 11 02"
		d, m, y := nums[0], nums[1], nums[2]
		if numLens[0] >= 3 {
			y, d = d, y
		}
		if m < 1 || m > 12 {
			return time.Time{}, false
		}
		day, month, year = d, time.Month(m), y
		nums = nil
	}
	// Loose numbers: day and year around a month name.
	for i, n := range nums {
		switch {
		case numLens[i] >= 3 && year < 0:
			year = n
		case day < 0 && n >= 1 && n <= 31 && numLens[i] <= 2:
			day = n
		case year < 0:
			year = n
		default:
			return time.Time{}, false
		}
	}
	if year >= 0 && year < 100 {
		if year < 70 {
			year += 2000
		} else {
			year += 1900
		}
	}
	if month == 0 || day < 1 || year < 0 || !plausibleYear(year) {
		return time.Time{}, false
	}
	if day > daysIn(month, year) {
		return time.Time{}, false
	}
	if hour < 0 {
		hour, min, sec = 0, 0, 0
	}
	loc := time.UTC
	if zone != 0 {
		loc = time.FixedZone("", zone*60)
	}
	return time.Date(year, month, day, hour, min, sec, 0, loc), true
}

// monthPrefix recognizes "listopadu"-like forms by their first letters.
func monthPrefix(f string) time.Month {
	r := []rune(f)
	if len(r) < 3 || len(r) > 12 {
		return 0
	}
	m, _ := i18n.MonthByName(string(r[:3]))
	return m
}

// daysIn returns the number of days of month m in year y.
func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// isDigit reports whether c is an ASCII digit.
func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// atoiDate parses 1 to 4 digits.
func atoiDate(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// parseClock parses "hh:mm" or "hh:mm:ss" (fractions of seconds dropped).
func parseClock(f string) (h, m, s int, ok bool) {
	parts := strings.Split(f, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, false
	}
	if len(parts) == 3 {
		if i := strings.IndexByte(parts[2], '.'); i >= 0 {
			parts[2] = parts[2][:i]
		}
	}
	vals := [3]int{}
	for i, p := range parts {
		n, ok := atoiDate(p)
		if !ok || len(p) > 2 {
			return 0, 0, 0, false
		}
		vals[i] = n
	}
	if vals[0] > 23 || vals[1] > 59 || vals[2] > 60 {
		return 0, 0, 0, false
	}
	if vals[2] == 60 {
		vals[2] = 59
	}
	return vals[0], vals[1], vals[2], true
}

// parseNumericDate parses "2027-03-23", "23.3.2027", "23.3.27", "23/3/2027"
// (day first, as written in Czech).
func parseNumericDate(f string) (int, time.Month, int, bool) {
	parts := strings.FieldsFunc(f, func(r rune) bool { return r == '.' || r == '-' || r == '/' })
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	var v [3]int
	for i, p := range parts {
		n, ok := atoiDate(p)
		if !ok {
			return 0, 0, 0, false
		}
		v[i] = n
	}
	d, m, y := v[0], v[1], v[2]
	if len(parts[0]) == 4 { // ISO: year first
		y, m, d = v[0], v[1], v[2]
	}
	if y < 100 {
		if y < 70 {
			y += 2000
		} else {
			y += 1900
		}
	}
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, false
	}
	return d, time.Month(m), y, true
}

// parseZone parses "+0100", "-05:00", "+1", "gmt+1", "utc+01:00", "cet",
// "z" into an offset in minutes.
func parseZone(f string) (int, bool) {
	if off, ok := zoneNames[f]; ok {
		return off, true
	}
	for _, p := range []string{"gmt", "utc", "ut"} {
		if strings.HasPrefix(f, p) && len(f) > len(p) && (f[len(p)] == '+' || f[len(p)] == '-') {
			f = f[len(p):]
			break
		}
	}
	if len(f) < 2 || (f[0] != '+' && f[0] != '-') {
		return 0, false
	}
	sign := 1
	if f[0] == '-' {
		sign = -1
	}
	digits := strings.ReplaceAll(f[1:], ":", "")
	var h, m int
	switch len(digits) {
	case 1, 2:
		n, ok := atoiDate(digits)
		if !ok {
			return 0, false
		}
		h = n
	case 3, 4:
		n, ok := atoiDate(digits)
		if !ok {
			return 0, false
		}
		h, m = n/100, n%100
	default:
		return 0, false
	}
	if h > 14 || m > 59 {
		return 0, false
	}
	return sign * (h*60 + m), true
}
