package i18n

import "time"

// Note says, in lang, that the typed time occurs twice, which one was
// taken, and how to type the other: a sentence for the person who typed
// it, shown beside the confirmation.
func (a *Ambiguity) Note(lang Lang) string {
	if a == nil {
		return ""
	}
	en := lang.resolved() == English
	taken, other := a.Taken, a.Other
	tName, oName := zoneWord(taken, en), zoneWord(other, en)
	tKind, oKind := season(taken, en), season(other, en)
	if en {
		return a.Clock + " on " + a.Date + " occurs twice in " + a.Zone + " (the clocks go back that night); taken as " +
			a.Clock + " " + tName + " (" + tKind + ", UTC" + offsetText(taken) + "). For " + oKind + " write " +
			a.Clock + " " + oName + " or " + a.Clock + " " + offsetText(other) + "."
	}
	return "Čas " + a.Clock + " dne " + a.Date + " nastává v pásmu " + a.Zone + " dvakrát (té noci se posouvají hodiny zpět); použit je " +
		a.Clock + " " + tName + " (" + tKind + ", UTC" + offsetText(taken) + "). Pro " + oKind + " napište " +
		a.Clock + " " + oName + " nebo " + a.Clock + " " + offsetText(other) + "."
}

// zoneWord is the abbreviation of t's zone, in Czech SELČ and SEČ for
// central European summer and winter time.
func zoneWord(t time.Time, en bool) string {
	name, _ := t.Zone()
	if !en {
		switch name {
		case "CEST":
			return "SELČ"
		case "CET":
			return "SEČ"
		}
	}
	return name
}

// season names summer or winter time ("letní čas" after "Pro" takes the
// accusative, which is the same word).
func season(t time.Time, en bool) string {
	switch {
	case t.IsDST() && en:
		return "summer time"
	case en:
		return "winter time"
	case t.IsDST():
		return "letní čas"
	}
	return "zimní čas"
}

// offsetText formats t's offset as "+01:00".
func offsetText(t time.Time) string { return t.Format("-07:00") }
