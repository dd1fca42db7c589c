// Package i18n provides the Czech and English localisation helpers used by
// coordbot: parsing dates and times typed by people, formatting dates and
// times for display, joining lists, choosing plural forms and spelling small
// numbers.
//
// Czech is the primary language; wherever a Lang value is not recognised the
// functions fall back to Czech.
//
// Dates and times are always interpreted and displayed in an explicit
// *time.Location (normally Europe/Prague). A nil location is treated as UTC.
//
// Meeting times have minute precision. Seconds and fractions of a second are
// accepted in the ISO forms but discarded (the time is truncated to the start of
// its wall-clock minute), and the formatting functions never show seconds.
//
// Daylight-saving changes are handled explicitly rather than relying on
// time.Date, whose choice is unspecified and in practice depends on the sign of
// the zone's offset:
//
//   - A wall-clock time that does not exist in the location (the spring gap,
//     e.g. 28. 3. 2027 2:30 in Europe/Prague) is rejected with
//     ErrNonexistentLocalTime. time.Date would silently move it forward.
//   - A wall-clock time that exists twice (the autumn overlap, e.g.
//     31. 10. 2027 2:30 in Europe/Prague) resolves to the earlier instant, i.e.
//     the one still on summer time (00:30 UTC in this example). time.Date picks
//     the later instant (01:30 UTC) for Europe/Prague but the earlier one for
//     zones west of Greenwich such as America/New_York.
//
// The package holds no global mutable state, all functions are safe for
// concurrent use, and no input makes them panic.
package i18n

import (
	"fmt"
	"strings"
)

// Lang is a user interface language, identified by its lower-case ISO 639-1
// code.
type Lang string

const (
	// Czech is the primary language of coordbot.
	Czech Lang = "cs"
	// English is the secondary language of coordbot.
	English Lang = "en"
)

// ParseLang parses a language tag. It accepts "cs" and "en" in any letter case,
// optionally followed by a two-letter region joined with "-" or "_" (for
// example "cs-CZ", "en-US", "en-GB", "en_GB"). Surrounding white space is
// ignored. Any other value is an error.
func ParseLang(s string) (Lang, error) {
	tag := strings.ToLower(strings.TrimSpace(s))
	primary, region, hasRegion := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	if hasRegion && !isRegion(region) {
		return "", fmt.Errorf("i18n: unsupported language %q (want cs or en)", s)
	}
	switch primary {
	case "cs":
		return Czech, nil
	case "en":
		return English, nil
	}
	return "", fmt.Errorf("i18n: unsupported language %q (want cs or en)", s)
}

// isRegion reports whether s is a two-letter (lower-cased) region subtag.
func isRegion(s string) bool {
	return len(s) == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z'
}

// resolved returns English if l denotes English (in any form ParseLang
// accepts) and Czech otherwise.
func (l Lang) resolved() Lang {
	if l == English {
		return English
	}
	if p, err := ParseLang(string(l)); err == nil {
		return p
	}
	return Czech
}
