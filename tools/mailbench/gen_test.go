package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"coordbot/mail"
)

// The generated mails must be what they claim: parseable, in the right
// charsets and encodings, with a DOCX whose text can be extracted.
func TestGeneratedMailsParse(t *testing.T) {
	g := newGenerator(1)
	var st genStats
	for i := range 40 {
		m := g.next(i)
		raw, err := g.encode(m)
		if err != nil {
			t.Fatal(err)
		}
		st.count(m, len(raw))
		if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
			t.Fatalf("mail %d has a bare LF", i)
		}
		p, err := mail.Parse(slices.Clone(raw), mail.ParseOptions{})
		if err != nil {
			t.Fatalf("mail %d: %v", i, err)
		}
		if p.Subject != m.subject || p.From.Name != m.from.name || !p.Date.Equal(m.date) {
			t.Errorf("mail %d: parsed %q from %q at %v, want %q from %q at %v", i, p.Subject, p.From.Name, p.Date, m.subject, m.from.name, m.date)
		}
		if norm(p.Body) != norm(m.body) {
			t.Errorf("mail %d: body differs after decoding (cp1250 %v)", i, m.cp1250)
		}
		if n := len(m.body); n < 5000 || n > 9500 {
			t.Errorf("mail %d: body of %d bytes, want about 5–8 KB", i, n)
		}
		wantCP := i%3 == 0
		if got := bytes.Contains(raw, []byte("charset=\"windows-1250\"")); got != wantCP {
			t.Errorf("mail %d: windows-1250 %v, want %v", i, got, wantCP)
		}
		if i%4 != 0 {
			if len(p.Attachments) != 0 {
				t.Errorf("mail %d: %d attachments, want none", i, len(p.Attachments))
			}
			continue
		}
		if len(p.Attachments) != 1 {
			t.Fatalf("mail %d: %d attachments, want the DOCX", i, len(p.Attachments))
		}
		a := p.Attachments[0]
		if a.Filename != m.docxName || !strings.HasPrefix(a.Filename, "Zápis z jednání ") || !bytes.Equal(a.Content, m.docx) {
			t.Errorf("mail %d: attachment %q (%d bytes), want %q (%d bytes)", i, a.Filename, len(a.Content), m.docxName, len(m.docx))
		}
		if !strings.Contains(a.Text, "Zapsal: "+m.from.name) || a.TextError != "" {
			t.Errorf("mail %d: DOCX text %q (error %q)", i, a.Text, a.TextError)
		}
	}
	if st.WordAll[docxOnlyWord] == 0 || st.WordBody[docxOnlyWord] != 0 {
		t.Errorf("%q: in %d mails, %d of them in the body; want some, none in a body", docxOnlyWord, st.WordAll[docxOnlyWord], st.WordBody[docxOnlyWord])
	}
	if st.WordBody[nearlyAllWord]*100 < st.Messages*99 || st.WordAll[noHitWord] != 0 {
		t.Errorf("%q in %d of %d mails, want nearly all; %q in %d, want none", nearlyAllWord, st.WordBody[nearlyAllWord],
			st.Messages, noHitWord, st.WordAll[noHitWord])
	}
	if st.WordBody["financování"] == 0 || st.WordBody["financování"] == st.Messages {
		t.Errorf("financování in %d of %d mails; want some, not all", st.WordBody["financování"], st.Messages)
	}

	// Deterministic for a seed.
	a, _ := newGenerator(7).encode(newGenerator(7).next(3))
	a = slices.Clone(a)
	b, _ := newGenerator(7).encode(newGenerator(7).next(3))
	if !bytes.Equal(a, b) {
		t.Error("two generators with one seed made different mails")
	}
}

// norm folds line breaks and spaces: the parser may rewrap.
func norm(s string) string { return strings.Join(strings.Fields(s), " ") }
