package snippet_test

import (
	"database/sql"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	_ "modernc.org/sqlite"

	"coordbot/search/snippet"
)

func TestMake(t *testing.T) {
	for _, tt := range []struct {
		name, query string
		columns     []string
		want        string
		column      int
	}{
		{"short text whole, with its full stop", "veznicich", []string{"Zápis", "Projednána situace ve věznicích a financování služeb."},
			"Projednána situace ve [věznicích] a financování služeb.", 1},
		{"two words", "primarni veznicich", []string{"Zápis z jednání 23. 3. 2027", "Primární prevence ve věznicích."},
			"[Primární] prevence ve [věznicích].", 1},
		{"case and diacritics", "VĚZNICÍCH", []string{"ve veznicich"}, "ve [veznicich]", 0},
		{"prefix", "financ*", []string{"Financování a spolufinancování, financovat."}, "[Financování] a spolufinancování, [financovat].", 0},
		{"not a prefix without star", "financ", []string{"Financování"}, "", -1},
		{"decomposed letters", "věznicích", []string{"ve ve\u030Cznic\u030Ci\u0301ch"}, "ve [ve\u030Cznic\u030Ci\u0301ch]", 0},
		{"nothing found", "kanabidiol", []string{"Zápis", "Text bez toho slova."}, "", -1},
		{"long text: window around the word, ellipses",
			"hejtman", []string{strings.Repeat("slovo ", 30) + "hejtman " + strings.Repeat("další ", 30)},
			"…slovo slovo slovo slovo slovo slovo slovo [hejtman] další další další další další další další další…", 0},
		{"long text: from the start of the sentence",
			"hejtman", []string{strings.Repeat("slovo ", 30) + "Konec. Pak přišel hejtman " + strings.Repeat("další ", 30)},
			"…Pak přišel [hejtman] další další další další další další další další další další další další další…", 0},
		{"near the end: the window ends with the text",
			"hejtman", []string{strings.Repeat("slovo ", 30) + "hejtman konec."},
			"…slovo slovo slovo slovo slovo slovo slovo slovo slovo slovo slovo slovo slovo slovo [hejtman] konec.", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, score, column := snippet.New(tt.query).Make(tt.columns...)
			if got != tt.want || column != tt.column || (score > 0) != (tt.want != "") {
				t.Errorf("Make = %q (score %d, column %d), want %q (column %d)", got, score, column, tt.want, tt.column)
			}
		})
	}
}

// TestSameAsFTS5 compares Make with what SQLite's FTS5 snippet() makes of
// the same columns (the archive's tokenizer, snippet(t, -1, '[', ']', '…',
// 16)) on random Czech texts: sentences of varied length, words that
// repeat, queries of one to three words, some with a prefix.
func TestSameAsFTS5(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "fts.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE VIRTUAL TABLE t USING fts5 (subject, sender, body, attachments,
		tokenize = 'unicode61 remove_diacritics 2')`); err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(`zápis jednání financování služeb věznicích Věznice prevence primární kraje
		hejtman usnesení dotace rozpočet Most k naději terénní programy 2027 č. 14 ÚKOLY léčba`)
	rng := rand.New(rand.NewPCG(1, 2))
	text := func(sentences int) string {
		var b strings.Builder
		for range sentences {
			n := 2 + rng.IntN(14)
			for i := range n {
				if i > 0 {
					b.WriteString([]string{" ", " ", " ", ", ", " – ", "\n"}[rng.IntN(6)])
				}
				b.WriteString(words[rng.IntN(len(words))])
			}
			b.WriteString([]string{". ", ": ", "! ", ".\n\n", "; "}[rng.IntN(5)])
		}
		return strings.TrimSpace(b.String())
	}
	const docs = 400
	type doc struct{ cols [4]string }
	var all []doc
	for i := range docs {
		d := doc{cols: [4]string{text(1), "Jana Nováková jana@obec.cz", text(1 + rng.IntN(12)), ""}}
		if i%3 == 0 {
			d.cols[3] = "zápis.docx\n" + text(1+rng.IntN(4)) + "\n"
		}
		all = append(all, d)
		if _, err := db.Exec(`INSERT INTO t (rowid, subject, sender, body, attachments) VALUES (?, ?, ?, ?, ?)`,
			i+1, d.cols[0], d.cols[1], d.cols[2], d.cols[3]); err != nil {
			t.Fatal(err)
		}
	}
	queries := []string{"financování", "veznicich", "hejtman", "financ*", "zápis jednání", "primarni prevence",
		"dotace rozpočet usnesení", "2027", "ukoly", "most naději"}
	same, total := 0, 0
	for _, query := range queries {
		q := snippet.New(query)
		var match []string
		for _, w := range strings.Fields(query) {
			p := `"` + strings.TrimSuffix(w, "*") + `"`
			if strings.HasSuffix(w, "*") {
				p += "*"
			}
			match = append(match, p)
		}
		rows, err := db.Query(`SELECT rowid, snippet(t, -1, '[', ']', '…', 16) FROM t WHERE t MATCH ?`, strings.Join(match, " "))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int
			var want string
			if err := rows.Scan(&id, &want); err != nil {
				t.Fatal(err)
			}
			d := all[id-1]
			got, _, _ := q.Make(d.cols[:]...)
			total++
			if got == want {
				same++
				continue
			}
			// Ours may choose another fragment (FTS5 scores every one and
			// counts repeated words; Make stops at the first that starts a
			// sentence and holds every word), but never a poorer one: as
			// many different words of the query marked.
			if g, w := wordsMarked(query, got), wordsMarked(query, want); g == 0 || g < w {
				t.Errorf("%q in document %d: %d words marked in %q, FTS5 %d in %q", query, id, g, got, w, want)
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d of %d snippets the same as FTS5's", same, total)
	if total < 500 {
		t.Errorf("only %d matches compared", total)
	}
}

// wordsMarked counts the words of query that are marked in s.
func wordsMarked(query, s string) int {
	var marked []string
	for rest := s; ; {
		i := strings.Index(rest, snippet.Open)
		j := strings.Index(rest, snippet.Close)
		if i < 0 || j < i {
			break
		}
		marked = append(marked, rest[i+1:j])
		rest = rest[j+1:]
	}
	n := 0
	for _, w := range strings.Fields(query) {
		for _, m := range marked {
			if _, score := snippet.New(w).Best(m); score > 0 {
				n++
				break
			}
		}
	}
	return n
}

// BenchmarkMake measures a snippet of a word in a text of about 6 KB (the
// minutes of the benchmarks).
func BenchmarkMake(b *testing.B) {
	body := strings.Repeat("Koordinátor informoval o výsledcích dotačního řízení na rok 2027. ", 40) +
		"Členové se shodli, že stabilní financování služeb je předpokladem kvalitní sítě péče. " +
		strings.Repeat("Zástupci škol upozornili na rostoucí užívání nikotinových sáčků mezi žáky. ", 40)
	q := snippet.New("financování")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if s, _, _ := q.Make("Zápis z jednání", "Jana Nováková jana@obec.cz", body, ""); s == "" {
			b.Fatal("not found")
		}
	}
}

// The shortcut for Latin letters agrees with the Unicode tables.
func TestTokenRunesOfLatin(t *testing.T) {
	for r := rune(0); r < 0x300; r++ {
		want := unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Co, r)
		if got := snippet.IsTokenRune(r); got != want {
			t.Errorf("%U %q: token rune %v, want %v", r, r, got, want)
		}
	}
}
