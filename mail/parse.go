package mail

//go:generate go run testdata/gen/main.go -dir testdata

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrEmpty is returned by Parse when the input holds nothing but whitespace.
var ErrEmpty = errors.New("mail: empty message")

// Parsed is what could be read from one message. The raw bytes are not
// copied into it: the caller keeps them.
type Parsed struct {
	MessageID   string       // without angle brackets; "" when missing or unusable
	InReplyTo   string       // first id of In-Reply-To, without brackets
	References  []string     // ids of References, without brackets
	From        Address      // from From:, else Sender:, else Return-Path:
	To          []Address    // To, Cc, Delivered-To, X-Original-To and Envelope-To, without duplicates
	Subject     string       // RFC 2047 decoded, whitespace folded
	Date        time.Time    // zero when missing or unparsable
	Body        string       // readable text, forwarded messages appended
	Attachments []Attachment // files, including those of forwarded messages
	Problems    []Problem    // what was malformed; parsing went on
}

// Attachment is one file attached to a message (or to a forwarded message
// inside it).
type Attachment struct {
	Filename  string // RFC 2231 / RFC 2047 decoded, without directories; "" if none
	MediaType string // lower-case; sniffed from the name when declared as application/octet-stream
	Content   []byte // decoded bytes, byte for byte the file; never nil
	Text      string // extracted text for search (DOCX, ODT, PDF, text/*); "" for others
	TextError string // why text extraction failed, if it did
}

// ParseOptions tunes Parse.
type ParseOptions struct {
	// MaxAttachmentText caps the extracted text per attachment in bytes
	// (0 means 1 MiB). Truncated text gets a note in Parsed.Problems.
	MaxAttachmentText int
	// Extractor, when set, reads the attachments whose reader is risky
	// (PDFs) outside this process; nil reads them in process, guarded.
	// cmd/coordbot sets a ChildExtractor.
	Extractor Extractor
}

// Limits that keep hostile input cheap.
const (
	defaultMaxAttachmentText = 1 << 20
	maxMessageDepth          = 10   // nested message/rfc822
	maxEntityDepth           = 40   // nested multiparts
	maxEntities              = 5000 // MIME parts per Parse
	maxProblems              = 100
	maxReferences            = 500
)

// msgParser holds the state of one Parse call.
type msgParser struct {
	opts      ParseOptions
	entities  int
	tnefDepth int // winmail.dat inside winmail.dat
}

// msgState collects what one (possibly forwarded) message yields.
type msgState struct {
	msg       *Parsed
	depth     int      // message/rfc822 nesting depth, 0 for the top
	extra     []string // body text from winmail.dat
	forwarded []string // text blocks of forwarded messages
}

// partText is the readable text of an entity.
type partText struct {
	text string
	html bool // converted from HTML
}

// Parse reads one RFC 5322 message. It returns an error only when nothing
// at all can be read (empty input); everything else is recovered, with a
// Problem in Problems.
func Parse(raw []byte, opts ParseOptions) (*Parsed, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, ErrEmpty
	}
	if opts.MaxAttachmentText <= 0 {
		opts.MaxAttachmentText = defaultMaxAttachmentText
	}
	p := &msgParser{opts: opts}
	return p.message(raw, 0), nil
}

// message parses a whole message at message nesting depth.
func (p *msgParser) message(raw []byte, depth int) *Parsed {
	m := &Parsed{}
	st := &msgState{msg: m, depth: depth}
	h, body, notes := splitHeader(raw)
	for _, n := range notes {
		st.add(n)
	}
	p.envelope(st, h)
	c := p.entity(st, h, body, 0, "text/plain")
	parts := make([]string, 0, 1+len(st.extra)+len(st.forwarded))
	for _, t := range append([]string{c.text}, st.extra...) {
		if t = normalizeText(t); t != "" {
			parts = append(parts, t)
		}
	}
	parts = append(parts, st.forwarded...)
	m.Body = strings.Join(parts, "\n\n")
	return m
}

// add records a problem once. The zero Problem (no problem) is ignored.
func (st *msgState) add(p Problem) {
	if p.Kind == 0 {
		return
	}
	p.Detail = strings.ToValidUTF8(p.Detail, "?")
	if slices.Contains(st.msg.Problems, p) {
		return
	}
	if len(st.msg.Problems) < maxProblems {
		st.msg.Problems = append(st.msg.Problems, p)
	}
}

// note records a problem of kind k.
func (st *msgState) note(k ProblemKind, detail string) {
	st.add(Problem{Kind: k, Detail: detail})
}

// envelope reads the identifying header fields.
func (p *msgParser) envelope(st *msgState, h mimeHeader) {
	m := st.msg
	top := st.depth == 0

	if v := h.get("message-id"); v != "" {
		if ids := parseMsgIDs(v); len(ids) > 0 {
			m.MessageID = ids[0]
		} else if top {
			st.note(ProblemBadMessageID, "unusable Message-ID")
		}
	} else if top {
		st.note(ProblemMissingMessageID, "missing Message-ID")
	}
	if ids := parseMsgIDs(h.get("in-reply-to")); len(ids) > 0 {
		m.InReplyTo = ids[0]
	}
	for _, v := range h.values("references") {
		for _, id := range parseMsgIDs(v) {
			if len(m.References) < maxReferences {
				m.References = append(m.References, id)
			}
		}
	}

	fromFound := false
	for _, key := range []string{"from", "sender", "return-path"} {
		v := h.get(key)
		if strings.TrimSpace(v) == "" {
			continue
		}
		list, ok := parseAddressList(v)
		if !ok && key == "from" {
			st.note(ProblemBadAddress, "malformed From header, read leniently")
		}
		if len(list) > 0 && list[0].Addr != "" {
			m.From = list[0]
			fromFound = true
			if key != "from" && top {
				st.note(ProblemSenderFallback, "no usable From header, sender taken from "+key)
			}
			break
		}
	}
	if !fromFound && top {
		st.note(ProblemMissingFrom, "missing From")
	}

	seen := map[string]bool{}
	for _, key := range []string{"to", "cc", "delivered-to", "x-original-to", "envelope-to", "x-envelope-to"} {
		for _, v := range h.values(key) {
			list, ok := parseAddressList(v)
			if !ok {
				st.note(ProblemBadAddress, "malformed "+key+" header, read leniently")
			}
			m.To = appendUnique(m.To, seen, list...)
		}
	}

	if h.has("subject") {
		s, notes := decodeHeaderNotes(h.get("subject"))
		m.Subject = foldSpace(s)
		for _, n := range notes {
			st.note(n.Kind, "subject: "+n.Detail)
		}
	}

	if v := h.get("date"); strings.TrimSpace(v) != "" {
		if t, err := ParseDate(v); err == nil {
			m.Date = t
		} else {
			st.note(ProblemBadDate, "unparsable Date "+quoteNote(v))
		}
	} else if top {
		st.note(ProblemMissingDate, "missing Date")
	}
}

// quoteNote quotes a header value for a note, shortened and made valid.
func quoteNote(v string) string {
	v = DecodeHeader(v)
	if len(v) > 80 {
		v = v[:80]
		v = strings.ToValidUTF8(v, "") + "…"
	}
	return fmt.Sprintf("%q", v)
}

// entity reads one MIME entity with header h and (still transfer-encoded)
// body at multipart depth depth, and returns its readable text. Files are
// added to st.msg.Attachments, forwarded messages to st.forwarded.
func (p *msgParser) entity(st *msgState, h mimeHeader, body []byte, depth int, defaultType string) partText {
	p.entities++
	if p.entities == maxEntities+1 {
		st.note(ProblemLimitReached, fmt.Sprintf("more than %d MIME parts, the rest is ignored", maxEntities))
	}
	if p.entities > maxEntities {
		return partText{}
	}

	ctRaw := h.get("content-type")
	mt, params := defaultType, map[string]string{}
	if strings.TrimSpace(ctRaw) != "" {
		mt, params = mediaParams(ctRaw)
		if !validMediaType(mt) {
			st.note(ProblemBadContentType, "invalid Content-Type "+quoteNote(ctRaw)+", read as "+defaultType)
			mt = defaultType
		}
	}
	disp, dparams := mediaParams(h.get("content-disposition"))
	filename := pickFilename(dparams, params)
	isAttachment := disp == "attachment" || filename != ""
	cte := h.get("content-transfer-encoding")

	switch {
	case strings.HasPrefix(mt, "multipart/"):
		return p.multipart(st, mt, params, body, depth)
	case mt == "message/rfc822" || mt == "message/global" || mt == "message/x-rfc822":
		data, note := decodeTransfer(body, cte)
		st.add(note)
		p.forwarded(st, filename, mt, data)
		return partText{}
	}

	data, note := decodeTransfer(body, cte)
	st.add(note)

	if !isAttachment && (mt == "text/plain" || mt == "text/html" || mt == "text/enriched" || mt == "text/richtext") {
		text, cnote := decodeText(data, params["charset"])
		st.add(cnote)
		if mt == "text/html" {
			return partText{text: htmlToText(text), html: true}
		}
		return partText{text: text}
	}
	p.attachment(st, filename, mt, params["charset"], data)
	return partText{}
}

// validMediaType reports whether mt looks like "type/subtype".
func validMediaType(mt string) bool {
	slash := strings.IndexByte(mt, '/')
	if slash <= 0 || slash == len(mt)-1 || strings.Count(mt, "/") != 1 {
		return false
	}
	for _, r := range mt {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"[]?=`, r) {
			return false
		}
	}
	return true
}

// pickFilename takes the file name from Content-Disposition, else from the
// Content-Type name parameter, decodes it and strips directories.
func pickFilename(dparams, params map[string]string) string {
	name := dparams["filename"]
	if strings.TrimSpace(name) == "" {
		name = params["name"]
	}
	if name == "" {
		return ""
	}
	return sanitizeFilename(DecodeHeader(name))
}

// sanitizeFilename strips directories and control characters and caps the
// length of a file name.
func sanitizeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, "\uFFFD"))
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > 255 {
		r := []rune(name)
		name = string(r[:255])
	}
	return name
}

// multipart reads the parts of a multipart entity.
func (p *msgParser) multipart(st *msgState, mt string, params map[string]string, body []byte, depth int) partText {
	if depth >= maxEntityDepth {
		st.note(ProblemLimitReached, "multipart nesting too deep, inner parts ignored")
		return partText{}
	}
	boundary := params["boundary"]
	if boundary == "" {
		boundary = guessBoundary(body)
		if boundary == "" {
			st.note(ProblemBrokenBoundary, "multipart without boundary, read as text")
			text, note := decodeText(body, "")
			st.add(note)
			return partText{text: text}
		}
		st.note(ProblemBrokenBoundary, "multipart without boundary parameter, boundary guessed")
	}
	res := splitMultipart(body, boundary)
	if !res.found {
		st.note(ProblemBrokenBoundary, "multipart boundary never found, read as text")
		text, note := decodeText(body, "")
		st.add(note)
		return partText{text: text}
	}
	if !res.closed {
		st.note(ProblemBrokenBoundary, "broken multipart: missing closing boundary")
	}
	childType := "text/plain"
	if mt == "multipart/digest" {
		childType = "message/rfc822"
	}
	children := make([]partText, 0, len(res.parts))
	for _, part := range res.parts {
		ch, cb, notes := splitHeader(part)
		for _, n := range notes {
			if n.Kind == ProblemNoHeader {
				// A part with no header is plain text (RFC 2046).
				continue
			}
			st.add(n)
		}
		children = append(children, p.entity(st, ch, cb, depth+1, childType))
	}

	if mt == "multipart/alternative" {
		var first partText
		for _, c := range children {
			if strings.TrimSpace(c.text) == "" {
				continue
			}
			if !c.html {
				return c
			}
			if first.text == "" {
				first = c
			}
		}
		return first
	}
	var texts []string
	allHTML := true
	for _, c := range children {
		if strings.TrimSpace(c.text) == "" {
			continue
		}
		texts = append(texts, c.text)
		allHTML = allHTML && c.html
	}
	return partText{text: strings.Join(texts, "\n\n"), html: len(texts) > 0 && allHTML}
}

// forwarded parses an attached message and appends its text block and
// attachments.
func (p *msgParser) forwarded(st *msgState, filename, mt string, data []byte) {
	if st.depth+1 > maxMessageDepth {
		st.note(ProblemLimitReached, "forwarded messages nested too deep, kept as attachment")
		p.attachment(st, filename, mt, "", data)
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		st.note(ProblemEmptyForwarded, "empty forwarded message")
		return
	}
	sub := p.message(data, st.depth+1)
	for _, n := range sub.Problems {
		if !strings.HasPrefix(n.Detail, "forwarded message: ") {
			n.Detail = "forwarded message: " + n.Detail
		}
		st.add(n)
	}
	st.msg.Attachments = append(st.msg.Attachments, sub.Attachments...)
	st.forwarded = append(st.forwarded, forwardedBlock(sub))
}

// forwardedBlock renders a forwarded message as searchable text: a short
// header block, then its body.
func forwardedBlock(m *Parsed) string {
	var b strings.Builder
	b.WriteString("---------- Forwarded message ----------\n")
	if m.From.Addr != "" || m.From.Name != "" {
		b.WriteString("From: " + m.From.String() + "\n")
	}
	if m.Subject != "" {
		b.WriteString("Subject: " + m.Subject + "\n")
	}
	if !m.Date.IsZero() {
		b.WriteString("Date: " + m.Date.Format(time.RFC1123Z) + "\n")
	}
	if m.Body != "" {
		b.WriteString("\n" + m.Body)
	}
	return strings.TrimRight(b.String(), "\n")
}

// attachment adds a file to the message, extracting its text.
func (p *msgParser) attachment(st *msgState, filename, mt, charsetLabel string, data []byte) {
	a := Attachment{
		Filename:  filename,
		MediaType: sniffMediaType(mt, filename, data),
		Content:   bytes.Clone(data),
	}
	if a.Content == nil {
		a.Content = []byte{}
	}
	if a.MediaType == "application/ms-tnef" {
		if p.tnef(st, a) {
			return
		}
	}
	text, truncated, err := extractAttachment(p.opts.Extractor, a.Filename, a.MediaType, charsetLabel, a.Content, p.opts.MaxAttachmentText)
	a.Text = text
	if err != nil {
		a.TextError = strings.ToValidUTF8(err.Error(), "?")
	}
	if truncated {
		name := a.Filename
		if name == "" {
			name = a.MediaType
		}
		st.note(ProblemTruncatedText, fmt.Sprintf("attachment %q: extracted text truncated to %d bytes", name, p.opts.MaxAttachmentText))
	}
	st.msg.Attachments = append(st.msg.Attachments, a)
}
