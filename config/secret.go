package config

import (
	"fmt"
	"log/slog"
	"strconv"
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
