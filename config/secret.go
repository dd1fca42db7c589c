package config

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
)

// redacted is what a non-empty [Secret] prints as.
const redacted = "[redacted]"

// Secret is a string that never prints: String, GoString, LogValue,
// MarshalText and every fmt verb give "[redacted]" when it is non-empty and
// "" when it is empty. Reveal returns the value.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "" when s is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns String quoted, for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Format implements fmt.Formatter so that no verb (%v, %s, %q, %x, %#v, ...)
// prints the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), s.String())
}

// LogValue implements slog.LogValuer: the value is logged as "[redacted]",
// or "" when s is empty.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler so that encoders (JSON,
// TOML) write "[redacted]" instead of the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// secretKeys are the TOML keys whose values are secrets, wherever they
// appear (discord.token, mail.password, groups[].calendar_token).
var secretKeys = []string{"token", "password", "calendar_token"}

// secretKeyOn returns the secret key assigned on line, if any: a bare or
// quoted key from secretKeys followed by "=", at the start of the line,
// after a dot of a dotted key, or inside an inline table.
func secretKeyOn(line string) (string, bool) {
	for i := 0; i < len(line); i++ {
		for _, k := range secretKeys {
			if !strings.HasPrefix(line[i:], k) {
				continue
			}
			if i > 0 && !strings.ContainsRune(" \t{,.\"'", rune(line[i-1])) {
				continue
			}
			rest := strings.TrimLeft(line[i+len(k):], "\"'")
			if strings.HasPrefix(strings.TrimLeft(rest, " \t"), "=") {
				return k, true
			}
		}
	}
	return "", false
}

// secretOnLine reports whether line n (1-based) of data assigns a secret,
// and names the key as fully as the decoder's last key allows.
func secretOnLine(data []byte, n int, lastKey string) (string, bool) {
	lines := strings.Split(string(data), "\n")
	if n < 1 || n > len(lines) {
		return "", false
	}
	k, ok := secretKeyOn(lines[n-1])
	if !ok {
		return "", false
	}
	switch {
	case lastKey == "":
		return k, true
	case lastSegment(lastKey) == k:
		return lastKey, true
	default:
		return lastKey + "." + k, true
	}
}

// lastSegment returns the part of a dotted key after its last dot.
func lastSegment(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// scrubSecrets replaces every quoted fragment of msg ("..." or '...') that
// occurs in the value of a secret line of data by [redacted], so that a
// decoder message about another line (an unclosed string running on, say)
// cannot show part of a secret either.
func scrubSecrets(msg string, data []byte) string {
	var values []string
	for _, line := range strings.Split(string(data), "\n") {
		if _, ok := secretKeyOn(line); ok {
			if _, v, ok := strings.Cut(line, "="); ok {
				values = append(values, v)
			}
		}
	}
	if len(values) == 0 {
		return msg
	}
	var b strings.Builder
	for msg != "" {
		i := strings.IndexAny(msg, "\"'")
		if i < 0 {
			b.WriteString(msg)
			break
		}
		j := strings.IndexByte(msg[i+1:], msg[i])
		if j < 0 {
			b.WriteString(msg)
			break
		}
		frag := msg[i+1 : i+1+j]
		b.WriteString(msg[:i+1])
		if len(frag) >= 3 && slices.ContainsFunc(values, func(v string) bool { return strings.Contains(v, frag) }) {
			b.WriteString(redacted)
		} else {
			b.WriteString(frag)
		}
		b.WriteByte(msg[i])
		msg = msg[i+2+j:]
	}
	return b.String()
}
