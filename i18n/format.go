package i18n

import (
	"strconv"
	"strings"
	"time"
)

// FormatDateTime formats t, converted to loc (nil means UTC), as a date and
// time without seconds: Czech "23. 3. 2027 10:00" (no leading zeros in day,
// month and hour: "5. 3. 2027 9:05"), English "23 Mar 2027, 10:00" (hour with
// two digits: "5 Mar 2027, 09:05"). ParseDateTime accepts both forms back.
func FormatDateTime(t time.Time, loc *time.Location, lang Lang) string {
	t = t.In(orUTC(loc))
	if lang.resolved() == English {
		return englishDate(t) + ", " + pad2(t.Hour()) + ":" + pad2(t.Minute())
	}
	return czechDate(t) + " " + clock(t)
}

// FormatDate formats the date of t, converted to loc (nil means UTC): Czech
// "23. 3. 2027", English "23 Mar 2027". ParseDate accepts both forms back.
func FormatDate(t time.Time, loc *time.Location, lang Lang) string {
	t = t.In(orUTC(loc))
	if lang.resolved() == English {
		return englishDate(t)
	}
	return czechDate(t)
}

// FormatDayMonth formats the day and month of t, converted to loc (nil means
// UTC): Czech "23. 3.", English "23 Mar".
func FormatDayMonth(t time.Time, loc *time.Location, lang Lang) string {
	t = t.In(orUTC(loc))
	if lang.resolved() == English {
		return itoa(t.Day()) + " " + englishMonthAbbr(t.Month())
	}
	return itoa(t.Day()) + ". " + itoa(int(t.Month())) + "."
}

// FormatWeekdayDateTime formats t, converted to loc (nil means UTC), with an
// abbreviated weekday in front: Czech "út 23. 3. 2027 10:00" (po, út, st, čt,
// pá, so, ne), English "Tue 23 Mar 2027, 10:00".
func FormatWeekdayDateTime(t time.Time, loc *time.Location, lang Lang) string {
	t = t.In(orUTC(loc))
	if lang.resolved() == English {
		return t.Weekday().String()[:3] + " " + FormatDateTime(t, loc, English)
	}
	return czechWeekdayAbbr(t.Weekday()) + " " + FormatDateTime(t, loc, Czech)
}

// JoinList joins items into a natural-language enumeration: Czech
// "a, b a c", English "a, b and c" (no serial comma). One item is returned as
// is; no items give "".
func JoinList(lang Lang, items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	and := " a "
	if lang.resolved() == English {
		and = " and "
	}
	last := len(items) - 1
	return strings.Join(items[:last], ", ") + and + items[last]
}

// czechDate formats t's date as "23. 3. 2027".
func czechDate(t time.Time) string {
	return itoa(t.Day()) + ". " + itoa(int(t.Month())) + ". " + itoa(t.Year())
}

// englishDate formats t's date as "23 Mar 2027".
func englishDate(t time.Time) string {
	return itoa(t.Day()) + " " + englishMonthAbbr(t.Month()) + " " + itoa(t.Year())
}

func englishMonthAbbr(m time.Month) string {
	if m < time.January || m > time.December {
		return itoa(int(m))
	}
	return m.String()[:3]
}

func czechWeekdayAbbr(d time.Weekday) string {
	switch d {
	case time.Monday:
		return "po"
	case time.Tuesday:
		return "út"
	case time.Wednesday:
		return "st"
	case time.Thursday:
		return "čt"
	case time.Friday:
		return "pá"
	case time.Saturday:
		return "so"
	}
	return "ne"
}

func itoa(n int) string { return strconv.Itoa(n) }

// pad2 formats n with at least two digits.
func pad2(n int) string {
	if n >= 0 && n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
