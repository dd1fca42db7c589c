package i18n

import "fmt"

// Text is one user-facing sentence in both languages: the one bilingual
// text type of coordbot (the bot's answers, the core's refusals, report and
// calendar headings). Format verbs take the arguments given to [Text.In].
type Text struct {
	CS string // Czech, the primary language
	EN string // English
}

// In returns the sentence in lang (Czech unless lang is English), with
// args formatted into it when there are any.
func (t Text) In(lang Lang, args ...any) string {
	s := t.CS
	if lang.resolved() == English {
		s = t.EN
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Defaults that more than one part of coordbot needs. They live here, in the
// package every part may import, so that each is written once.
const (
	// DefaultTimeZone is the zone of a group that names none, and of dates
	// typed on the command line when no group is configured.
	DefaultTimeZone = "Europe/Prague"
)
