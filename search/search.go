// Package search reads what people type into the archive search (the
// bot's minutes search and the search command): words to find plus
// filters, in Czech or English, with or without diacritics. It turns the
// text into a store.SearchQuery; the store runs it.
package search

import (
	"fmt"
	"strings"
	"time"

	"coordbot/i18n"
	"coordbot/store"
)

// Parse reads what a person typed into a search box: words to find, plus
// filters
//
//	group:SLUG  from:ADDRESS-OR-NAME  after:DATE  before:DATE  has:attachment
//
// (in Czech skupina:, od:, po:, před: or pred:, má:příloha or ma:priloha),
// where DATE is 2027-03-23 or 23. 3. 2027 (one word: 23.3.2027) in loc.
// after: includes its day, before: excludes its day. Filter names are
// matched in any letter case. Unknown "word:" forms are searched as text.
func Parse(text string, loc *time.Location) (store.SearchQuery, error) {
	var q store.SearchQuery
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
		default:
			words = append(words, f)
		}
	}
	q.Text = strings.Join(words, " ")
	return q, nil
}
