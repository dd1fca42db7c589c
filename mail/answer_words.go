package mail

import (
	"regexp"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"coordbot/store"
)

// answerWords are the first words of a reply that answer an invitation,
// reminder or nudge, folded (lower case, without diacritics): what the
// invitation's plain text asks for, in Czech and English.
var answerWords = map[string]string{
	"prijdu":   store.AnswerYes,
	"ano":      store.AnswerYes,
	"yes":      store.AnswerYes,
	"neprijdu": store.AnswerNo,
	"ne":       store.AnswerNo,
	"no":       store.AnswerNo,
	"mozna":    store.AnswerMaybe,
	"maybe":    store.AnswerMaybe,
}

// fold lowers s and strips its diacritics ("Nepřijdu" → "neprijdu"), so
// an answer typed without a Czech keyboard is read the same.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// readAnswer reads a reply's own text (see ownText): its first line must
// begin with an answer word; the rest of that line and the lines after it
// are the note. ok is false when the first line is no answer.
func readAnswer(own []string) (answer, note string, ok bool) {
	if len(own) == 0 {
		return "", "", false
	}
	first := strings.TrimSpace(own[0])
	end := strings.IndexFunc(first, func(r rune) bool { return !unicode.IsLetter(r) })
	if end < 0 {
		end = len(first)
	}
	answer, ok = answerWords[fold(first[:end])]
	if !ok {
		return "", "", false
	}
	rest := strings.TrimLeftFunc(first[end:], func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",.;:!-–—", r)
	})
	lines := append([]string{rest}, withoutClosing(own[1:])...)
	return answer, strings.TrimSpace(strings.Join(lines, "\n")), true
}

// readProposal reads a reply to the call for agenda items: the first line
// is the title, the rest (without the closing) the details.
func readProposal(own []string) (title, details string, ok bool) {
	if len(own) == 0 {
		return "", "", false
	}
	title = strings.TrimSpace(own[0])
	if r := []rune(title); len(r) > store.MaxAgendaTitle {
		// Too long for a title: cut it, and keep the whole line in the
		// details so nothing is lost.
		details = title + "\n\n"
		title = strings.TrimSpace(string(r[:store.MaxAgendaTitle-1])) + "…"
	}
	details += strings.Join(withoutClosing(own[1:]), "\n")
	if r := []rune(details); len(r) > store.MaxAgendaDetails {
		details = string(r[:store.MaxAgendaDetails])
	}
	return title, strings.TrimSpace(details), true
}

// lazyRegexp compiles expr on first use: these patterns serve replies
// only, and every coordbot command would otherwise compile them at
// start-up (issue 14).
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// Lines that start what is not the reply's own text.
var (
	// "On Mon, 1 Mar 2027 at 10:00, Jana <j@x> wrote:", Czech Gmail's
	// "Dne po 1. 3. 2027 v 10:00 odesílatel … napsal:", Thunderbird's
	// "Dne 1. 3. 2027 v 10:00 Jana napsal(a):". Long ones wrap, so the
	// start and the end are matched separately.
	attributionStart = lazyRegexp(`(?i)^(on|dne|am|le)\s`)
	attributionEnd   = lazyRegexp(`(?i)(wrote|napsal|napsala|napsal\(a\)|schrieb|a écrit)\s*:\s*$`)
	// Outlook's separators before the quoted original.
	originalMarker = lazyRegexp(`(?i)^(-{3,}\s*(original message|původní zpráva|puvodni zprava)\s*-{3,}|_{10,})\s*$`)
	// The first line of a quoted header block: "From: …" / "Od: …".
	headerBlockStart = lazyRegexp(`(?i)^(from|od|sent|odesláno|date|datum)\s*:\s*\S`)
	headerBlockNext  = lazyRegexp(`(?i)^(sent|odesláno|date|datum|to|komu|subject|předmět|cc|kopie)\s*:`)
	// Closings that end the text before a signature.
	closing = lazyRegexp(`(?i)^(s pozdravem|se srdečným pozdravem|s přáním hezkého dne|pěkný den|hezký den|děkuji|díky|best regards|kind regards|regards|best|thanks|thank you|cheers)\b[\s,.!]*$`)
)

// ownText returns the lines the sender wrote in a reply's body, without
// what they quote: lines starting with ">" are skipped (bottom-posting and
// interleaved replies keep the text after them), an attribution line
// ("On … wrote:") followed by quoted lines is skipped, and the text ends
// at an attribution followed by unmarked text, at Outlook's "-----Original
// Message-----" or a "From:"/"Od:" header block, and at a signature
// ("-- "). Leading and trailing blank lines are dropped.
func ownText(body string) []string {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	var own []string
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t\u00a0")
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, ">"):
			continue
		case line == "--" || line == "-- ":
			return trimBlank(own)
		case originalMarker().MatchString(trimmed):
			return trimBlank(own)
		case headerBlockStart().MatchString(trimmed) && headerBlockFollows(lines[i+1:]):
			return trimBlank(own)
		}
		if end, ok := attribution(lines, i); ok {
			if quotedFollows(lines[end+1:]) {
				i = end
				continue
			}
			return trimBlank(own)
		}
		own = append(own, trimmed)
	}
	return trimBlank(own)
}

// attribution reports whether an attribution line starts at lines[i]; it
// may wrap over up to three lines, and end is its last line.
func attribution(lines []string, i int) (end int, ok bool) {
	first := strings.TrimSpace(lines[i])
	if !attributionStart().MatchString(first) {
		return 0, false
	}
	for j := i; j < len(lines) && j < i+3; j++ {
		t := strings.TrimSpace(lines[j])
		if t == "" || (j > i && strings.HasPrefix(t, ">")) {
			return 0, false
		}
		if attributionEnd().MatchString(t) {
			return j, true
		}
	}
	return 0, false
}

// quotedFollows reports whether the next non-blank line is quoted.
func quotedFollows(lines []string) bool {
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" {
			return strings.HasPrefix(t, ">")
		}
	}
	return false
}

// headerBlockFollows reports whether one of the next few lines continues
// a quoted header block ("Sent:", "Komu:"...).
func headerBlockFollows(lines []string) bool {
	for i, l := range lines {
		if i >= 4 {
			break
		}
		if headerBlockNext().MatchString(strings.TrimSpace(l)) {
			return true
		}
	}
	return false
}

// withoutClosing drops a closing ("S pozdravem", "Best regards") and all
// after it: the sender's name and signature.
func withoutClosing(lines []string) []string {
	for i, l := range lines {
		if closing().MatchString(strings.TrimSpace(l)) {
			return trimBlank(lines[:i])
		}
	}
	return trimBlank(lines)
}

func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
