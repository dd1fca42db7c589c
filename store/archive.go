package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"coordbot/search/snippet"
)

// Archive message states.
const (
	ArchiveArchived    = "archived"
	ArchiveQuarantined = "quarantined"
)

// ArchiveMessage is one mail that reached the archive address: minutes,
// usually, with their attachments. Raw holds the message byte for byte.
type ArchiveMessage struct {
	ID int64
	// MessageID is the Message-ID without angle brackets, "" when missing.
	MessageID string
	// ContentHash is the hex SHA-256 of Raw.
	ContentHash string
	FromAddr    string
	FromName    string
	Subject     string
	// Sent is the Date header; zero when missing.
	Sent       time.Time
	Received   time.Time
	InReplyTo  string
	References []string
	BodyText   string
	Raw        []byte
	Size       int64
	GroupID    int64 // 0 when unknown
	MeetingID  int64 // 0 when not matched ("unfiled")
	State      string
	// Reason says why a message is quarantined.
	Reason string
	Source string
	// Kind is ArchiveMinutes (default), ArchiveReply or ArchiveBounce.
	Kind string
	// Action is what the message asks the core to do (JSON written and
	// read by package mail), "" for none; ActionState is "" without an
	// action, else ActionPending until the core did it (ActionDone) or
	// refused it (ActionRefused).
	Action      string
	ActionState string
	Attachments []*Attachment
}

// Kinds of stored messages (archive_messages.kind).
const (
	// ArchiveMinutes is the archive proper: listed, searched, reported.
	ArchiveMinutes = "minutes"
	// ArchiveReply is an answer or agenda item sent by mail in reply to
	// coordbot's own mail; kept, but searched only when asked for.
	ArchiveReply = "reply"
	// ArchiveBounce is a delivery status report about mail coordbot sent.
	ArchiveBounce = "bounce"
	// ArchiveAnyKind, in a filter, selects every kind.
	ArchiveAnyKind = "any"
)

// States of a stored message's action.
const (
	ActionPending = "pending"
	ActionDone    = "done"
	ActionRefused = "refused"
)

// Attachment is a file that came with an archived message.
type Attachment struct {
	ID        int64
	MessageID int64
	Position  int
	Filename  string
	MediaType string
	Size      int64
	SHA256    string
	Content   []byte
	// Text is what was extracted for search ("" when none).
	Text string
	// TextError says why no text (or only part of it) could be read, ""
	// when reading went well or was not tried.
	TextError string
}

// AddArchiveMessage stores m with its attachments and, when archived, indexes
// it for search, all in one transaction. If a message with the same
// Message-ID or, lacking one, the same content hash is already stored, it
// stores nothing, sets m.ID, m.State, m.Reason and m.MeetingID to the stored
// row's and returns true.
func (s *Store) AddArchiveMessage(ctx context.Context, m *ArchiveMessage) (duplicate bool, err error) {
	dups, err := s.AddArchiveMessages(ctx, []*ArchiveMessage{m})
	if err != nil {
		return false, err
	}
	return dups[0], nil
}

// AddArchiveMessages stores several messages in one transaction, in order,
// each as AddArchiveMessage would; duplicates[i] reports ms[i] as a
// duplicate (of a stored message or of one earlier in ms). A message to be
// archived replaces a quarantined copy of itself instead of being a
// duplicate. On error none of them is stored. The commit is durable
// (synchronous FULL): the mail intake moves messages out of the mailbox
// right after it, so it must survive a power cut.
func (s *Store) AddArchiveMessages(ctx context.Context, ms []*ArchiveMessage) (duplicates []bool, err error) {
	for _, m := range ms {
		if m.ContentHash == "" || m.Raw == nil {
			return nil, fmt.Errorf("store: archive message without raw bytes or hash: %w", ErrInvalid)
		}
	}
	err = s.updateDurable(ctx, func(tx *sql.Tx) error {
		duplicates = make([]bool, len(ms))
		var fts []ftsRow
		for i, m := range ms {
			if m.State == "" {
				m.State = ArchiveArchived
			}
			found, err := findArchiveTx(ctx, tx, m.MessageID, m.ContentHash)
			if err != nil {
				return err
			}
			if found != nil && found.State == ArchiveQuarantined && m.State == ArchiveArchived {
				// A message set aside before (its sender was not yet
				// allowed, or it was over the size limit) comes again and
				// now qualifies: it replaces the quarantined copy.
				if _, err := tx.ExecContext(ctx, `DELETE FROM archive_messages WHERE id = ?`, found.ID); err != nil {
					return dbError("release quarantined message", err)
				}
				found = nil
			}
			if found != nil {
				m.ID, m.State, m.Reason, m.MeetingID, m.GroupID = found.ID, found.State, found.Reason, found.MeetingID, found.GroupID
				duplicates[i] = true
				continue
			}
			if err := s.insertArchiveTx(ctx, tx, m, &fts); err != nil {
				return err
			}
		}
		return indexTx(ctx, tx, fts)
	})
	if err != nil {
		return nil, err
	}
	return duplicates, nil
}

// ArchiveRef identifies a stored message and where it was filed.
type ArchiveRef struct {
	ID        int64
	State     string
	Reason    string
	GroupID   int64
	MeetingID int64
}

// findArchiveTx returns the stored message with that Message-ID (when not
// empty) or content hash, or nil.
func findArchiveTx(ctx context.Context, tx *sql.Tx, messageID, hash string) (*ArchiveRef, error) {
	var r ArchiveRef
	err := tx.QueryRowContext(ctx, `
		SELECT id, state, reason, coalesce(group_id, 0), coalesce(meeting_id, 0) FROM archive_messages
		WHERE (message_id = ? AND ? <> '') OR content_hash = ? LIMIT 1`, messageID, messageID, hash).
		Scan(&r.ID, &r.State, &r.Reason, &r.GroupID, &r.MeetingID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, dbError("find archive message", err)
	}
	return &r, nil
}

// FindArchiveMessage returns the stored message with that Message-ID (when
// not empty) or content hash, or nil when there is none.
func (s *Store) FindArchiveMessage(ctx context.Context, messageID, contentHash string) (*ArchiveRef, error) {
	var r *ArchiveRef
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = findArchiveTx(ctx, tx, messageID, contentHash)
		return err
	})
	return r, err
}

// ThreadMeeting returns the meeting of the first archived message among
// messageIDs (In-Reply-To and References of a reply) that is filed under a
// meeting, or 0.
func (s *Store) ThreadMeeting(ctx context.Context, messageIDs []string) (int64, error) {
	for _, id := range messageIDs {
		if id == "" {
			continue
		}
		var meeting int64
		err := s.rdb.QueryRowContext(ctx, `
			SELECT meeting_id FROM archive_messages WHERE message_id = ? AND meeting_id IS NOT NULL`, id).Scan(&meeting)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, dbError("thread meeting", err)
		}
		return meeting, nil
	}
	return 0, nil
}

func (s *Store) insertArchiveTx(ctx context.Context, tx *sql.Tx, m *ArchiveMessage, fts *[]ftsRow) error {
	if m.Received.IsZero() {
		m.Received = s.Now()
	}
	if m.State == "" {
		m.State = ArchiveArchived
	}
	if m.Kind == "" {
		m.Kind = ArchiveMinutes
	}
	if m.Action != "" && m.ActionState == "" {
		m.ActionState = ActionPending
	}
	m.Size = int64(len(m.Raw))
	err := tx.QueryRowContext(ctx, `
		INSERT INTO archive_messages (message_id, content_hash, from_addr, from_name, subject, sent_at,
			received_at, in_reply_to, refs, body_text, raw, size, group_id, meeting_id, state, reason, source,
			kind, action, action_state)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		nullString(m.MessageID), m.ContentHash, strings.ToLower(m.FromAddr), m.FromName, m.Subject,
		timeOrNull(m.Sent), unix(m.Received), m.InReplyTo, strings.Join(m.References, " "), m.BodyText, m.Raw,
		m.Size, nullID(m.GroupID), nullID(m.MeetingID), m.State, m.Reason, m.Source,
		m.Kind, m.Action, m.ActionState).Scan(&m.ID)
	if err != nil {
		return dbError("add archive message", err)
	}
	var attText strings.Builder
	if len(m.Attachments) > 0 {
		stmt, err := tx.PrepareContext(ctx, `
			INSERT INTO archive_attachments (message_id, position, filename, media_type, size, sha256, content, text,
				text_error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
		if err != nil {
			return dbError("add attachment", err)
		}
		defer stmt.Close()
		for i, a := range m.Attachments {
			a.MessageID, a.Position, a.Size = m.ID, i+1, int64(len(a.Content))
			if a.MediaType == "" {
				a.MediaType = "application/octet-stream"
			}
			content := a.Content
			if content == nil {
				content = []byte{} // NOT NULL: an empty file is still a file
			}
			if err := stmt.QueryRowContext(ctx, m.ID, a.Position, a.Filename, a.MediaType, a.Size, a.SHA256,
				content, a.Text, a.TextError).Scan(&a.ID); err != nil {
				return dbError("add attachment "+a.Filename, err)
			}
			attText.WriteString(a.Filename)
			attText.WriteString("\n")
			attText.WriteString(a.Text)
			attText.WriteString("\n")
		}
	}
	if m.State != ArchiveArchived {
		return nil // quarantined mail is kept, not searchable
	}
	*fts = append(*fts, ftsRow{id: m.ID, subject: m.Subject, sender: strings.TrimSpace(m.FromName + " " + m.FromAddr),
		body: m.BodyText, attachments: attText.String()})
	return nil
}

// ftsRow is one archived message's entry in the full-text index.
type ftsRow struct {
	id                                 int64
	subject, sender, body, attachments string
}

// indexTx adds rows to the full-text index. They are written after every
// other row of the batch, back to back: FTS5 flushes its pending terms to
// disk at each statement savepoint once it is part of the transaction, so
// interleaving other inserts would turn every message into a tiny segment
// (and a merge). Written together, a batch becomes one segment.
func indexTx(ctx context.Context, tx *sql.Tx, rows []ftsRow) error {
	if len(rows) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO archive_fts (rowid, subject, sender, body, attachments) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return dbError("index archive message", err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r.id, r.subject, r.sender, r.body, r.attachments); err != nil {
			return dbError("index archive message", err)
		}
	}
	return nil
}

const archiveColumns = `id, coalesce(message_id, ''), content_hash, from_addr, from_name, subject, sent_at, received_at,
	in_reply_to, refs, body_text, size, coalesce(group_id, 0), coalesce(meeting_id, 0), state, reason, source,
	kind, action, action_state`

func scanArchiveMessage(sc scanner) (*ArchiveMessage, error) {
	var m ArchiveMessage
	var sent sql.NullInt64
	var received int64
	var refs string
	if err := sc.Scan(&m.ID, &m.MessageID, &m.ContentHash, &m.FromAddr, &m.FromName, &m.Subject, &sent, &received,
		&m.InReplyTo, &refs, &m.BodyText, &m.Size, &m.GroupID, &m.MeetingID, &m.State, &m.Reason, &m.Source,
		&m.Kind, &m.Action, &m.ActionState); err != nil {
		return nil, err
	}
	m.Sent, m.Received = nullTime(sent), fromUnix(received)
	m.References = strings.Fields(refs)
	return &m, nil
}

// ArchiveMessageByID returns a stored message with its attachments (their
// content included) and raw bytes, or ErrNotFound.
func (s *Store) ArchiveMessageByID(ctx context.Context, id int64) (*ArchiveMessage, error) {
	var m *ArchiveMessage
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = scanArchiveMessage(tx.QueryRowContext(ctx, `SELECT `+archiveColumns+` FROM archive_messages WHERE id = ?`, id))
		if err != nil {
			return dbError(fmt.Sprintf("archive message %d", id), err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT raw FROM archive_messages WHERE id = ?`, id).Scan(&m.Raw); err != nil {
			return dbError("archive raw", err)
		}
		rows, err := tx.QueryContext(ctx, `
			SELECT id, message_id, position, filename, media_type, size, sha256, content, text, text_error
			FROM archive_attachments WHERE message_id = ? ORDER BY position`, id)
		if err != nil {
			return dbError("attachments", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a Attachment
			if err := rows.Scan(&a.ID, &a.MessageID, &a.Position, &a.Filename, &a.MediaType, &a.Size, &a.SHA256,
				&a.Content, &a.Text, &a.TextError); err != nil {
				return dbError("attachments", err)
			}
			m.Attachments = append(m.Attachments, &a)
		}
		return dbError("attachments", rows.Err())
	})
	return m, err
}

// ArchiveTexts returns the text of a stored message: its body, then the
// extracted text of each attachment in order; ErrNotFound for an unknown
// id. It reads neither the raw bytes nor the attachments' content, for
// readers that look for words (the report's program lines).
func (s *Store) ArchiveTexts(ctx context.Context, id int64) ([]string, error) {
	var texts []string
	err := s.view(ctx, func(tx *sql.Tx) error {
		var body string
		if err := tx.QueryRowContext(ctx, `SELECT body_text FROM archive_messages WHERE id = ?`, id).Scan(&body); err != nil {
			return dbError(fmt.Sprintf("archive message %d", id), err)
		}
		texts = append(texts, body)
		rows, err := tx.QueryContext(ctx, `SELECT text FROM archive_attachments WHERE message_id = ? ORDER BY position`, id)
		if err != nil {
			return dbError("attachment texts", err)
		}
		defer rows.Close()
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				return dbError("attachment texts", err)
			}
			texts = append(texts, t)
		}
		return dbError("attachment texts", rows.Err())
	})
	return texts, err
}

// AssignMinutes files an archived message under a meeting (and that
// meeting's group); meetingID 0 makes it unfiled again.
func (s *Store) AssignMinutes(ctx context.Context, messageID, meetingID int64) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.AssignMinutes(messageID, meetingID) })
}

// AssignMinutes files the message in the transaction; see
// [Store.AssignMinutes].
func (t *Tx) AssignMinutes(messageID, meetingID int64) error {
	res, err := t.ExecContext(t.ctx, `
		UPDATE archive_messages
		SET meeting_id = ?, group_id = coalesce((SELECT group_id FROM meetings WHERE id = ?), group_id)
		WHERE id = ?`, nullID(meetingID), meetingID, messageID)
	if err != nil {
		return dbError("assign minutes", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: archive message %d: %w", messageID, ErrNotFound)
	}
	return nil
}

// SearchQuery is a full-text search of the archive. Zero fields do not filter.
type SearchQuery struct {
	// Text is what the person typed; every word must occur (diacritics and
	// case do not matter). Empty Text lists the newest messages.
	Text    string
	GroupID int64
	// GroupSlug filters by group like GroupID does.
	GroupSlug     string
	From          string // substring of the sender address or name
	After, Before time.Time
	HasAttachment bool
	// Kind selects one kind of message like [ArchiveFilter.Kind]: ""
	// means ArchiveMinutes (answers and bounces are kept but are not
	// minutes), ArchiveAnyKind every kind.
	Kind  string
	Limit int // default 20
	// Offset skips that many hits first (paging: page n of Limit hits
	// has Offset (n-1)*Limit).
	Offset int
	// GroupIDs, when not nil, keeps only messages of these groups (an
	// empty, non-nil slice finds nothing): what a member of them may read.
	GroupIDs []int64
	// FiledOnly keeps only messages filed under a meeting: the minutes a
	// member sees; unfiled mail is for the coordinators.
	FiledOnly bool
	// UnfiledGroupIDs, when not nil, admits besides what GroupIDs and
	// FiledOnly keep the unfiled messages of these groups and of no known
	// group: what a coordinator of these groups may read and file.
	UnfiledGroupIDs []int64
}

// SearchHit is one found message.
type SearchHit struct {
	ID        int64
	MessageID string
	Subject   string
	FromAddr  string
	FromName  string
	Sent      time.Time
	MeetingID int64
	// Kind is the message's kind (ArchiveMinutes, ArchiveReply, ArchiveBounce).
	Kind string
	// Attachments are the file names.
	Attachments []string
	// Snippet is matching text with the matches between [ and ].
	Snippet string
}

// ftsQuery turns typed words into an FTS5 expression that cannot be a syntax
// error: each word becomes a quoted string, words are ANDed. A trailing *
// on a word asks for a prefix match.
func ftsQuery(text string) string {
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '*'
	})
	var parts []string
	for _, w := range words {
		prefix := strings.HasSuffix(w, "*")
		w = strings.Trim(w, "*")
		if w == "" {
			continue
		}
		p := `"` + w + `"` // no quotes can be left in w: FieldsFunc split on them
		if prefix {
			p += "*"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// senderQuery turns a from: value into an FTS5 query of the sender
// column: its words, in order, the last one a prefix ("jana@" finds
// jana.novakova@…, "novakova@obec" the address of that name). "" when it
// has no letter or digit.
func senderQuery(from string) string {
	words := strings.FieldsFunc(norm.NFC.String(from), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) == 0 {
		return ""
	}
	return `sender : "` + strings.Join(words, " ") + `" *`
}

// searchWalkFrom is the number of full-text matches from which
// SearchArchive walks the date index instead of letting SQLite sort the
// matches by date. Sorting reads every match's row (a few µs each);
// walking reads the index entries of the messages, newest first, until a
// page of them matched, which is short when many match. With 10,000
// messages the two cost the same near 150 matches.
const searchWalkFrom = 200

// SearchArchive finds archived messages, newest first (by the Date header,
// else the time of arrival; then the newest id), with a snippet of where
// the words occur.
//
// Newest first, not best match first: a word in thousands of minutes
// (financování is in nearly all of them) made FTS5's bm25 ranking of every
// match most of a search's time, 50 ms and more for 10,000, while the
// newest matches are found by walking the date index and stopping after a
// page, as notmuch and mail programs list them. A search for words that
// are in few messages sorts those few.
func (s *Store) SearchArchive(ctx context.Context, q SearchQuery) ([]*SearchHit, error) {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	q.Offset = max(q.Offset, 0)
	match := ftsQuery(q.Text)
	where, args := q.filters()
	var hits []*SearchHit
	err := s.view(ctx, func(tx *sql.Tx) error {
		var ids []int64
		var err error
		switch {
		case match == "":
			// Every message matches: the walk stops after the page.
			ids, err = queryIDs(ctx, tx, `SELECT m.id FROM archive_messages m INDEXED BY archive_messages_date
				WHERE `+strings.Join(where, " AND ")+`
				ORDER BY coalesce(m.sent_at, m.received_at) DESC, m.id DESC LIMIT ? OFFSET ?`,
				append(args, q.Limit, q.Offset)...)
		default:
			var matched []int64
			matched, err = matchingIDsTx(ctx, tx, match)
			if err != nil || len(matched) == 0 {
				return err
			}
			if len(matched) < searchWalkFrom {
				// Few: SQLite sorts them (looked up by rowid, no index).
				ids, err = queryIDs(ctx, tx, `SELECT m.id FROM archive_messages m NOT INDEXED
					WHERE m.id IN (SELECT value FROM json_each(?)) AND `+strings.Join(where, " AND ")+`
					ORDER BY coalesce(m.sent_at, m.received_at) DESC, m.id DESC LIMIT ? OFFSET ?`,
					append(append([]any{idList(matched)}, args...), q.Limit, q.Offset)...)
			} else {
				ids, err = walkMatchesTx(ctx, tx, matched, where, args, q.Offset, q.Limit)
			}
		}
		if err != nil || len(ids) == 0 {
			return err
		}
		hits, err = searchHitsTx(ctx, tx, ids, match, q.Text)
		return err
	})
	return hits, err
}

// matchingIDsTx returns the ids of the messages the full-text query
// matches, ascending. They come as one text from SQLite (group_concat):
// a row per id through database/sql costs several times more, and so does
// SQLite's own IN (subquery), which builds a b-tree of them.
func matchingIDsTx(ctx context.Context, tx *sql.Tx, match string) ([]int64, error) {
	var list sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT group_concat(rowid) FROM archive_fts WHERE archive_fts MATCH ?`, match).
		Scan(&list); err != nil {
		return nil, dbError("search", err)
	}
	if list.String == "" {
		return nil, nil
	}
	// Decimal ids and commas: parsed by hand, strconv's checks and the
	// split strings cost more than the rest here for 10,000 ids.
	ids := make([]int64, 0, strings.Count(list.String, ",")+1)
	var id int64
	digits := 0
	for i := 0; i <= len(list.String); i++ {
		if i == len(list.String) || list.String[i] == ',' {
			if digits == 0 || digits > 18 {
				return nil, fmt.Errorf("store: search: matching ids: %.40q… is not a list of ids", list.String)
			}
			ids, id, digits = append(ids, id), 0, 0
			continue
		}
		c := list.String[i]
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("store: search: matching ids: %.40q… is not a list of ids", list.String)
		}
		id, digits = id*10+int64(c-'0'), digits+1
	}
	// FTS5 returns rowids in order; the aggregate is not bound to keep it.
	if !slices.IsSorted(ids) {
		slices.Sort(ids)
	}
	return ids, nil
}

// walkMatchesTx walks the messages that pass the filters on the date
// index, newest first, and returns the ids of the page (offset, limit) of
// those that are in matched (sorted): it stops reading after the page.
func walkMatchesTx(ctx context.Context, tx *sql.Tx, matched []int64, where []string, args []any, offset, limit int) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT m.id FROM archive_messages m INDEXED BY archive_messages_date
		WHERE `+strings.Join(where, " AND ")+` ORDER BY coalesce(m.sent_at, m.received_at) DESC, m.id DESC`, args...)
	if err != nil {
		return nil, dbError("search", err)
	}
	defer rows.Close()
	var ids []int64
	for len(ids) < limit && rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, dbError("search", err)
		}
		if _, ok := slices.BinarySearch(matched, id); !ok {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		ids = append(ids, id)
	}
	return ids, dbError("search", rows.Err())
}

// filters are the WHERE conditions of the query's filters, on the
// messages as m.
func (q SearchQuery) filters() ([]string, []any) {
	where := []string{"m.state = 'archived'"}
	var args []any
	// The index holds every archived message whatever its kind (a reply
	// is archived too), so the kind is filtered on the message.
	switch q.Kind {
	case ArchiveAnyKind:
	case "":
		where, args = append(where, "m.kind = ?"), append(args, ArchiveMinutes)
	default:
		where, args = append(where, "m.kind = ?"), append(args, q.Kind)
	}
	if scope, sargs := q.scope(); scope != "" {
		where, args = append(where, scope), append(args, sargs...)
	}
	if q.GroupID != 0 {
		where, args = append(where, "m.group_id = ?"), append(args, q.GroupID)
	}
	if q.GroupSlug != "" {
		where = append(where, "m.group_id = (SELECT id FROM groups WHERE slug = ?)")
		args = append(args, q.GroupSlug)
	}
	if q.From != "" {
		// The index's sender column holds the name and the address,
		// folded like the text (case, diacritics, Unicode forms), so
		// from:novakova finds "Nováková" and from:NOVÁKOVÁ too.
		if m := senderQuery(q.From); m != "" {
			where = append(where, "m.id IN (SELECT rowid FROM archive_fts WHERE archive_fts MATCH ?)")
			args = append(args, m)
		} else {
			where = append(where, "0") // no letter or digit: nobody sends as that
		}
	}
	if !q.After.IsZero() {
		where, args = append(where, "coalesce(m.sent_at, m.received_at) >= ?"), append(args, unix(q.After))
	}
	if !q.Before.IsZero() {
		where, args = append(where, "coalesce(m.sent_at, m.received_at) < ?"), append(args, unix(q.Before))
	}
	if q.HasAttachment {
		where = append(where, "EXISTS (SELECT 1 FROM archive_attachments a WHERE a.message_id = m.id)")
	}
	return where, args
}

// queryIDs runs a query of one integer column.
func queryIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError("search", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, dbError("search", err)
		}
		ids = append(ids, id)
	}
	return ids, dbError("search", rows.Err())
}

// idList is ids as a JSON array, for "IN (SELECT value FROM json_each(?))":
// one parameter however many ids (SQLite allows 32,766 parameters).
func idList(ids []int64) string {
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// snippetHead is how much of a message's text stands for the snippet of
// a search without words.
const snippetHead = 160

// searchHitsTx reads the found messages, in the order of ids, with their
// attachments' names and snippets: where the words of match occur (by
// package snippet, in the body, subject, sender and attachments: the
// full-text index's columns, the body first), or, without words, the
// start of the text. The words are those of text, the query's words as typed (a *
// after a word makes it a prefix, as in match, their full-text query).
// The rows are read in one query and the bodies are not kept.
func searchHitsTx(ctx context.Context, tx *sql.Tx, ids []int64, match, text string) ([]*SearchHit, error) {
	list := idList(ids)
	byID := make(map[int64]*SearchHit, len(ids))
	body := "substr(body_text, 1, " + strconv.Itoa(snippetHead) + ")"
	var words snippet.Query
	if match != "" {
		body, words = "body_text", snippet.New(text)
	}
	// Scores of the snippets so far, of hits whose attachments may hold a
	// better one.
	scores := map[int64]int{}
	rows, err := tx.QueryContext(ctx, `SELECT id, coalesce(message_id, ''), subject, from_addr, from_name, sent_at,
			coalesce(meeting_id, 0), kind, `+body+`
		FROM archive_messages WHERE id IN (SELECT value FROM json_each(?))`, list)
	if err != nil {
		return nil, dbError("search", err)
	}
	defer rows.Close()
	for rows.Next() {
		h := &SearchHit{Attachments: []string{}}
		var sent sql.NullInt64
		var bodyText string
		if err := rows.Scan(&h.ID, &h.MessageID, &h.Subject, &h.FromAddr, &h.FromName, &sent, &h.MeetingID, &h.Kind, &bodyText); err != nil {
			return nil, dbError("search", err)
		}
		h.Sent = nullTime(sent)
		byID[h.ID] = h
		if match == "" {
			h.Snippet = bodyText
			continue
		}
		var score int
		// The body first: on equal scores the first text wins, and the
		// subject, shown beside the snippet anyway, says less.
		h.Snippet, score, _ = words.Make(bodyText, h.Subject, strings.TrimSpace(h.FromName+" "+h.FromAddr))
		if score < words.Good() {
			scores[h.ID] = score
		}
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("search", err)
	}
	rows.Close()
	if err := attachmentsOfHitsTx(ctx, tx, list, byID, words, scores); err != nil {
		return nil, err
	}
	hits := make([]*SearchHit, 0, len(ids))
	var missing []int64
	for _, id := range ids {
		h := byID[id]
		if h == nil {
			continue // deleted between the two queries: not in this snapshot, cannot happen
		}
		if match != "" && h.Snippet == "" {
			missing = append(missing, id)
		}
		hits = append(hits, h)
	}
	if len(missing) > 0 {
		if err := ftsSnippetsTx(ctx, tx, match, missing, byID); err != nil {
			return nil, err
		}
	}
	return hits, nil
}

// attachmentsOfHitsTx fills in the hits' attachment names and, for the
// hits in scores (whose snippet may not be the best), looks for a better
// snippet in their attachments: the index's attachments column is each
// attachment's name and text, a line each.
func attachmentsOfHitsTx(ctx context.Context, tx *sql.Tx, list string, byID map[int64]*SearchHit, words snippet.Query,
	scores map[int64]int) error {
	need := make([]int64, 0, len(scores))
	for id := range scores {
		need = append(need, id)
	}
	rows, err := tx.QueryContext(ctx, `SELECT message_id, filename,
			CASE WHEN message_id IN (SELECT value FROM json_each(?2)) THEN text ELSE '' END
		FROM archive_attachments WHERE message_id IN (SELECT value FROM json_each(?1))
		ORDER BY message_id, position`, list, idList(need))
	if err != nil {
		return dbError("attachment names", err)
	}
	defer rows.Close()
	var column strings.Builder
	var last int64
	better := func() {
		if last == 0 || column.Len() == 0 {
			return
		}
		if s, score := words.Best(column.String()); score > scores[last] {
			byID[last].Snippet = s
		}
		column.Reset()
	}
	for rows.Next() {
		var id int64
		var name, text string
		if err := rows.Scan(&id, &name, &text); err != nil {
			return dbError("attachment names", err)
		}
		if id != last {
			better()
			last = id
		}
		byID[id].Attachments = append(byID[id].Attachments, name)
		if _, ok := scores[id]; ok {
			column.WriteString(name + "\n" + text + "\n")
		}
	}
	if err := rows.Err(); err != nil {
		return dbError("attachment names", err)
	}
	better()
	return nil
}

// ftsSnippetsTx asks FTS5 for the snippets of the hits in which package
// snippet found no word of the query (it cuts words a little differently
// from FTS5's tokenizer in some scripts): the matching text with the
// matches between [ and ] (column -1 picks the best-matching column).
func ftsSnippetsTx(ctx context.Context, tx *sql.Tx, match string, ids []int64, byID map[int64]*SearchHit) error {
	rows, err := tx.QueryContext(ctx, `SELECT rowid, snippet(archive_fts, -1, '[', ']', '…', 16) FROM archive_fts
		WHERE archive_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))`, match, idList(ids))
	if err != nil {
		return dbError("search snippets", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var snippet string
		if err := rows.Scan(&id, &snippet); err != nil {
			return dbError("search snippets", err)
		}
		byID[id].Snippet = snippet
	}
	return dbError("search snippets", rows.Err())
}

// scope is the WHERE condition of GroupIDs, FiledOnly and
// UnfiledGroupIDs, "" when they do not filter.
func (q SearchQuery) scope() (string, []any) {
	var filed []string
	var args []any
	if q.GroupIDs != nil {
		cond, ids := inList("m.group_id", q.GroupIDs)
		filed, args = append(filed, cond), append(args, ids...)
	}
	if q.FiledOnly {
		filed = append(filed, "m.meeting_id IS NOT NULL")
	}
	cond := strings.Join(filed, " AND ")
	if q.UnfiledGroupIDs == nil {
		return cond, args
	}
	if cond == "" {
		cond = "1"
	}
	in, ids := inList("m.group_id", q.UnfiledGroupIDs)
	return "((" + cond + ") OR (m.meeting_id IS NULL AND (m.group_id IS NULL OR " + in + ")))", append(args, ids...)
}

// inList is "column IN (?, ?, …)" with its arguments; "0" (false) for no ids.
func inList(column string, ids []int64) (string, []any) {
	if len(ids) == 0 {
		return "0", nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return column + " IN (?" + strings.Repeat(", ?", len(ids)-1) + ")", args
}

// ArchiveFilter selects stored messages. Zero fields do not filter.
type ArchiveFilter struct {
	// State is ArchiveArchived or ArchiveQuarantined.
	State string
	// Unfiled selects archived messages not matched to a meeting.
	Unfiled   bool
	MeetingID int64
	// Kind selects one kind of message: "" means ArchiveMinutes (answers
	// and bounces are not minutes), ArchiveAnyKind every kind.
	Kind  string
	Limit int // default 100
	// GroupsOrNone, when not nil, keeps only messages of these groups
	// and of no known group: the unfiled and quarantined mail a
	// coordinator of these groups may see.
	GroupsOrNone []int64
	// WithoutBody leaves BodyText empty: a list that shows subjects does
	// not read every message's text.
	WithoutBody bool
}

// ArchiveMessages lists stored messages, newest first, without their raw
// bytes and attachments' content (Attachments holds names and sizes).
func (s *Store) ArchiveMessages(ctx context.Context, f ArchiveFilter) ([]*ArchiveMessage, error) {
	var where []string
	var args []any
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.Unfiled {
		where = append(where, "state = 'archived' AND meeting_id IS NULL")
	}
	if f.MeetingID != 0 {
		where, args = append(where, "meeting_id = ?"), append(args, f.MeetingID)
	}
	switch f.Kind {
	case ArchiveAnyKind:
	case "":
		where, args = append(where, "kind = ?"), append(args, ArchiveMinutes)
	default:
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.GroupsOrNone != nil {
		in, ids := inList("group_id", f.GroupsOrNone)
		where, args = append(where, "(group_id IS NULL OR "+in+")"), append(args, ids...)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	columns := archiveColumns
	if f.WithoutBody {
		columns = strings.Replace(columns, "body_text", "''", 1)
	}
	q := `SELECT ` + columns + ` FROM archive_messages`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY coalesce(sent_at, received_at) DESC, id DESC LIMIT ?"
	args = append(args, f.Limit)
	var out []*ArchiveMessage
	err := s.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return dbError("list archive", err)
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanArchiveMessage(rows)
			if err != nil {
				return dbError("list archive", err)
			}
			out = append(out, m)
		}
		if err := rows.Err(); err != nil {
			return dbError("list archive", err)
		}
		rows.Close()
		return attachmentsOfTx(ctx, tx, out)
	})
	return out, err
}

// attachmentsOfTx fills in the messages' attachments (names, types and
// sizes, not their content) with one query for all of them.
func attachmentsOfTx(ctx context.Context, tx *sql.Tx, ms []*ArchiveMessage) error {
	if len(ms) == 0 {
		return nil
	}
	byID := make(map[int64]*ArchiveMessage, len(ms))
	ids := make([]int64, len(ms))
	for i, m := range ms {
		byID[m.ID], ids[i] = m, m.ID
	}
	in, args := inList("message_id", ids)
	rows, err := tx.QueryContext(ctx, `SELECT id, message_id, position, filename, media_type, size, sha256, text_error
		FROM archive_attachments WHERE `+in+` ORDER BY message_id, position`, args...)
	if err != nil {
		return dbError("list attachments", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.ID, &a.MessageID, &a.Position, &a.Filename, &a.MediaType, &a.Size, &a.SHA256, &a.TextError); err != nil {
			return dbError("list attachments", err)
		}
		m := byID[a.MessageID]
		m.Attachments = append(m.Attachments, &a)
	}
	return dbError("list attachments", rows.Err())
}

// HeadBytes is how much of a message's raw bytes ArchiveMessageHead
// reads: enough for any header a person sends, without loading a message
// of megabytes to show a page.
const HeadBytes = 64 << 10

// ArchiveMessageHead returns a stored message for showing: its columns,
// the first HeadBytes of Raw (where its header is) and its attachments'
// names, types and sizes without their content; ErrNotFound when there is
// none.
func (s *Store) ArchiveMessageHead(ctx context.Context, id int64) (*ArchiveMessage, error) {
	var m *ArchiveMessage
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = scanArchiveMessage(tx.QueryRowContext(ctx, `SELECT `+archiveColumns+` FROM archive_messages WHERE id = ?`, id))
		if err != nil {
			return dbError(fmt.Sprintf("archive message %d", id), err)
		}
		// substr counts bytes on a blob.
		if err := tx.QueryRowContext(ctx, `SELECT substr(raw, 1, ?) FROM archive_messages WHERE id = ?`, HeadBytes, id).
			Scan(&m.Raw); err != nil {
			return dbError("archive raw", err)
		}
		return attachmentsOfTx(ctx, tx, []*ArchiveMessage{m})
	})
	return m, err
}

// Attachment returns one stored attachment with its content (not its
// extracted text), or ErrNotFound.
func (s *Store) Attachment(ctx context.Context, id int64) (*Attachment, error) {
	var a Attachment
	err := s.rdb.QueryRowContext(ctx, `
		SELECT id, message_id, position, filename, media_type, size, sha256, content, text_error
		FROM archive_attachments WHERE id = ?`, id).
		Scan(&a.ID, &a.MessageID, &a.Position, &a.Filename, &a.MediaType, &a.Size, &a.SHA256, &a.Content, &a.TextError)
	if err != nil {
		return nil, dbError(fmt.Sprintf("attachment %d", id), err)
	}
	return &a, nil
}

// Optimize merges the full-text index's segments and lets SQLite refresh
// its query statistics; the scheduler runs it nightly.
func (s *Store) Optimize(ctx context.Context) error {
	return s.update(ctx, func(tx *sql.Tx) error {
		// 'optimize' is an FTS5 command written as an insert into the table.
		if _, err := tx.ExecContext(ctx, `INSERT INTO archive_fts (archive_fts) VALUES ('optimize')`); err != nil {
			return dbError("optimize full-text index", err)
		}
		_, err := tx.ExecContext(ctx, `PRAGMA optimize`)
		return dbError("optimize", err)
	})
}
