package testutil

import (
	"strings"
	"time"
)

// CorpusWords are what the benchmarks' synthetic minutes are made of: the
// vocabulary of a regional drug-policy working group, with diacritics. It
// holds "financování" and "věznicích", so nearly every message of a
// corpus made of it matches either, as in the reference archive where
// notmuch found "financování" in 10,002 of 10,013 mails.
var CorpusWords = strings.Fields(`zápis jednání pracovní skupiny protidrogové politiky kraje
	přítomni omluveni hosté program schválení zápisu minulého setkání dotační řízení
	financování služeb terénní programy kontaktní centrum adiktologická ambulance
	substituční léčba harm reduction prevence ve školách primární prevence krajský koordinátor
	místní koordinátoři obce s rozšířenou působností rozpočet na rok vyúčtování dotace
	ministerstvo zdravotnictví rada vlády usnesení zastupitelstvo hejtman odbor sociálních věcí
	výroční zpráva monitoring situace drogová scéna pervitin konopí alkohol hazard tabák
	spolupráce s policií probační a mediační služba léčba ve věznicích vězeňská služba
	následná péče doléčovací centrum chráněné bydlení zaměstnávání úkoly termín odpovědná osoba
	různé příští setkání proběhne v zasedací místnosti krajského úřadu diskuse návrh souhlas`)

// Percentile is the q-th percentile (nearest rank) of sorted durations, in
// milliseconds; 0 for none.
func Percentile(sorted []time.Duration, q int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(max((len(sorted)*q+99)/100-1, 0), len(sorted)-1)
	return float64(sorted[i]) / float64(time.Millisecond)
}
