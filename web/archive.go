package web

import (
	"bufio"
	"bytes"
	"errors"
	"mime"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/search"
	"coordbot/store"
)

// pageSize is how many hits an archive page shows.
const pageSize = 20

// archiveData is what the archive page shows.
type archiveData struct {
	Query string
	Hits  []messageRow
	// Page is the page shown, from 1; Prev and Next link the pages
	// around it ("" when there is none).
	Page       int
	Prev, Next string
	Searched   bool
	// Unfiled and Quarantined are the newest such messages, for
	// coordinators, on the first page without a query.
	Coordinator          bool
	Unfiled, Quarantined []messageRow
}

// snippetPart is a piece of a hit's snippet; Hit marks found words.
type snippetPart struct {
	Text string
	Hit  bool
}

// archive searches the minutes with the syntax of coordbot search, in
// the visitor's groups: filed minutes for everyone, unfiled mail too for
// coordinators (of their groups, or of no group).
func (s *server) archive(w http.ResponseWriter, r *http.Request) {
	ctx, v, lang := r.Context(), visitorOf(r), langOf(r)
	text := strings.TrimSpace(r.URL.Query().Get("q"))
	pageNo, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || pageNo < 1 {
		pageNo = 1
	}
	pageNo = min(pageNo, 500)
	loc, err := time.LoadLocation(i18n.DefaultTimeZone)
	if err != nil {
		loc = time.UTC
	}
	d := &archiveData{Query: text, Page: pageNo, Searched: text != "", Coordinator: len(v.groupIDs(true)) > 0}
	p := &page{Lang: lang, Title: tr(lang, "archiveTitle"), Member: v.member, Data: d}
	q, err := search.Parse(text, loc)
	if err != nil {
		p.Error = tr(lang, "searchBad")
		if errors.Is(err, search.ErrNoWords) {
			p.Error = tr(lang, "searchNoWords")
		}
		s.render(w, r, http.StatusOK, "archive", p)
		return
	}
	q.GroupIDs, q.FiledOnly = v.groupIDs(false), true
	switch {
	case !d.Coordinator:
		q.Kind = "" // members read minutes, not the answers and bounces kept beside them
	case q.Kind != "" && q.Kind != store.ArchiveMinutes:
		// Answers and bounces only of the groups they coordinate.
		q.GroupIDs, q.UnfiledGroupIDs = v.groupIDs(true), v.groupIDs(true)
	default:
		q.UnfiledGroupIDs = v.groupIDs(true)
	}
	q.Limit, q.Offset = pageSize+1, (pageNo-1)*pageSize
	hits, err := s.store.SearchArchive(ctx, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(hits) > pageSize {
		hits = hits[:pageSize]
		d.Next = archiveURL(text, pageNo+1)
	}
	if pageNo > 1 {
		d.Prev = archiveURL(text, pageNo-1)
	}
	for _, h := range hits {
		row := messageRow{ID: h.ID, Subject: subjectOr(lang, h.Subject), From: personName(h.FromName, h.FromAddr),
			Snippet: snippet(h.Snippet)}
		if h.FromName == "" {
			row.From = h.FromAddr
		}
		if !h.Sent.IsZero() {
			row.When = i18n.FormatDateTime(h.Sent, loc, lang)
		}
		for _, name := range h.Attachments {
			row.Attachments = append(row.Attachments, attachmentRow{Name: name})
		}
		if h.MeetingID == 0 {
			row.State = tr(lang, "unfiled")
		}
		d.Hits = append(d.Hits, row)
	}
	if d.Coordinator && text == "" && pageNo == 1 {
		scope := v.groupIDs(true)
		unfiled, err := s.store.ArchiveMessages(ctx, store.ArchiveFilter{Unfiled: true, GroupsOrNone: scope, Limit: 20,
			WithoutBody: true})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		quarantined, err := s.store.ArchiveMessages(ctx, store.ArchiveFilter{State: store.ArchiveQuarantined,
			Kind: store.ArchiveAnyKind, GroupsOrNone: scope, Limit: 20, WithoutBody: true})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, m := range unfiled {
			d.Unfiled = append(d.Unfiled, messageRowOf(m, loc, lang))
		}
		for _, m := range quarantined {
			row := messageRowOf(m, loc, lang)
			row.State = m.Reason
			d.Quarantined = append(d.Quarantined, row)
		}
	}
	s.render(w, r, http.StatusOK, "archive", p)
}

// archiveURL links a page of a search.
func archiveURL(text string, pageNo int) string {
	v := url.Values{}
	if text != "" {
		v.Set("q", text)
	}
	if pageNo > 1 {
		v.Set("page", strconv.Itoa(pageNo))
	}
	if len(v) == 0 {
		return "/archive"
	}
	return "/archive?" + v.Encode()
}

// snippet splits the store's snippet, where the words found stand between
// [ and ], into parts the template marks up (and escapes).
func snippet(s string) []snippetPart {
	var out []snippetPart
	for s != "" {
		i := strings.IndexByte(s, '[')
		j := -1
		if i >= 0 {
			j = strings.IndexByte(s[i:], ']')
		}
		if i < 0 || j < 0 {
			out = append(out, snippetPart{Text: s})
			break
		}
		if i > 0 {
			out = append(out, snippetPart{Text: s[:i]})
		}
		out = append(out, snippetPart{Text: s[i+1 : i+j], Hit: true})
		s = s[i+j+1:]
	}
	return out
}

// subjectOr is the subject, or words saying there is none.
func subjectOr(lang i18n.Lang, subject string) string {
	if strings.TrimSpace(subject) == "" {
		return tr(lang, "noSubject")
	}
	return subject
}

// messageRowOf is a stored message in a list.
func messageRowOf(m *store.ArchiveMessage, loc *time.Location, lang i18n.Lang) messageRow {
	row := messageRow{ID: m.ID, Subject: subjectOr(lang, m.Subject), From: personName(m.FromName, m.FromAddr)}
	if m.FromName == "" {
		row.From = m.FromAddr
	}
	at := m.Sent
	if at.IsZero() {
		at = m.Received
	}
	row.When = i18n.FormatDateTime(at, loc, lang)
	for _, a := range m.Attachments {
		row.Attachments = append(row.Attachments, attachmentRow{URL: attachmentURL(m.ID, a.ID), Name: a.Filename,
			Size: a.Size, Type: a.MediaType})
	}
	return row
}

func attachmentURL(messageID, attachmentID int64) string {
	return "/archive/" + strconv.FormatInt(messageID, 10) + "/attachments/" + strconv.FormatInt(attachmentID, 10)
}

// mayRead reports whether the visitor may read a stored message: filed
// minutes of their groups; for a coordinator also unfiled or quarantined
// mail of the groups they coordinate or of no known group, and any kind
// of message (answers, bounces) of those groups.
func (v *visitor) mayRead(m *store.ArchiveMessage) bool {
	filed := m.State == store.ArchiveArchived && m.MeetingID != 0
	if filed && v.in(m.GroupID) && m.Kind == store.ArchiveMinutes {
		return true
	}
	if m.GroupID == 0 {
		return len(v.groupIDs(true)) > 0
	}
	return v.coordinates(m.GroupID)
}

// header is one header line of a message as the page shows it.
type header struct{ Name, Value string }

// messageData is what a message's page shows.
type messageData struct {
	ID          int64
	Headers     []header
	Body        string
	Attachments []attachmentRow
	// Meeting links the meeting it is filed under.
	MeetingURL, MeetingTitle string
	Quarantined              bool
	Reason                   string
	// FileTo are the meetings a coordinator may file it under.
	FileTo []fileOption
}

// fileOption is a meeting to file a message under.
type fileOption struct {
	ID    int64
	Label string
}

// shownHeaders are the headers the message page lists, in this order.
var shownHeaders = []string{"From", "To", "Cc", "Date", "Subject", "Message-Id"}

// loadMessage reads the head of a message the visitor may read; others,
// and unknown ones, are a 404.
func (s *server) loadMessage(w http.ResponseWriter, r *http.Request) (*store.ArchiveMessage, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "")
		return nil, false
	}
	m, err := s.store.ArchiveMessageHead(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !visitorOf(r).mayRead(m)) {
		s.errorPage(w, r, http.StatusNotFound, "")
		return nil, false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return m, true
}

// message shows one message as text: its headers (decoded), the text the
// archive extracted from it (never the mail's own HTML) and its
// attachments to download.
func (s *server) message(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMessage(w, r)
	if !ok {
		return
	}
	notice := ""
	if r.URL.Query().Get("ok") == "filed" {
		notice = "ok_filed"
	}
	s.showMessage(w, r, m, http.StatusOK, notice, "")
}

func (s *server) showMessage(w http.ResponseWriter, r *http.Request, m *store.ArchiveMessage, status int, notice, refusal string) {
	ctx, v, lang := r.Context(), visitorOf(r), langOf(r)
	var err error
	d := &messageData{ID: m.ID, Body: m.BodyText, Quarantined: m.State == store.ArchiveQuarantined, Reason: m.Reason}
	d.Headers = rawHeaders(m.Raw)
	if len(d.Headers) == 0 {
		d.Headers = []header{{"From", personName(m.FromName, m.FromAddr)}, {"Subject", m.Subject}}
	}
	for _, a := range m.Attachments {
		d.Attachments = append(d.Attachments, attachmentRow{URL: attachmentURL(m.ID, a.ID), Name: a.Filename, Size: a.Size, Type: a.MediaType})
	}
	if m.MeetingID != 0 {
		mt, err := s.store.Meeting(ctx, m.MeetingID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, err)
			return
		}
		if mt != nil && v.in(mt.GroupID) {
			g, err := s.store.Group(ctx, mt.GroupID)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			d.MeetingURL = "/meetings/" + strconv.FormatInt(mt.ID, 10)
			d.MeetingTitle = mt.Title + ", " + i18n.FormatDateTime(mt.Start, location(g), lang)
		}
	}
	if m.State == store.ArchiveArchived && m.MeetingID == 0 {
		if d.FileTo, err = s.fileOptions(r, v, lang); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p := &page{Lang: lang, Title: subjectOr(lang, m.Subject), Member: v.member, Data: d, Error: refusal}
	if notice != "" {
		p.Notice = tr(lang, notice)
	}
	s.render(w, r, status, "message", p)
}

// fileOptions lists the meetings a coordinator may file a message under:
// the last and next meetings of the groups they coordinate.
func (s *server) fileOptions(r *http.Request, v *visitor, lang i18n.Lang) ([]fileOption, error) {
	var out []fileOption
	now := s.now()
	for _, gid := range v.groupIDs(true) {
		g, err := s.store.Group(r.Context(), gid)
		if err != nil {
			return nil, err
		}
		ms, err := s.store.Meetings(r.Context(), store.MeetingFilter{GroupID: gid, To: now.Add(60 * 24 * time.Hour),
			Status: []string{store.MeetingScheduled, store.MeetingHeld}, Descending: true, Limit: 20})
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, fileOption{ID: m.ID, Label: g.Name + ": " + m.Title + ", " +
				i18n.FormatDateTime(m.Start, location(g), lang)})
		}
	}
	return out, nil
}

// rawHeaders reads the headers the page shows from the start of a raw
// message, decoding encoded words (=?utf-8?q?…?=). Unreadable headers are
// left out.
func rawHeaders(raw []byte) []header {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw)))
	h, err := tp.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil
	}
	dec := mime.WordDecoder{CharsetReader: nil}
	var out []header
	for _, name := range shownHeaders {
		for _, v := range h.Values(name) {
			if d, err := dec.DecodeHeader(v); err == nil {
				v = d
			}
			out = append(out, header{Name: name, Value: strings.Join(strings.Fields(v), " ")})
		}
	}
	return out
}

// attachment sends one attachment as a download: its stored media type,
// Content-Disposition attachment with the name in ASCII and in RFC 5987
// UTF-8 (filename*), and nosniff, so that a browser never renders it as a
// page of this site.
func (s *server) attachment(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMessage(w, r)
	if !ok {
		return
	}
	aid, ok := pathID(r, "aid")
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	a, err := s.store.Attachment(r.Context(), aid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.MessageID != m.ID) {
		s.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mediaType := a.MediaType
	if _, _, err := mime.ParseMediaType(mediaType); err != nil || mediaType == "" {
		mediaType = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Disposition", contentDisposition(a.Filename))
	h.Set("Content-Length", strconv.Itoa(len(a.Content)))
	h.Set("Cache-Control", "private, no-store")
	// An attachment is no page of ours: it runs nothing even if opened.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(a.Content)
}

// contentDisposition is an attachment's Content-Disposition: filename= in
// plain ASCII (other characters as _) for old clients, filename*= with
// the UTF-8 name percent-encoded (RFC 5987/6266) for the rest.
func contentDisposition(name string) string {
	if strings.TrimSpace(name) == "" {
		name = "priloha"
	}
	var ascii strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '/' || r == ';' || r == '<' || r == '>':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	var enc strings.Builder
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			enc.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(b)|0x100, 16)[1:]))
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}

// isAttrChar reports whether b may stand unencoded in an RFC 5987 value
// (attr-char).
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}

// file files an unfiled message under a meeting (field meeting), through
// the core: a coordinator of the meeting's group acts.
func (s *server) file(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMessage(w, r)
	if !ok {
		return
	}
	v, lang := visitorOf(r), langOf(r)
	meetingID, err := strconv.ParseInt(r.PostFormValue("meeting"), 10, 64)
	if err != nil {
		s.showMessage(w, r, m, http.StatusUnprocessableEntity, "", tr(lang, "pickMeeting"))
		return
	}
	mt, err := s.store.Meeting(r.Context(), meetingID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !v.in(mt.GroupID)) {
		s.showMessage(w, r, m, http.StatusUnprocessableEntity, "", tr(lang, "pickMeeting"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, err = s.core.AssignMinutes(r.Context(), v.actor(), m.ID, mt.ID, mt.GroupID)
	if ref, isRefusal := meeting.IsRefusal(err); isRefusal {
		s.showMessage(w, r, m, http.StatusUnprocessableEntity, "", ref.Message(lang))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/archive/"+strconv.FormatInt(m.ID, 10)+"?ok=filed")
}
