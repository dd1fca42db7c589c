// Package search reads what people type into the archive search (the
// bot's minutes search and the search command): words to find plus
// filters, in Czech or English, with or without diacritics. It turns the
// text into a store.SearchQuery; the store runs it.
package search

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"coordbot/i18n"
	"coordbot/store"
)

// ErrNoWords is returned by [Parse] when the words typed hold nothing a
// search can look for (only punctuation, symbols or emoji): searching for
// them would list the whole archive.
var ErrNoWords = errors.New("search: the query has no words to look for (letters or digits)")

// Parse reads what a person typed into a search box: words to find, plus
// filters
//
//	group:SLUG  from:ADDRESS-OR-NAME  after:DATE  before:DATE  has:attachment
//	kind:minutes|reply|bounce|any
//
// (in Czech skupina:, od:, po:, před: or pred:, má:příloha or ma:priloha,
// druh:zápis|odpověď|nedoručeno|vše), where DATE is 2027-03-23 or
// 23. 3. 2027 (one word: 23.3.2027) in loc. after: includes its day,
// before: excludes its day. Without kind: only minutes are searched:
// answers and bounces are kept in the archive but are not minutes.
// Filter names and values are matched in any letter case. Unknown "word:"
// forms are searched as text.
//
// The text is normalised to NFC first, so a query typed in decomposed
// letters (as some macOS keyboards send them) reads like the composed one.
// Words without a letter or digit among them (only punctuation, symbols,
// emoji) give [ErrNoWords]; filters alone are a valid query.
func Parse(text string, loc *time.Location) (store.SearchQuery, error) {
	var q store.SearchQuery
	text = norm.NFC.String(text)
	var words []string
	for _, f := range strings.Fields(text) {
		key, val, ok := strings.Cut(f, ":")
		if !ok || val == "" {
			words = append(words, f)
			continue
		}
		switch strings.ToLower(key) {
		case "group", "skupina":
			q.GroupSlug = strings.ToLower(val)
		case "from", "od":
			q.From = val
		case "after", "po":
			t, err := i18n.ParseDate(val, loc)
			if err != nil {
				return q, fmt.Errorf("search: filter %s: %w", f, err)
			}
			q.After = t
		case "before", "pred", "před":
			t, err := i18n.ParseDate(val, loc)
			if err != nil {
				return q, fmt.Errorf("search: filter %s: %w", f, err)
			}
			q.Before = t
		case "has", "ma", "má":
			switch strings.ToLower(val) {
			case "attachment", "priloha", "příloha":
				q.HasAttachment = true
			default:
				return q, fmt.Errorf("search: filter %s: only has:attachment is known", f)
			}
		case "kind", "druh":
			kind, ok := kinds[strings.ToLower(val)]
			if !ok {
				return q, fmt.Errorf("search: filter %s: want kind:minutes, kind:reply, kind:bounce or kind:any", f)
			}
			q.Kind = kind
		default:
			words = append(words, f)
		}
	}
	q.Text = strings.Join(words, " ")
	if q.Text != "" && !strings.ContainsFunc(q.Text, searchable) {
		return q, ErrNoWords
	}
	return q, nil
}

// kinds maps the values of the kind: filter, lower-cased, to the store's
// kinds; Czech with and without diacritics.
var kinds = map[string]string{
	"minutes": store.ArchiveMinutes, "zápis": store.ArchiveMinutes, "zapis": store.ArchiveMinutes,
	"zápisy": store.ArchiveMinutes, "zapisy": store.ArchiveMinutes,
	"reply": store.ArchiveReply, "replies": store.ArchiveReply, "odpověď": store.ArchiveReply,
	"odpoved": store.ArchiveReply, "odpovědi": store.ArchiveReply, "odpovedi": store.ArchiveReply,
	"bounce": store.ArchiveBounce, "bounces": store.ArchiveBounce, "nedoručeno": store.ArchiveBounce,
	"nedoruceno": store.ArchiveBounce, "nedoručitelné": store.ArchiveBounce, "nedorucitelne": store.ArchiveBounce,
	"any": store.ArchiveAnyKind, "all": store.ArchiveAnyKind, "vše": store.ArchiveAnyKind,
	"vse": store.ArchiveAnyKind, "vsechno": store.ArchiveAnyKind, "všechno": store.ArchiveAnyKind,
}

// searchable reports whether r can be part of a word the full-text index
// holds: its unicode61 tokenizer keeps letters and digits and splits on
// everything else.
func searchable(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
