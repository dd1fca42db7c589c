package i18n

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	_ "time/tzdata" // make the tests independent of the system zone database
)

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func utc(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, time.UTC)
}

func TestParseLang(t *testing.T) {
	tests := []struct {
		in   string
		want Lang
		ok   bool
	}{
		{"cs", Czech, true},
		{"CS", Czech, true},
		{"cs-CZ", Czech, true},
		{"cs_cz", Czech, true},
		{" en ", English, true},
		{"EN", English, true},
		{"en-US", English, true},
		{"en-GB", English, true},
		{"", "", false},
		{"cz", "", false},
		{"de", "", false},
		{"english", "", false},
		{"en-", "", false},
		{"en-USA", "", false},
		{"cs-CZ-x", "", false},
	}
	for _, tt := range tests {
		name := "rejects " + tt.in
		if tt.ok {
			name = tt.in + " is " + string(tt.want)
		}
		t.Run(name, func(t *testing.T) {
			got, err := ParseLang(tt.in)
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("ParseLang(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "i18n: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestParseDateTimeAcceptedFormats(t *testing.T) {
	prague := mustLoad(t, "Europe/Prague")
	// 23 March 2027 is on winter time (CET, UTC+1).
	at10 := utc(2027, 3, 23, 9, 0)
	tests := []struct {
		name string
		in   string
		want time.Time // UTC
	}{
		{"czech with spaces", "23. 3. 2027 10:00", at10},
		{"czech without spaces", "23.3.2027 10:00", at10},
		{"czech with v", "23. 3. 2027 v 10:00", at10},
		{"czech with ve", "24. 3. 2027 ve 14:00", utc(2027, 3, 24, 13, 0)},
		{"czech with comma", "23. 3. 2027, 10:00", at10},
		{"czech leading zeros and one-digit hour", "23. 03. 2027 9:05", utc(2027, 3, 23, 8, 5)},
		{"czech two-digit hour with zero", "03. 03. 2027 09:05", utc(2027, 3, 3, 8, 5)},
		{"czech dot as time separator", "23.3.2027 10.00", at10},
		{"czech mixed spaces after dots", "23.3. 2027 10:00", at10},
		{"czech with hod. suffix", "23. 3. 2027 v 10.00 hod.", at10},
		{"czech with h suffix", "23. 3. 2027 10:00 h", at10},
		{"czech month name", "23. března 2027 v 10:00", at10},
		{"czech month name without diacritics", "23. BREZNA 2027 10:00", at10},
		{"surrounding and repeated spaces", "   23.  3.   2027    10:00  ", at10},
		{"no-break and thin spaces", "23.\u00a03.\u202f2027\t10:00", at10},
		{"zero-width space dropped", "23.\u200b3.2027 10:00", at10},
		{"upper-case V", "23. 3. 2027 V 10:00", at10},
		{"english as formatted", "23 Mar 2027, 10:00", at10},
		{"english full month", "23 March 2027 at 10:00", at10},
		{"iso with space", "2027-03-23 10:00", at10},
		{"iso with T", "2027-03-23T10:00", at10},
		{"iso with lower-case t", "2027-03-23t10:00", at10},
		{"iso with seconds", "2027-03-23T10:00:00", at10},
		{"iso seconds truncated", "2027-03-23T10:00:59", at10},
		{"iso fraction truncated", "2027-03-23T10:00:00.999999999", at10},
		{"rfc3339 local offset", "2027-03-23T10:00:00+01:00", at10},
		{"rfc3339 Z converted to prague", "2027-03-23T09:00:00Z", at10},
		{"rfc3339 other offset converted", "2027-03-23T12:00:00+03:00", at10},
		{"rfc3339 negative offset", "2027-03-23T04:00:00-05:00", at10},
		{"rfc3339 half-hour offset", "2027-03-23T14:30:00+05:30", at10},
		{"rfc3339 fraction truncated", "2027-03-23T09:00:30.5Z", at10},
		{"rfc3339 without seconds", "2027-03-23T09:00Z", at10},
		{"midnight", "1. 1. 2027 0:00", utc(2026, 12, 31, 23, 0)},
		{"last minute of day", "31. 12. 2027 23:59", utc(2027, 12, 31, 22, 59)},
		{"leap day", "29. 2. 2028 10:00", utc(2028, 2, 29, 9, 0)},
		{"summer time", "23. 6. 2027 10:00", utc(2027, 6, 23, 8, 0)},
		{"smallest year", "1. 1. 1900 12:00", time.Date(1900, 1, 1, 12, 0, 0, 0, prague).UTC()},
		{"largest year", "31. 12. 2999 23:59", utc(2999, 12, 31, 22, 59)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDateTime(tt.in, prague)
			if err != nil {
				t.Fatalf("ParseDateTime(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseDateTime(%q) = %v (%v UTC), want %v UTC", tt.in, got, got.UTC(), tt.want)
			}
			if got.Location() != prague {
				t.Errorf("location = %v, want Europe/Prague", got.Location())
			}
			if got.Second() != 0 || got.Nanosecond() != 0 {
				t.Errorf("result %v is not on a whole minute", got)
			}
		})
	}
}

// wantParseError checks that err is a *ParseError of the given kind with a
// usable Error and Message.
func wantParseError(t *testing.T, in string, err error, kind ErrorKind) *ParseError {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("%q: error %v (%T) is not a *ParseError", in, err, err)
	}
	if pe.Kind != kind {
		t.Fatalf("%q: kind = %v, want %v (%v)", in, pe.Kind, kind, err)
	}
	if pe.Input != in {
		t.Errorf("Input = %q, want %q", pe.Input, in)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "i18n: ") {
		t.Errorf("Error() = %q lacks the package prefix", msg)
	}
	if utf8.RuneCountInString(in) <= maxQuotedError && !strings.Contains(msg, strconv.Quote(in)) {
		t.Errorf("Error() = %q does not quote the input", msg)
	}
	for _, lang := range []Lang{Czech, English} {
		if m := pe.Message(lang); m == "" {
			t.Errorf("Message(%s) is empty", lang)
		}
	}
	return pe
}

func TestParseDateTimeErrors(t *testing.T) {
	prague := mustLoad(t, "Europe/Prague")
	tests := []struct {
		name string
		in   string
		kind ErrorKind
	}{
		{"syntax error for empty input", "", ErrSyntax},
		{"syntax error for spaces only", "   ", ErrSyntax},
		{"syntax error for words", "příští úterý", ErrSyntax},
		{"syntax error for missing time", "23. 3. 2027", ErrSyntax},
		{"syntax error for missing time in iso", "2027-03-23", ErrSyntax},
		{"syntax error for two-digit year", "23. 3. 27 10:00", ErrSyntax},
		{"syntax error for five-digit year", "23. 3. 20277 10:00", ErrSyntax},
		{"syntax error for time first", "10:00 23. 3. 2027", ErrSyntax},
		{"syntax error for hour only", "23. 3. 2027 10", ErrSyntax},
		{"syntax error for one-digit minutes", "23. 3. 2027 10:0", ErrSyntax},
		{"syntax error for three-digit hour", "23. 3. 2027 100:00", ErrSyntax},
		{"syntax error for trailing text", "23. 3. 2027 10:00 ráno", ErrSyntax},
		{"syntax error for missing dot", "23. 3 2027 10:00", ErrSyntax},
		{"syntax error for slashes", "23/3/2027 10:00", ErrSyntax},
		{"syntax error for offset after czech date", "23. 3. 2027 10:00Z", ErrSyntax},
		{"syntax error for offset hour 24", "2027-03-23T10:00:00+24:00", ErrSyntax},
		{"syntax error for offset without colon", "2027-03-23T10:00:00+0100", ErrSyntax},
		{"syntax error for non-ascii digits", "٢٣. 3. 2027 10:00", ErrSyntax},
		{"syntax error for invalid utf-8", "23. 3. 2027 10:00\xff", ErrSyntax},
		{"syntax error for unknown month name", "23. bla 2027 10:00", ErrSyntax},
		{"syntax error for very long input", strings.Repeat(" ", 300) + "23. 3. 2027 10:00", ErrSyntax},
		{"no such date for 31 February", "31. 2. 2027 10:00", ErrNoSuchDate},
		{"no such date rather than missing time", "31. 2. 2027", ErrNoSuchDate},
		{"no such date for 29 February in common year", "29. 2. 2027 10:00", ErrNoSuchDate},
		{"no such date for 29 February 2100", "29. 2. 2100 10:00", ErrNoSuchDate},
		{"no such date for 31 April", "31. 4. 2027 10:00", ErrNoSuchDate},
		{"no such date for month 13", "1. 13. 2027 10:00", ErrNoSuchDate},
		{"no such date for month 0", "1. 0. 2027 10:00", ErrNoSuchDate},
		{"no such date for day 0", "0. 1. 2027 10:00", ErrNoSuchDate},
		{"no such date for day 32", "32. 1. 2027 10:00", ErrNoSuchDate},
		{"no such date in iso", "2027-02-31T10:00", ErrNoSuchDate},
		{"no such date with offset", "2027-02-29T10:00:00Z", ErrNoSuchDate},
		{"no such time for 24:00", "23. 3. 2027 24:00", ErrNoSuchTime},
		{"no such time for minute 60", "23. 3. 2027 10:60", ErrNoSuchTime},
		{"no such time for 99.99", "23. 3. 2027 99.99", ErrNoSuchTime},
		{"no such time for second 60", "2027-03-23T10:00:60", ErrNoSuchTime},
		{"no such time with offset", "2027-03-23T25:00:00Z", ErrNoSuchTime},
		{"nonexistent local time at 2:30 in spring gap", "28. 3. 2027 2:30", ErrNonexistentLocalTime},
		{"nonexistent local time at 2:00 in spring gap", "28. 3. 2027 2:00", ErrNonexistentLocalTime},
		{"nonexistent local time at 2:59 in spring gap", "2027-03-28 02:59", ErrNonexistentLocalTime},
		{"out of range for year 0999", "1. 1. 0999 10:00", ErrOutOfRange},
		{"out of range for year 0000", "0000-01-01 10:00", ErrOutOfRange},
		{"out of range after conversion to prague", "2999-12-31T23:30:00Z", ErrOutOfRange},
		{"out of range before year 1900 after conversion", "1900-01-01T00:30:00+02:00", ErrOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDateTime(tt.in, prague)
			if err == nil {
				t.Fatalf("ParseDateTime(%q) = %v, want error %v", tt.in, got, tt.kind)
			}
			if !got.IsZero() {
				t.Errorf("time on error = %v, want zero", got)
			}
			wantParseError(t, tt.in, err, tt.kind)
		})
	}
}

func TestParseDateTimePragueDST2027(t *testing.T) {
	prague := mustLoad(t, "Europe/Prague")
	tests := []struct {
		name string
		in   string
		want time.Time // UTC; zero means ErrNonexistentLocalTime
	}{
		// Spring: 28 March 2027, 2:00 CET becomes 3:00 CEST (01:00 UTC).
		{"spring 1:59 is winter time", "28. 3. 2027 1:59", utc(2027, 3, 28, 0, 59)},
		{"spring 2:00 does not exist", "28. 3. 2027 2:00", time.Time{}},
		{"spring 2:30 does not exist", "28. 3. 2027 2:30", time.Time{}},
		{"spring 2:59 does not exist", "28. 3. 2027 2:59", time.Time{}},
		{"spring 3:00 is summer time", "28. 3. 2027 3:00", utc(2027, 3, 28, 1, 0)},
		// Autumn: 31 October 2027, 3:00 CEST becomes 2:00 CET (01:00 UTC);
		// 2:00-2:59 happen twice and resolve to the earlier (CEST) instant.
		{"autumn 1:59 is summer time", "31. 10. 2027 1:59", utc(2027, 10, 30, 23, 59)},
		{"autumn 2:00 is the earlier instant", "31. 10. 2027 2:00", utc(2027, 10, 31, 0, 0)},
		{"autumn 2:30 is the earlier instant", "31. 10. 2027 2:30", utc(2027, 10, 31, 0, 30)},
		{"autumn 2:30 iso is the earlier instant", "2027-10-31T02:30", utc(2027, 10, 31, 0, 30)},
		{"autumn 2:59 is the earlier instant", "31. 10. 2027 2:59", utc(2027, 10, 31, 0, 59)},
		{"autumn 3:00 is winter time", "31. 10. 2027 3:00", utc(2027, 10, 31, 2, 0)},
		{"autumn later 2:30 via explicit offset", "2027-10-31T02:30:00+01:00", utc(2027, 10, 31, 1, 30)},
		{"autumn earlier 2:30 via explicit offset", "2027-10-31T02:30:00+02:00", utc(2027, 10, 31, 0, 30)},
		{"spring gap instant via Z", "2027-03-28T01:30:00Z", utc(2027, 3, 28, 1, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDateTime(tt.in, prague)
			if tt.want.IsZero() {
				wantParseError(t, tt.in, err, ErrNonexistentLocalTime)
				return
			}
			if err != nil {
				t.Fatalf("ParseDateTime(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseDateTime(%q) = %v = %v UTC, want %v UTC", tt.in, got, got.UTC(), tt.want)
			}
		})
	}
}

func TestParseDateTimeOtherZones(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	tests := []struct {
		name string
		in   string
		loc  *time.Location
		want time.Time // zero means ErrNonexistentLocalTime
	}{
		{"new york autumn 1:30 is the earlier EDT instant", "7. 11. 2027 1:30", ny, utc(2027, 11, 7, 5, 30)},
		{"new york spring 2:30 does not exist", "14. 3. 2027 2:30", ny, time.Time{}},
		{"new york spring 3:00 exists", "14. 3. 2027 3:00", ny, utc(2027, 3, 14, 7, 0)},
		{"utc location", "23. 3. 2027 10:00", time.UTC, utc(2027, 3, 23, 10, 0)},
		{"nil location is utc", "23. 3. 2027 10:00", nil, utc(2027, 3, 23, 10, 0)},
		{"fixed zone", "23. 3. 2027 10:00", time.FixedZone("X", -3*3600), utc(2027, 3, 23, 13, 0)},
		{"sao paulo midnight gap", "4. 11. 2018 0:30", mustLoad(t, "America/Sao_Paulo"), time.Time{}},
		{"apia skipped day", "30. 12. 2011 12:00", mustLoad(t, "Pacific/Apia"), time.Time{}},
		{"kathmandu local mean time", "1. 1. 1910 12:00", mustLoad(t, "Asia/Kathmandu"), time.Date(1910, 1, 1, 12, 0, 0, 0, mustLoad(t, "Asia/Kathmandu"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDateTime(tt.in, tt.loc)
			if tt.want.IsZero() {
				wantParseError(t, tt.in, err, ErrNonexistentLocalTime)
				return
			}
			if err != nil {
				t.Fatalf("ParseDateTime(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseDateTime(%q) = %v, want %v", tt.in, got, tt.want.UTC())
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	prague := mustLoad(t, "Europe/Prague")
	saoPaulo := mustLoad(t, "America/Sao_Paulo")
	apia := mustLoad(t, "Pacific/Apia")
	tests := []struct {
		name string
		in   string
		loc  *time.Location
		want time.Time
		kind ErrorKind // when want is zero
	}{
		{"czech with spaces at midnight", "23. 3. 2027", prague, time.Date(2027, 3, 23, 0, 0, 0, 0, prague), 0},
		{"czech without spaces at midnight", "23.3.2027", prague, time.Date(2027, 3, 23, 0, 0, 0, 0, prague), 0},
		{"iso at midnight", "2027-03-23", prague, time.Date(2027, 3, 23, 0, 0, 0, 0, prague), 0},
		{"english at midnight", "23 Mar 2027", prague, time.Date(2027, 3, 23, 0, 0, 0, 0, prague), 0},
		{"czech month name at midnight", " 23. března 2027 ", prague, time.Date(2027, 3, 23, 0, 0, 0, 0, prague), 0},
		{"spring change day starts at CET midnight", "28. 3. 2027", prague, utc(2027, 3, 27, 23, 0), 0},
		{"autumn change day starts at CEST midnight", "31. 10. 2027", prague, utc(2027, 10, 30, 22, 0), 0},
		{"skipped midnight starts the day at 1:00", "4. 11. 2018", saoPaulo, utc(2018, 11, 4, 3, 0), 0},
		{"nonexistent local time for skipped day", "30. 12. 2011", apia, time.Time{}, ErrNonexistentLocalTime},
		{"syntax error for date with time", "23. 3. 2027 10:00", prague, time.Time{}, ErrSyntax},
		{"syntax error for garbage", "zítra", prague, time.Time{}, ErrSyntax},
		{"syntax error for empty", "", prague, time.Time{}, ErrSyntax},
		{"no such date for 31 February", "31. 2. 2027", prague, time.Time{}, ErrNoSuchDate},
		{"no such date for 29 February", "29. 2. 2027", prague, time.Time{}, ErrNoSuchDate},
		{"no such date for month 13", "2027-13-01", prague, time.Time{}, ErrNoSuchDate},
		{"out of range for year 0999", "31. 12. 0999", prague, time.Time{}, ErrOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in, tt.loc)
			if tt.want.IsZero() {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %v, want error %v", tt.in, got, tt.kind)
				}
				wantParseError(t, tt.in, err, tt.kind)
				return
			}
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseDate(%q) = %v (%v UTC), want %v UTC", tt.in, got, got.UTC(), tt.want.UTC())
			}
		})
	}
}

func TestMessages(t *testing.T) {
	prague := mustLoad(t, "Europe/Prague")
	tests := []struct {
		name   string
		in     string
		date   string // must appear in both messages
		cs, en string // exact expected texts, if not empty
	}{
		{
			name: "no such date names the month length",
			in:   "31. 2. 2027 10:00", date: "31. 2. 2027",
			cs: "Datum 31. 2. 2027 neexistuje (únor 2027 má jen 28 dní).",
			en: "The date 31. 2. 2027 does not exist (February 2027 has only 28 days).",
		},
		{
			name: "no such date for month 13 names the month range",
			in:   "1. 13. 2027 10:00", date: "1. 13. 2027",
			cs: "Datum 1. 13. 2027 neexistuje (měsíc může být jen 1 až 12).",
			en: "The date 1. 13. 2027 does not exist (the month must be 1 to 12).",
		},
		{
			name: "nonexistent local time explains the spring change",
			in:   "28. 3. 2027 2:30", date: "28. 3. 2027",
			cs: "Čas 2:30 dne 28. 3. 2027 v časovém pásmu Europe/Prague neexistuje (posun hodin na letní čas: z 2:00 rovnou na 3:00). Zvolte prosím jiný čas.",
			en: "The time 2:30 on 28. 3. 2027 does not exist in the time zone Europe/Prague (clocks go forward for daylight saving time, from 2:00 straight to 3:00). Please choose a different time.",
		},
		{
			name: "syntax error quotes the input",
			in:   "23. 3. 2027 kolem desáté", date: "23. 3. 2027",
			cs: "Datu a času „23. 3. 2027 kolem desáté“ nerozumím. Zadejte je prosím např. jako 23. 3. 2027 10:00.",
			en: "I don't understand the date and time “23. 3. 2027 kolem desáté”. Please enter them e.g. as 23 Mar 2027 10:00, 23. 3. 2027 10:00 or 2027-03-23 10:00.",
		},
		{
			name: "missing time names the date",
			in:   "23. 3. 2027", date: "23. 3. 2027",
			cs: "U data 23. 3. 2027 chybí čas. Zadejte prosím datum i čas, např. 23. 3. 2027 10:00.",
		},
		{
			name: "24:00 suggests midnight of the next day",
			in:   "23. 3. 2027 24:00", date: "23. 3. 2027",
			cs: "Neplatný čas 24:00 u data 23. 3. 2027: půlnoc zadejte jako 0:00 následujícího dne (24. 3. 2027).",
			en: "Invalid time 24:00 on 23. 3. 2027: for midnight, enter 0:00 of the following day (24 Mar 2027).",
		},
		{
			name: "minute 60 names the minute range",
			in:   "23. 3. 2027 10:60", date: "23. 3. 2027",
			cs: "Neplatný čas 10:60 u data 23. 3. 2027: minuty mohou být jen 0 až 59.",
			en: "Invalid time 10:60 on 23. 3. 2027: minutes must be 0 to 59.",
		},
		{
			name: "hour 25 names the hour range",
			in:   "2027-03-23 25:00", date: "2027-03-23",
			cs: "Neplatný čas 25:00 u data 2027-03-23: hodiny mohou být jen 0 až 23.",
		},
		{
			name: "out of range names the years",
			in:   "1. 1. 0999 10:00", date: "1. 1. 0999",
			cs: "Datum 1. 1. 0999 je mimo podporovaný rozsah (roky 1900 až 2999).",
		},
		{name: "iso no such date contains the date", in: "2027-02-29T10:00", date: "2027-02-29"},
		{name: "spaces normalised in the repeated date", in: "  28.  3.  2027   v 2:30 ", date: "28. 3. 2027"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDateTime(tt.in, prague)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseDateTime(%q) error = %v, want *ParseError", tt.in, err)
			}
			for _, c := range []struct {
				lang Lang
				want string
			}{{Czech, tt.cs}, {English, tt.en}} {
				got := pe.Message(c.lang)
				if got == "" || !strings.Contains(got, tt.date) {
					t.Errorf("Message(%s) = %q, want it to contain %q", c.lang, got, tt.date)
				}
				if c.want != "" && got != c.want {
					t.Errorf("Message(%s) =\n%q, want\n%q", c.lang, got, c.want)
				}
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	prague := mustLoad(t, "Europe/Prague")
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"no such date", "31. 2. 2027 10:00", `i18n: "31. 2. 2027 10:00" is not a valid date`},
		{"no such time", "23. 3. 2027 10:60", `i18n: "23. 3. 2027 10:60" is not a valid time of day`},
		{"syntax", "whenever", `i18n: "whenever" is not a recognised date and time`},
		{"missing time", "23. 3. 2027", `i18n: "23. 3. 2027" has a date but no time`},
		{"nonexistent", "28. 3. 2027 2:30", `i18n: "28. 3. 2027 2:30" does not exist in time zone Europe/Prague (skipped by a clock change)`},
		{"control characters escaped", "a\nb", `i18n: "a\nb" is not a recognised date and time`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDateTime(tt.in, prague)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestMessageIsSafe(t *testing.T) {
	inputs := map[string]string{
		"control characters":  "23. 3.\n2027\x00 10:00\r\x1b[31m",
		"bidi override":       "\u202e00:01 7202 .3 .32",
		"very long input":     strings.Repeat("ž", 10000),
		"invalid utf-8":       "\xff\xfe23. 3.",
		"only invisible":      "\u200b\u200e",
		"many spaces":         "a" + strings.Repeat(" ", 100) + "b",
		"quotes are harmless": "„“\"'`*_~",
	}
	for name, in := range inputs {
		t.Run(name+" gives a short printable line", func(t *testing.T) {
			_, err := ParseDateTime(in, nil)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("want *ParseError, got %v", err)
			}
			for _, lang := range []Lang{Czech, English, "de", ""} {
				m := pe.Message(lang)
				if m == "" || !utf8.ValidString(m) || utf8.RuneCountInString(m) > 250 {
					t.Errorf("Message(%q) = %q", lang, m)
				}
				for _, r := range m {
					if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
						t.Errorf("Message(%q) = %q contains %U", lang, m, r)
					}
				}
			}
			if n := utf8.RuneCountInString(err.Error()); n > 200 {
				t.Errorf("Error() is %d runes long", n)
			}
		})
	}
}

func TestParseErrorWithoutContext(t *testing.T) {
	kinds := []ErrorKind{0, ErrSyntax, ErrNoSuchDate, ErrNoSuchTime, ErrNonexistentLocalTime, ErrOutOfRange, 99}
	for _, k := range kinds {
		t.Run(k.String()+" still has a message", func(t *testing.T) {
			e := &ParseError{Input: "31. 2. 2027 10:00", Kind: k}
			for _, lang := range []Lang{Czech, English} {
				if m := e.Message(lang); !strings.Contains(m, "31. 2. 2027") {
					t.Errorf("Message(%s) = %q", lang, m)
				}
			}
			if e.Error() == "" {
				t.Error("empty Error()")
			}
		})
	}
	t.Run("nil error does not panic", func(t *testing.T) {
		var e *ParseError
		if e.Error() == "" || e.Message(Czech) == "" || e.Message(English) == "" {
			t.Error("empty text for nil *ParseError")
		}
	})
}

func TestFormat(t *testing.T) {
	prague := mustLoad(t, "Europe/Prague")
	tue := utc(2027, 3, 23, 9, 0)        // 10:00 CET, Tuesday
	early := utc(2027, 6, 5, 7, 5)       // 9:05 CEST, Saturday
	newYear := utc(2027, 12, 31, 23, 30) // 0:30 on 1 January 2028 in Prague, Saturday
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"cs date time", FormatDateTime(tue, prague, Czech), "23. 3. 2027 10:00"},
		{"cs date time without leading zeros", FormatDateTime(early, prague, Czech), "5. 6. 2027 9:05"},
		{"cs date time converted across midnight", FormatDateTime(newYear, prague, Czech), "1. 1. 2028 0:30"},
		{"en date time", FormatDateTime(tue, prague, English), "23 Mar 2027, 10:00"},
		{"en date time with two-digit hour", FormatDateTime(early, prague, English), "5 Jun 2027, 09:05"},
		{"unknown language is czech", FormatDateTime(tue, prague, "de"), "23. 3. 2027 10:00"},
		{"regional english tag is english", FormatDateTime(tue, prague, "en-GB"), "23 Mar 2027, 10:00"},
		{"nil location is utc", FormatDateTime(tue, nil, Czech), "23. 3. 2027 9:00"},
		{"cs date", FormatDate(tue, prague, Czech), "23. 3. 2027"},
		{"en date", FormatDate(tue, prague, English), "23 Mar 2027"},
		{"cs date converted", FormatDate(newYear, prague, Czech), "1. 1. 2028"},
		{"cs day month", FormatDayMonth(tue, prague, Czech), "23. 3."},
		{"en day month", FormatDayMonth(tue, prague, English), "23 Mar"},
		{"cs weekday", FormatWeekdayDateTime(tue, prague, Czech), "út 23. 3. 2027 10:00"},
		{"en weekday", FormatWeekdayDateTime(tue, prague, English), "Tue 23 Mar 2027, 10:00"},
		{"cs weekday after conversion", FormatWeekdayDateTime(newYear, prague, Czech), "so 1. 1. 2028 0:30"},
		{"en weekday after conversion", FormatWeekdayDateTime(newYear, prague, English), "Sat 1 Jan 2028, 00:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestCzechWeekdays(t *testing.T) {
	want := []string{"po", "út", "st", "čt", "pá", "so", "ne"}
	for i, w := range want {
		day := utc(2027, 3, 22+i, 12, 0) // 22 March 2027 is a Monday
		t.Run(w, func(t *testing.T) {
			got := FormatWeekdayDateTime(day, time.UTC, Czech)
			if !strings.HasPrefix(got, w+" ") {
				t.Errorf("got %q, want prefix %q", got, w)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	prague := mustLoad(t, "Europe/Prague")
	// Every 7 minutes through 2027 covers both clock changes.
	start := time.Date(2027, 1, 1, 0, 0, 0, 0, prague)
	end := time.Date(2028, 1, 1, 0, 0, 0, 0, prague)
	for _, lang := range []Lang{Czech, English} {
		t.Run(string(lang)+" format then parse gives the same instant", func(t *testing.T) {
			for tm := start; tm.Before(end); tm = tm.Add(7 * time.Minute) {
				s := FormatDateTime(tm, prague, lang)
				got, err := ParseDateTime(s, prague)
				if err != nil {
					t.Fatalf("ParseDateTime(%q): %v", s, err)
				}
				if got.Equal(tm) {
					continue
				}
				// Only the second 2:00-2:59 on 31 October is expected to
				// come back as the first one.
				if tm.Sub(got) != time.Hour || FormatDateTime(got, prague, lang) != s {
					t.Fatalf("%v formatted as %q parsed as %v", tm, s, got)
				}
			}
		})
		t.Run(string(lang)+" format date then parse gives the start of the day", func(t *testing.T) {
			for tm := start; tm.Before(end); tm = tm.Add(24 * time.Hour) {
				s := FormatDate(tm, prague, lang)
				got, err := ParseDate(s, prague)
				if err != nil {
					t.Fatalf("ParseDate(%q): %v", s, err)
				}
				y, m, d := tm.Date()
				if !got.Equal(time.Date(y, m, d, 0, 0, 0, 0, prague)) {
					t.Fatalf("%v formatted as %q parsed as %v", tm, s, got)
				}
			}
		})
	}
}

func TestJoinList(t *testing.T) {
	tests := []struct {
		name  string
		lang  Lang
		items []string
		want  string
	}{
		{"cs none is empty", Czech, nil, ""},
		{"cs one is itself", Czech, []string{"Brno"}, "Brno"},
		{"cs two joined with a", Czech, []string{"Brno", "Zlín"}, "Brno a Zlín"},
		{"cs three with commas and a", Czech, []string{"Brno", "Zlín", "Jihlava"}, "Brno, Zlín a Jihlava"},
		{"en none is empty", English, []string{}, ""},
		{"en one is itself", English, []string{"a"}, "a"},
		{"en two joined with and", English, []string{"a", "b"}, "a and b"},
		{"en three without serial comma", English, []string{"a", "b", "c"}, "a, b and c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := JoinList(tt.lang, tt.items); got != tt.want {
				t.Errorf("JoinList = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPluralAndCount(t *testing.T) {
	const one, few, many = "účastník", "účastníci", "účastníků"
	tests := []struct {
		lang Lang
		n    int
		want string
	}{
		{Czech, 0, many},
		{Czech, 1, one},
		{Czech, 2, few},
		{Czech, 3, few},
		{Czech, 4, few},
		{Czech, 5, many},
		{Czech, 11, many},
		{Czech, 12, many},
		{Czech, 21, many},
		{Czech, 22, many},
		{Czech, 100, many},
		{Czech, -1, one},
		{Czech, -2, few},
		{Czech, -5, many},
		{Czech, math.MinInt, many},
		{Czech, math.MaxInt, many},
		{English, 0, many},
		{English, 1, one},
		{English, 2, many},
		{English, 4, many},
		{English, 5, many},
		{English, 21, many},
		{English, -1, one},
	}
	for _, tt := range tests {
		t.Run(string(tt.lang)+" "+itoa(tt.n)+" takes "+tt.want, func(t *testing.T) {
			if got := Plural(tt.lang, tt.n, one, few, many); got != tt.want {
				t.Errorf("Plural(%s, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
			}
			if got, want := Count(tt.lang, tt.n, one, few, many), itoa(tt.n)+" "+tt.want; got != want {
				t.Errorf("Count(%s, %d) = %q, want %q", tt.lang, tt.n, got, want)
			}
		})
	}
	t.Run("count example", func(t *testing.T) {
		if got := Count(Czech, 5, "účastník", "účastníci", "účastníků"); got != "5 účastníků" {
			t.Errorf("got %q", got)
		}
		if got := Count(Czech, 22, "účastník", "účastníci", "účastníků"); got != "22 účastníků" {
			t.Errorf("got %q", got)
		}
		if got := Count(English, 1, "participant", "", "participants"); got != "1 participant" {
			t.Errorf("got %q", got)
		}
	})
}

func TestCardinal(t *testing.T) {
	tests := []struct {
		lang Lang
		n    int
		g    Gender
		want string
	}{
		{Czech, 0, Masculine, "nula"},
		{Czech, 1, Masculine, "jeden"},
		{Czech, 1, Feminine, "jedna"},
		{Czech, 1, Neuter, "jedno"},
		{Czech, 2, Masculine, "dva"},
		{Czech, 2, Feminine, "dvě"},
		{Czech, 2, Neuter, "dvě"},
		{Czech, 3, Neuter, "tři"},
		{Czech, 4, Feminine, "čtyři"},
		{Czech, 14, Masculine, "čtrnáct"},
		{Czech, 19, Masculine, "devatenáct"},
		{Czech, 20, Neuter, "dvacet"},
		{Czech, 21, Masculine, "21"},
		{Czech, -1, Feminine, "-1"},
		{Czech, 1, Gender(42), "jeden"},
		{English, 0, Masculine, "zero"},
		{English, 1, Feminine, "one"},
		{English, 3, Neuter, "three"},
		{English, 12, Masculine, "twelve"},
		{English, 20, Masculine, "twenty"},
		{English, 1000, Masculine, "1000"},
	}
	for _, tt := range tests {
		t.Run(string(tt.lang)+" "+itoa(tt.n)+" is "+tt.want, func(t *testing.T) {
			if got := Cardinal(tt.lang, tt.n, tt.g); got != tt.want {
				t.Errorf("Cardinal(%s, %d, %d) = %q, want %q", tt.lang, tt.n, tt.g, got, tt.want)
			}
		})
	}
}

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{
		"23. 3. 2027 10:00", "23.3.2027 10:00", "23. 3. 2027 v 10:00", "23. 03. 2027 9:05",
		"23.3.2027 10.00", "2027-03-23 10:00", "2027-03-23T10:00", "2027-03-23T10:00:00",
		"2027-03-23T10:00:00+01:00", "2027-03-23T09:00:00Z", "  23.  3.  2027   10:00 ",
		"24. 3. 2027 ve 14:00", "23. března 2027 10:00 hod.", "23 Mar 2027, 10:00",
		"2027-03-23T09:00:30.123Z", "31. 2. 2027 10:00", "29. 2. 2027 10:00", "1. 13. 2027 10:00",
		"23. 3. 2027 24:00", "23. 3. 2027 10:60", "28. 3. 2027 2:30", "31. 10. 2027 2:30",
		"2027-10-31T01:30:00Z", "1. 1. 0999 10:00", "9999-12-31T23:30:00Z", "23. 3. 2027", "",
		"1891-09-30T23:02:30Z", "1. 10. 1891 0:02",
	} {
		f.Add(s)
	}
	prague := mustLoad(f, "Europe/Prague")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDateTime(s, prague)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, not *ParseError", err, err)
			}
			if pe.Message(Czech) == "" || pe.Message(English) == "" || pe.Error() == "" {
				t.Fatalf("empty text for %#v", pe)
			}
			return
		}
		if got.Location() != prague || got.Second() != 0 || got.Nanosecond() != 0 {
			t.Fatalf("ParseDateTime(%q) = %v, want a whole minute in Europe/Prague", s, got)
		}
		for _, lang := range []Lang{Czech, English} {
			formatted := FormatDateTime(got, prague, lang)
			again, err := ParseDateTime(formatted, prague)
			if err != nil {
				t.Fatalf("ParseDateTime(%q) = %v; formatted %q does not parse: %v", s, got, formatted, err)
			}
			if again.Equal(got) {
				continue
			}
			// An explicit offset can name the second occurrence of an
			// ambiguous wall-clock time, which the offset-free format
			// cannot express; it comes back as the first occurrence.
			if !again.Before(got) || FormatDateTime(again, prague, lang) != formatted {
				t.Fatalf("ParseDateTime(%q) = %v, formatted %q, parsed again as %v", s, got, formatted, again)
			}
		}
	})
}
