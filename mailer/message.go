package mailer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"coordbot/i18n"
)

// MessageID returns the Message-ID, without angle brackets, of the mail
// sent for the outbox row with idempotency key key: 32 hex digits of the
// key's SHA-256 at domain (the sender's domain; "coordbot.invalid" when
// it is empty). The same row always gets the same Message-ID, so a resend
// after a crash is recognisable, and the intake can match a reply's
// In-Reply-To to the row.
func MessageID(key, domain string) string {
	if domain == "" {
		domain = "coordbot.invalid"
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])[:32] + "@" + strings.ToLower(domain)
}

// boundary is the MIME boundary of the message with that Message-ID. Its
// hex digits and dashes never occur in a quoted-printable or base64 line
// as a whole line starting with "--coordbot-".
func boundary(messageID string) string {
	sum := sha256.Sum256([]byte("boundary:" + messageID))
	return "coordbot-" + hex.EncodeToString(sum[:12])
}

// domainOf returns the domain of an address, "" when it has none.
func domainOf(address string) string {
	if i := strings.LastIndexByte(address, '@'); i >= 0 {
		return address[i+1:]
	}
	return ""
}

// content is a rendered message before MIME: its subject, its text as
// paragraphs (lines within a paragraph separated by "\n"), and for iMIP
// the calendar object and its method.
type content struct {
	Subject    string
	Paragraphs []string
	// Links, when there are any, is a paragraph of links (the one-click
	// answers, the sign-in link) placed before paragraph LinksAt
	// (len(Paragraphs) puts it last), under the line LinksIntro ("" for
	// none). The text part writes each as "Text: URL" on a line of its own;
	// the HTML part as anchors.
	Links      []anchor
	LinksAt    int
	LinksIntro string
	Calendar   []byte
	Method     string
}

// anchor is a link: what it says and where it goes.
type anchor struct {
	Text, URL string
}

// block is a paragraph of the body: text (lines separated by "\n"), or
// links under an optional intro line.
type block struct {
	Text  string
	Intro string
	Links []anchor
}

// blocks are the paragraphs in order, with the links' paragraph in its
// place.
func (c *content) blocks() []block {
	out := make([]block, 0, len(c.Paragraphs)+1)
	for i := 0; i <= len(c.Paragraphs); i++ {
		if i == c.LinksAt && len(c.Links) > 0 {
			out = append(out, block{Intro: c.LinksIntro, Links: c.Links})
		}
		if i < len(c.Paragraphs) {
			out = append(out, block{Text: c.Paragraphs[i]})
		}
	}
	return out
}

// plain is the text/plain body: the paragraphs separated by blank lines;
// a link stands on a line of its own after its text, so that every mail
// client can open it.
func (c *content) plain() string {
	var ps []string
	for _, b := range c.blocks() {
		if b.Links == nil {
			ps = append(ps, b.Text)
			continue
		}
		var lines []string
		if b.Intro != "" {
			lines = append(lines, b.Intro)
		}
		for _, a := range b.Links {
			lines = append(lines, a.Text+": "+a.URL)
		}
		ps = append(ps, strings.Join(lines, "\n"))
	}
	return strings.Join(ps, "\n\n") + "\n"
}

// envelope is what a message's header says beyond the content.
type envelope struct {
	From, ReplyTo, To *mail.Address
	MessageID         string // without angle brackets
	Date              time.Time
	Lang              i18n.Lang
}

// htmlBody is the text/html part: each paragraph a <p>, its lines joined
// by <br>, a paragraph of links as anchors; html/template escapes every
// piece of text and checks every URL. It is parsed on first use, not at
// the start of every command.
var htmlBody = sync.OnceValue(htmlBodyTemplate)

func htmlBodyTemplate() *template.Template {
	return template.Must(template.New("body").Funcs(template.FuncMap{
		"lines": func(s string) []string { return strings.Split(s, "\n") },
	}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body>
{{range .Blocks}}{{if .Links}}<p>{{with .Intro}}{{.}}<br>
{{end}}{{range $i, $a := .Links}}{{if $i}} &middot;
{{end}}<a href="{{$a.URL}}">{{$a.Text}}</a>{{end}}</p>
{{else}}<p>{{range $i, $l := lines .Text}}{{if $i}}<br>
{{end}}{{$l}}{{end}}</p>
{{end}}{{end}}</body></html>
`))
}

// compose writes the whole message (header and body, CRLF line endings):
// multipart/alternative with text/plain, text/html and, for iMIP, the
// text/calendar part last (the richest alternative, RFC 2046 5.1.4).
func compose(env envelope, c *content) ([]byte, error) {
	lang := "cs"
	if env.Lang == i18n.English {
		lang = "en"
	}
	// go-message puts each new field on top, so the fields are set in
	// reverse of the order they are read in.
	var h mail.Header
	// A boundary from the Message-ID rather than a random one: the same
	// row and state give the same bytes.
	h.SetContentType("multipart/alternative", map[string]string{"boundary": boundary(env.MessageID)})
	// RFC 3834: out-of-office responders must not answer, so only people's
	// replies come back to the archive.
	h.Set("Auto-Submitted", "auto-generated")
	h.Set("Content-Language", lang)
	h.SetMessageID(env.MessageID)
	h.SetDate(env.Date)
	h.SetSubject(c.Subject)
	h.SetAddressList("To", []*mail.Address{env.To})
	if env.ReplyTo != nil {
		h.SetAddressList("Reply-To", []*mail.Address{env.ReplyTo})
	}
	h.SetAddressList("From", []*mail.Address{env.From})

	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, fmt.Errorf("mailer: compose: %w", err)
	}
	plain := c.plain()
	if err := part(w, "text/plain", map[string]string{"charset": "UTF-8"}, "quoted-printable", func(pw io.Writer) error {
		_, err := io.WriteString(pw, plain)
		return err
	}); err != nil {
		return nil, err
	}
	if err := part(w, "text/html", map[string]string{"charset": "UTF-8"}, "quoted-printable", func(pw io.Writer) error {
		return htmlBody().Execute(pw, struct {
			Lang, Subject string
			Blocks        []block
		}{lang, c.Subject, c.blocks()})
	}); err != nil {
		return nil, err
	}
	if c.Calendar != nil {
		// base64 carries the calendar's CRLF lines and folding exactly.
		if err := part(w, "text/calendar", map[string]string{"method": c.Method, "charset": "UTF-8"}, "base64", func(pw io.Writer) error {
			_, err := pw.Write(c.Calendar)
			return err
		}); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("mailer: compose: %w", err)
	}
	return buf.Bytes(), nil
}

// part writes one part of a multipart writer.
func part(w *message.Writer, mediaType string, params map[string]string, encoding string, body func(io.Writer) error) error {
	var ph message.Header
	ph.SetContentType(mediaType, params)
	ph.Set("Content-Transfer-Encoding", encoding)
	pw, err := w.CreatePart(ph)
	if err != nil {
		return fmt.Errorf("mailer: compose %s: %w", mediaType, err)
	}
	if err := body(pw); err != nil {
		return fmt.Errorf("mailer: compose %s: %w", mediaType, err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("mailer: compose %s: %w", mediaType, err)
	}
	return nil
}
