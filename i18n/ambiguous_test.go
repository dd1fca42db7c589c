package i18n

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestAmbiguousAutumnHour: 2:30 on the night the clocks go back occurs
// twice in Prague. Without a choice the summer-time one is taken and a note
// says so; a zone name or an offset after the time picks one.
func TestAmbiguousAutumnHour(t *testing.T) {
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	summer := time.Date(2027, 10, 31, 0, 30, 0, 0, time.UTC) // 2:30 CEST
	winter := time.Date(2027, 10, 31, 1, 30, 0, 0, time.UTC) // 2:30 CET

	got, amb, err := ParseDateTimeNote("31. 10. 2027 2:30", prague)
	if err != nil || !got.Equal(summer) || amb == nil {
		t.Fatalf("ParseDateTimeNote = %v, %+v, %v; want %v with a note", got, amb, err, summer)
	}
	if !amb.Taken.Equal(summer) || !amb.Other.Equal(winter) {
		t.Errorf("ambiguity %+v", amb)
	}
	cs, en := amb.Note(Czech), amb.Note(English)
	for _, want := range []string{"dvakrát", "2:30 SELČ", "2:30 SEČ", "+01:00"} {
		if !strings.Contains(cs, want) {
			t.Errorf("Czech note %q lacks %q", cs, want)
		}
	}
	for _, want := range []string{"twice", "2:30 CEST", "2:30 CET", "+01:00"} {
		if !strings.Contains(en, want) {
			t.Errorf("English note %q lacks %q", en, want)
		}
	}

	for in, want := range map[string]time.Time{
		"31. 10. 2027 2:30 SEČ":      winter,
		"31. 10. 2027 2:30 SELČ":     summer,
		"31. 10. 2027 2:30 sec":      winter,
		"31. 10. 2027 2:30 selc":     summer,
		"31. 10. 2027 2:30 CET":      winter,
		"31. 10. 2027 2:30 cest":     summer,
		"31. 10. 2027 v 2:30 zimní":  winter,
		"31. 10. 2027 2:30 letní":    summer,
		"31. 10. 2027 2:30 +01:00":   winter,
		"31. 10. 2027 2:30 +02:00":   summer,
		"31. 10. 2027 2:30 hod. SEČ": winter,
		"2027-10-31 02:30 CET":       winter,
		"23. 3. 2027 10:00 SEČ":      time.Date(2027, 3, 23, 9, 0, 0, 0, time.UTC),
	} {
		got, amb, err := ParseDateTimeNote(in, prague)
		if err != nil || !got.Equal(want) || amb != nil {
			t.Errorf("ParseDateTimeNote(%q) = %v, %+v, %v; want %v and no note", in, got, amb, err, want)
		}
		if got, err := ParseDateTime(in, prague); err != nil || !got.Equal(want) {
			t.Errorf("ParseDateTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"31. 10. 2027 3:30", "31. 10. 2027 1:30", "23. 3. 2027 10:00"} {
		if _, amb, err := ParseDateTimeNote(in, prague); err != nil || amb != nil {
			t.Errorf("ParseDateTimeNote(%q): note %+v, %v; want none", in, amb, err)
		}
	}
	for _, in := range []string{"31. 10. 2027 2:30 EST", "31. 10. 2027 2:30 xyz"} {
		var pe *ParseError
		if _, _, err := ParseDateTimeNote(in, prague); !errors.As(err, &pe) || pe.Kind != ErrSyntax {
			t.Errorf("ParseDateTimeNote(%q) = %v, want ErrSyntax", in, err)
		}
	}
}
