package i18n

import (
	"strings"
	"sync"
	"time"
)

// czechMonths names the months in Czech, January first: the nominative
// ("březen"), the genitive of a date ("23. března") and the abbreviations
// that localized mail clients write in Date headers ("bře"; July has two).
// It is the one Czech month table of coordbot; the forms without
// diacritics are derived from it.
var czechMonths = [12]struct {
	nominative, genitive string
	abbrevs              []string
}{
	{"leden", "ledna", []string{"led"}},
	{"únor", "února", []string{"úno"}},
	{"březen", "března", []string{"bře"}},
	{"duben", "dubna", []string{"dub"}},
	{"květen", "května", []string{"kvě"}},
	{"červen", "června", []string{"čer"}},
	{"červenec", "července", []string{"čvc", "črc"}},
	{"srpen", "srpna", []string{"srp"}},
	{"září", "září", []string{"zář"}},
	{"říjen", "října", []string{"říj"}},
	{"listopad", "listopadu", []string{"lis"}},
	{"prosinec", "prosince", []string{"pro"}},
}

// monthForm is a set of the ways a month name is written.
type monthForm uint8

const (
	// formGenitive is the Czech genitive of a date: "března".
	formGenitive monthForm = 1 << iota
	// formNominative is the Czech nominative: "březen".
	formNominative
	// formCzechAbbrev is a Czech abbreviation: "bře".
	formCzechAbbrev
	// formEnglish is an English name or abbreviation: "March", "Mar", "Sept".
	formEnglish
)

// monthEntry is what a lower-case month name stands for.
type monthEntry struct {
	month time.Month
	forms monthForm
}

// monthNames indexes every accepted lower-case month name. It is built
// from czechMonths and time.Month on first use (not at start-up: issue 14)
// and never written afterwards.
var monthNames = sync.OnceValue(buildMonthNames)

func buildMonthNames() map[string]monthEntry {
	names := map[string]monthEntry{}
	add := func(name string, m time.Month, form monthForm) {
		for _, n := range []string{name, withoutDiacritics(name)} {
			e := names[n]
			e.month = m
			e.forms |= form
			names[n] = e
		}
	}
	for i, cm := range czechMonths {
		m := time.Month(i + 1)
		add(cm.nominative, m, formNominative)
		add(cm.genitive, m, formGenitive)
		for _, a := range cm.abbrevs {
			add(a, m, formCzechAbbrev)
		}
		en := strings.ToLower(m.String())
		add(en, m, formEnglish)
		add(en[:3], m, formEnglish)
	}
	add("sept", time.September, formEnglish)
	return names
}

// withoutDiacritics writes a lower-case Czech word the way people type it
// without a Czech keyboard: "března" becomes "brezna".
func withoutDiacritics(s string) string {
	return czechFolder.Replace(s)
}

var czechFolder = strings.NewReplacer(
	"á", "a", "č", "c", "ď", "d", "é", "e", "ě", "e", "í", "i", "ň", "n", "ó", "o",
	"ř", "r", "š", "s", "ť", "t", "ú", "u", "ů", "u", "ý", "y", "ž", "z",
)

// MonthByName returns the month a name stands for, in any letter case: a
// Czech name in the nominative ("březen") or genitive ("března"), a Czech
// abbreviation as localized mail clients write it ("bře"; July "čvc" or
// "črc"), each with or without diacritics ("brezna", "bre"), or an English
// name or abbreviation ("March", "Mar", "Sept"). Anything else, including
// a name with a trailing dot, is not a month.
func MonthByName(name string) (time.Month, bool) {
	return monthByName(name, formGenitive|formNominative|formCzechAbbrev|formEnglish)
}

// monthByName is MonthByName restricted to the given forms.
func monthByName(name string, forms monthForm) (time.Month, bool) {
	e, ok := monthNames()[strings.ToLower(name)]
	if !ok || e.forms&forms == 0 {
		return 0, false
	}
	return e.month, true
}

// czechMonthNominative returns the Czech name of month 1-12 ("leden").
func czechMonthNominative(m int) string {
	if m < 1 || m > 12 {
		return "měsíc " + itoa(m)
	}
	return czechMonths[m-1].nominative
}
