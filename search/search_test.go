package search

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "time/tzdata" // make the tests independent of the system zone database

	"coordbot/i18n"
	"coordbot/store"
)

func TestParse(t *testing.T) {
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	march23 := time.Date(2027, 3, 23, 0, 0, 0, 0, prague)
	tests := []struct {
		name string
		in   string
		want store.SearchQuery
	}{
		{"words only", "primarni  prevence", store.SearchQuery{Text: "primarni prevence"}},
		{"empty", "  ", store.SearchQuery{}},
		{"group is lower-cased", "zápis group:Pracovni-Skupina", store.SearchQuery{Text: "zápis", GroupSlug: "pracovni-skupina"}},
		{"czech group", "skupina:kraj", store.SearchQuery{GroupSlug: "kraj"}},
		{"from keeps its case", "from:Jana@Example.cz", store.SearchQuery{From: "Jana@Example.cz"}},
		{"czech from", "od:novakova", store.SearchQuery{From: "novakova"}},
		{"from value may hold a colon", "from:a:b", store.SearchQuery{From: "a:b"}},
		{"after iso date", "after:2027-03-23", store.SearchQuery{After: march23}},
		{"czech after with a czech date", "po:23.3.2027", store.SearchQuery{After: march23}},
		{"before", "before:2027-03-23", store.SearchQuery{Before: march23}},
		{"czech before with diacritics", "před:23.3.2027", store.SearchQuery{Before: march23}},
		{"czech before without diacritics", "pred:23.3.2027", store.SearchQuery{Before: march23}},
		{"has attachment", "has:attachment", store.SearchQuery{HasAttachment: true}},
		{"czech has attachment", "má:příloha", store.SearchQuery{HasAttachment: true}},
		{"czech has attachment without diacritics", "ma:priloha", store.SearchQuery{HasAttachment: true}},
		{"filter names in any case", "FROM:x HAS:Attachment", store.SearchQuery{From: "x", HasAttachment: true}},
		{"unknown filter is text", "https://example.cz subject:x", store.SearchQuery{Text: "https://example.cz subject:x"}},
		{"empty value is text", "from: prevence", store.SearchQuery{Text: "from: prevence"}},
		{"no kind: is minutes (the store's default)", "zápis", store.SearchQuery{Text: "zápis"}},
		{"kind reply", "kind:reply omluva", store.SearchQuery{Text: "omluva", Kind: store.ArchiveReply}},
		{"kind bounce in any case", "KIND:Bounce", store.SearchQuery{Kind: store.ArchiveBounce}},
		{"kind any", "kind:any", store.SearchQuery{Kind: store.ArchiveAnyKind}},
		{"kind all", "kind:all", store.SearchQuery{Kind: store.ArchiveAnyKind}},
		{"kind minutes", "kind:minutes", store.SearchQuery{Kind: store.ArchiveMinutes}},
		{"czech kind reply", "druh:odpověď", store.SearchQuery{Kind: store.ArchiveReply}},
		{"czech kind without diacritics", "druh:nedoruceno", store.SearchQuery{Kind: store.ArchiveBounce}},
		{"czech kind all", "druh:vše", store.SearchQuery{Kind: store.ArchiveAnyKind}},
		{"filters anywhere among the words", "a group:kraj b has:attachment c", store.SearchQuery{Text: "a b c", GroupSlug: "kraj", HasAttachment: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in, prague)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDateInLocation(t *testing.T) {
	q, err := Parse("after:2027-03-23", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2027, 3, 23, 0, 0, 0, 0, time.UTC); !q.After.Equal(want) {
		t.Errorf("After = %v, want %v", q.After, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantPrefix string
		wantParse  bool // wraps an *i18n.ParseError
	}{
		{"no such date", "x after:31.2.2027", "search: filter after:31.2.2027: ", true},
		{"not a date", "before:zitra", "search: filter before:zitra: ", true},
		{"unknown has", "has:link", "search: filter has:link: only has:attachment is known", false},
		{"unknown kind", "kind:spam", "search: filter kind:spam: want kind:minutes, kind:reply, kind:bounce or kind:any", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in, time.UTC)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tt.in)
			}
			if !strings.HasPrefix(err.Error(), tt.wantPrefix) {
				t.Errorf("error %q, want prefix %q", err, tt.wantPrefix)
			}
			var pe *i18n.ParseError
			if got := errors.As(err, &pe); got != tt.wantParse {
				t.Errorf("wraps *i18n.ParseError: %v, want %v", got, tt.wantParse)
			}
		})
	}
}
