package i18n

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestYearsBounded: dates far from today (year 9999, whose meetings end in
// year 10000 and break iCalendar) are refused with a sentence naming the
// supported years.
func TestYearsBounded(t *testing.T) {
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"31. 12. 9999 23:59", "1. 1. 3000 0:00", "31. 12. 1899 23:59", "1. 1. 1000 12:00",
		"2999-12-31T23:30:00Z", "1900-01-01T00:30:00+02:00"} {
		_, err := ParseDateTime(in, prague)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Kind != ErrOutOfRange {
			t.Errorf("ParseDateTime(%q) = %v, want ErrOutOfRange", in, err)
			continue
		}
		if msg := pe.Message(English); !strings.Contains(msg, "1900 to 2999") {
			t.Errorf("ParseDateTime(%q) message %q does not name the years", in, msg)
		}
	}
	for _, in := range []string{"9999-12-31", "1. 1. 3000", "31. 12. 1899"} {
		var pe *ParseError
		if _, err := ParseDate(in, prague); !errors.As(err, &pe) || pe.Kind != ErrOutOfRange {
			t.Errorf("ParseDate(%q) = %v, want ErrOutOfRange", in, err)
		}
	}
	for _, in := range []string{"31. 12. 2999 23:59", "1. 1. 1900 0:00", "23. 3. 2027 10:00"} {
		if _, err := ParseDateTime(in, prague); err != nil {
			t.Errorf("ParseDateTime(%q): %v", in, err)
		}
	}
}

func TestValidYear(t *testing.T) {
	for y, want := range map[int]bool{1899: false, 1900: true, 2027: true, 2999: true, 3000: false, 9999: false, 0: false} {
		if got := ValidYear(y); got != want {
			t.Errorf("ValidYear(%d) = %v, want %v", y, got, want)
		}
	}
}
