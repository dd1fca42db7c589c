package i18n

import (
	"strings"
	"testing"
	"time"
)

// mailMonths is every name the mail Date header parser knew before it used
// MonthByName: all Czech forms and abbreviations, with and without
// diacritics, and English names.
var mailMonths = map[string]time.Month{
	"jan": 1, "january": 1, "led": 1, "leden": 1, "ledna": 1,
	"feb": 2, "february": 2, "úno": 2, "uno": 2, "únor": 2, "unor": 2, "února": 2, "unora": 2,
	"mar": 3, "march": 3, "bře": 3, "bre": 3, "březen": 3, "brezen": 3, "března": 3, "brezna": 3,
	"apr": 4, "april": 4, "dub": 4, "duben": 4, "dubna": 4,
	"may": 5, "kvě": 5, "kve": 5, "květen": 5, "kveten": 5, "května": 5, "kvetna": 5,
	"jun": 6, "june": 6, "čer": 6, "cer": 6, "červen": 6, "cerven": 6, "června": 6, "cervna": 6,
	"jul": 7, "july": 7, "čvc": 7, "cvc": 7, "črc": 7, "crc": 7, "červenec": 7, "cervenec": 7, "července": 7, "cervence": 7,
	"aug": 8, "august": 8, "srp": 8, "srpen": 8, "srpna": 8,
	"sep": 9, "sept": 9, "september": 9, "zář": 9, "zar": 9, "září": 9, "zari": 9,
	"oct": 10, "october": 10, "říj": 10, "rij": 10, "říjen": 10, "rijen": 10, "října": 10, "rijna": 10,
	"nov": 11, "november": 11, "lis": 11, "listopad": 11, "listopadu": 11,
	"dec": 12, "december": 12, "pro": 12, "prosinec": 12, "prosince": 12,
}

// dateMonths is every name ParseDateTime knew before it used the shared
// table: Czech genitives and English names.
var dateMonths = map[string]time.Month{
	"ledna": 1, "jan": 1, "january": 1,
	"února": 2, "unora": 2, "feb": 2, "february": 2,
	"března": 3, "brezna": 3, "mar": 3, "march": 3,
	"dubna": 4, "apr": 4, "april": 4,
	"května": 5, "kvetna": 5, "may": 5,
	"června": 6, "cervna": 6, "jun": 6, "june": 6,
	"července": 7, "cervence": 7, "jul": 7, "july": 7,
	"srpna": 8, "aug": 8, "august": 8,
	"září": 9, "zari": 9, "sep": 9, "sept": 9, "september": 9,
	"října": 10, "rijna": 10, "oct": 10, "october": 10,
	"listopadu": 11, "nov": 11, "november": 11,
	"prosince": 12, "dec": 12, "december": 12,
}

func TestMonthByName(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   time.Month
		wantOK bool
	}{
		{"czech genitive", "března", time.March, true},
		{"czech genitive without diacritics", "brezna", time.March, true},
		{"czech nominative", "březen", time.March, true},
		{"czech nominative without diacritics", "brezen", time.March, true},
		{"czech abbreviation", "bře", time.March, true},
		{"czech abbreviation without diacritics", "bre", time.March, true},
		{"july has two abbreviations", "črc", time.July, true},
		{"july abbreviation without diacritics", "cvc", time.July, true},
		{"september nominative is its genitive", "září", time.September, true},
		{"english name", "March", time.March, true},
		{"english abbreviation", "Mar", time.March, true},
		{"english four-letter september", "Sept", time.September, true},
		{"upper case czech", "ŘÍJNA", time.October, true},
		{"mixed case", "ListoPadu", time.November, true},
		{"empty", "", 0, false},
		{"unknown word", "bla", 0, false},
		{"trailing dot", "mar.", 0, false},
		{"surrounding space", " mar", 0, false},
		{"partial name", "lede", 0, false},
		{"diacritics half removed", "brezná", 0, false},
		{"number", "3", 0, false},
		{"czech weekday", "úterý", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MonthByName(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("MonthByName(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestMonthByNameAcceptsExactlyTheMailTable(t *testing.T) {
	for name, want := range mailMonths {
		for _, in := range []string{name, strings.ToUpper(name)} {
			if got, ok := MonthByName(in); !ok || got != want {
				t.Errorf("MonthByName(%q) = %v, %v; want %v", in, got, ok, want)
			}
		}
	}
	for name, e := range monthNames() {
		if _, ok := mailMonths[name]; !ok {
			t.Errorf("MonthByName accepts %q (%v), which the mail table did not", name, e.month)
		}
	}
}

func TestDateMonthAcceptsOnlyGenitiveAndEnglish(t *testing.T) {
	for name := range mailMonths {
		want := int(dateMonths[name])
		if got := dateMonth(name); got != want {
			t.Errorf("dateMonth(%q) = %d, want %d", name, got, want)
		}
	}
	for name := range dateMonths {
		if _, ok := mailMonths[name]; !ok {
			t.Errorf("%q is missing from the mail table", name)
		}
	}
}

func TestCzechMonthNominative(t *testing.T) {
	for m, want := range map[int]string{1: "leden", 3: "březen", 9: "září", 12: "prosinec", 0: "měsíc 0", 13: "měsíc 13"} {
		if got := czechMonthNominative(m); got != want {
			t.Errorf("czechMonthNominative(%d) = %q, want %q", m, got, want)
		}
	}
}
