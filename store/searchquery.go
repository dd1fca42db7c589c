package store

import (
	"fmt"
	"strings"
	"time"

	"coordbot/i18n"
)

// ParseSearchQuery reads what a person typed into a search box: words to
// find, plus filters
//
//	group:SLUG  from:ADDRESS-OR-NAME  after:DATE  before:DATE  has:attachment
//
// where DATE is 2027-03-23 or 23. 3. 2027 (one word: 23.3.2027) in loc.
// after: includes its day, before: excludes its day. Unknown "word:" forms
// are searched as text.
func ParseSearchQuery(input string, loc *time.Location) (SearchQuery, error) {
	var q SearchQuery
	var words []string
	for _, f := range strings.Fields(input) {
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
				return q, fmt.Errorf("store: search filter %s: %w", f, err)
			}
			q.After = t
		case "before", "pred", "před":
			t, err := i18n.ParseDate(val, loc)
			if err != nil {
				return q, fmt.Errorf("store: search filter %s: %w", f, err)
			}
			q.Before = t
		case "has", "ma", "má":
			switch strings.ToLower(val) {
			case "attachment", "priloha", "příloha":
				q.HasAttachment = true
			default:
				return q, fmt.Errorf("store: search filter %s: only has:attachment is known", f)
			}
		default:
			words = append(words, f)
		}
	}
	q.Text = strings.Join(words, " ")
	return q, nil
}
