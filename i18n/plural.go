package i18n

import "strconv"

// Plural picks the form of a word that agrees with the count n.
//
// Czech: 1 takes one ("účastník"), exactly 2, 3 and 4 take few ("účastníci"),
// everything else, including 0, 5 and more, 21 and 22, takes many
// ("účastníků"). English: 1 takes one, everything else takes many; few is
// unused. Negative counts use their absolute value. Unrecognised languages are
// treated as Czech.
func Plural(lang Lang, n int, one, few, many string) string {
	a := n
	if a < 0 {
		a = -a // for math.MinInt this stays negative and yields many
	}
	switch {
	case a == 1:
		return one
	case a >= 2 && a <= 4 && lang.resolved() == Czech:
		return few
	}
	return many
}

// Count returns n in digits, a space and the plural form chosen by Plural, for
// example Count(Czech, 5, "účastník", "účastníci", "účastníků") ==
// "5 účastníků".
func Count(lang Lang, n int, one, few, many string) string {
	return strconv.Itoa(n) + " " + Plural(lang, n, one, few, many)
}

// Gender is the grammatical gender of a Czech noun, which the numerals one
// and two agree with.
type Gender int

const (
	// Masculine is the gender of e.g. "účastník" (jeden, dva).
	Masculine Gender = iota
	// Feminine is the gender of e.g. "schůzka" (jedna, dvě).
	Feminine
	// Neuter is the gender of e.g. "setkání" (jedno, dvě).
	Neuter
)

// Cardinal spells a number from 0 to 20 in words: Czech with gender agreement
// for 1 and 2 (jeden/jedna/jedno, dva/dvě/dvě), e.g. Cardinal(Czech, 3, Neuter)
// == "tři", English e.g. "three". Other numbers, including negative ones, are
// written in digits. An unknown Gender is treated as Masculine.
func Cardinal(lang Lang, n int, g Gender) string {
	if n < 0 || n > 20 {
		return strconv.Itoa(n)
	}
	if lang.resolved() == English {
		return [...]string{
			"zero", "one", "two", "three", "four", "five", "six", "seven",
			"eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen",
			"fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
		}[n]
	}
	switch {
	case n == 1 && g == Feminine:
		return "jedna"
	case n == 1 && g == Neuter:
		return "jedno"
	case n == 2 && (g == Feminine || g == Neuter):
		return "dvě"
	}
	return [...]string{
		"nula", "jeden", "dva", "tři", "čtyři", "pět", "šest", "sedm",
		"osm", "devět", "deset", "jedenáct", "dvanáct", "třináct", "čtrnáct",
		"patnáct", "šestnáct", "sedmnáct", "osmnáct", "devatenáct", "dvacet",
	}[n]
}
