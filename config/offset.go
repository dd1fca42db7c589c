package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// offsetUnit is one unit of an offset string.
type offsetUnit struct {
	sym byte
	dur time.Duration
}

// offsetUnits returns the offset units, longest first.
func offsetUnits() [4]offsetUnit {
	return [4]offsetUnit{{'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}}
}

// ParseOffset parses an offset such as "14d", "1d", "1h", "30m", "45s" or a
// combination such as "1d12h". The units are d (24 hours), h, m and s; they
// appear in that order, each at most once. Negative numbers and fractions
// are not allowed; "0" is allowed and means zero. The error names the input.
func ParseOffset(s string) (time.Duration, error) {
	bad := func(format string, args ...any) (time.Duration, error) {
		return 0, fmt.Errorf("invalid offset %q: %s", s, fmt.Sprintf(format, args...))
	}
	switch {
	case s == "":
		return bad("empty (use e.g. \"1d\", \"2h\", \"30m\")")
	case s == "0":
		return 0, nil
	case s[0] == '-':
		return bad("negative offsets are not allowed")
	}
	units := offsetUnits()
	var total time.Duration
	next := 0 // index of the first unit still allowed
	for rest := s; rest != ""; {
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 0 {
			r, _ := utf8.DecodeRuneInString(rest)
			return bad("expected a number, found %q", r)
		}
		digits := rest[:n]
		rest = rest[n:]
		if rest == "" {
			return bad("missing unit after %s (use d, h, m or s)", digits)
		}
		if rest[0] == '.' || rest[0] == ',' {
			return bad("fractions are not allowed (write e.g. \"1h30m\" instead of \"1.5h\")")
		}
		idx := -1
		for i, u := range units {
			if rest[0] == u.sym {
				idx = i
				break
			}
		}
		if idx < 0 {
			r, _ := utf8.DecodeRuneInString(rest)
			return bad("unknown unit %q (use d, h, m or s)", r)
		}
		if idx < next {
			return bad("units must come in the order d, h, m, s, each at most once")
		}
		next = idx + 1
		rest = rest[1:]
		v, err := strconv.ParseInt(digits, 10, 64)
		unit := units[idx].dur
		if err != nil || v > math.MaxInt64/int64(unit) {
			return bad("too large")
		}
		add := time.Duration(v) * unit
		if total > math.MaxInt64-add {
			return bad("too large")
		}
		total += add
	}
	return total, nil
}

// FormatOffset is the inverse of [ParseOffset]: 336h gives "14d", 90m gives
// "1h30m" and 0 gives "0". Durations that ParseOffset cannot produce
// (negative ones, or ones with a fraction of a second) are formatted with
// [time.Duration.String].
func FormatOffset(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	if d < 0 || d%time.Second != 0 {
		return d.String()
	}
	var b strings.Builder
	for _, u := range offsetUnits() {
		if n := d / u.dur; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteByte(u.sym)
			d -= n * u.dur
		}
	}
	return b.String()
}

// parseSize parses mail.max_message_size: a positive TOML integer (bytes)
// or a string with a unit such as "25MiB", "10MB" or "500KiB".
func parseSize(v any) (int64, error) {
	switch v := v.(type) {
	case int64:
		if v <= 0 {
			return 0, fmt.Errorf("must be greater than zero, not %d", v)
		}
		return v, nil
	case string:
		return parseSizeString(v)
	default:
		return 0, fmt.Errorf("must be an integer (bytes) or a string like \"25MiB\", not %s", typeName(v))
	}
}

// parseSizeString parses a size string such as "25MiB" or "25 MiB".
func parseSizeString(s string) (int64, error) {
	const hint = "use a whole number with B, kB, MB, GB, KiB, MiB or GiB, e.g. \"25MiB\""
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("invalid size %q: %s", s, hint)
	}
	unit := strings.TrimPrefix(s[n:], " ")
	var mult int64
	switch unit {
	case "", "B":
		mult = 1
	case "kB", "KB":
		mult = 1000
	case "MB":
		mult = 1000 * 1000
	case "GB":
		mult = 1000 * 1000 * 1000
	case "KiB":
		mult = 1 << 10
	case "MiB":
		mult = 1 << 20
	case "GiB":
		mult = 1 << 30
	default:
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (%s)", s, unit, hint)
	}
	v, err := strconv.ParseInt(s[:n], 10, 64)
	if err != nil || v > math.MaxInt64/mult {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	if v == 0 {
		return 0, fmt.Errorf("invalid size %q: must be greater than zero", s)
	}
	return v * mult, nil
}
