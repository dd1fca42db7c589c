package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"coordbot/store"
)

// Archive is what the pipeline needs from the store; *store.Store has it.
type Archive interface {
	AddArchiveMessage(ctx context.Context, m *store.ArchiveMessage) (duplicate bool, err error)
	FindArchiveMessage(ctx context.Context, messageID, contentHash string) (*store.ArchiveRef, error)
	IsKnownSender(ctx context.Context, address string) (bool, error)
	Groups(ctx context.Context) ([]*store.Group, error)
	Meeting(ctx context.Context, id int64) (*store.Meeting, error)
	Meetings(ctx context.Context, f store.MeetingFilter) ([]*store.Meeting, error)
	ThreadMeeting(ctx context.Context, messageIDs []string) (int64, error)
}

// MinutesNotifier hears about minutes filed under a meeting, after the
// commit. The bot implements it to announce the minutes in the group's
// channel. It must not block for long; its error is logged, not returned.
type MinutesNotifier interface {
	MinutesArchived(ctx context.Context, meetingID, archiveID int64) error
}

// Reasons for quarantine, the start of store.ArchiveMessage.Reason.
const (
	ReasonSenderNotAllowed = "sender not allowed"
	ReasonTooLarge         = "message too large"
	ReasonUnreadable       = "unreadable message"
)

// Pipeline is the Filer that every intake uses (IMAP, .eml, mbox, Maildir):
// it parses a message, checks its sender and size, matches it to a
// meeting and stores it, archived or quarantined, raw bytes always kept.
type Pipeline struct {
	archive Archive
	// AllowedSenders are addresses (lower-case) or "@domain" entries whose
	// mail is archived; members' addresses are allowed too.
	AllowedSenders []string
	// MaxMessageSize quarantines larger messages (0: no limit).
	MaxMessageSize int64
	// MatchWindow is how long after a meeting its minutes may come (default 30 days).
	MatchWindow time.Duration
	// Notifier, when set, hears about minutes filed under a meeting.
	Notifier MinutesNotifier
	// ParseOptions tune MIME parsing.
	ParseOptions ParseOptions
	Logger       *slog.Logger
	// Now stamps received_at.
	Now func() time.Time
}

// NewPipeline returns a pipeline storing into archive.
func NewPipeline(archive Archive, logger *slog.Logger) *Pipeline {
	return &Pipeline{archive: archive, MatchWindow: 30 * 24 * time.Hour, Logger: logger, Now: time.Now}
}

// File implements Filer.
func (p *Pipeline) File(ctx context.Context, in Incoming) (Outcome, error) {
	if in.Raw == nil {
		in.Raw = []byte{} // an empty file is still kept, as an empty message
	}
	sum := sha256.Sum256(in.Raw)
	hash := hex.EncodeToString(sum[:])
	parsed, perr := Parse(in.Raw, p.ParseOptions)
	if parsed == nil {
		parsed = &Parsed{}
	}

	// A message seen before is recognised before anything else is decided,
	// so a re-run after a crash reports where the first copy went.
	if ref, err := p.archive.FindArchiveMessage(ctx, parsed.MessageID, hash); err != nil {
		return Outcome{}, fmt.Errorf("mail: file %s: %w", in.Source, err)
	} else if ref != nil {
		return outcomeOf(ref), nil
	}

	m := &store.ArchiveMessage{
		MessageID:   parsed.MessageID,
		ContentHash: hash,
		FromAddr:    parsed.From.Addr,
		FromName:    parsed.From.Name,
		Subject:     parsed.Subject,
		Sent:        parsed.Date,
		Received:    p.Now().UTC(),
		InReplyTo:   parsed.InReplyTo,
		References:  parsed.References,
		BodyText:    parsed.Body,
		Raw:         in.Raw,
		Source:      in.Source,
		State:       store.ArchiveArchived,
	}
	if in.Size < int64(len(in.Raw)) {
		in.Size = int64(len(in.Raw))
	}

	switch {
	case p.MaxMessageSize > 0 && in.Size > p.MaxMessageSize:
		m.State = store.ArchiveQuarantined
		m.Reason = fmt.Sprintf("%s: %d bytes, the limit is %d (only the header is stored; the message stays in the quarantine mailbox)",
			ReasonTooLarge, in.Size, p.MaxMessageSize)
	case perr != nil:
		m.State, m.Reason = store.ArchiveQuarantined, ReasonUnreadable+": "+perr.Error()
	default:
		allowed, err := p.senderAllowed(ctx, parsed.From.Addr)
		if err != nil {
			return Outcome{}, fmt.Errorf("mail: file %s: %w", in.Source, err)
		}
		if !allowed {
			m.State = store.ArchiveQuarantined
			m.Reason = ReasonSenderNotAllowed + ": " + orNone(parsed.From.Addr)
		}
	}
	if m.State == store.ArchiveArchived {
		for _, a := range parsed.Attachments {
			as := sha256.Sum256(a.Content)
			m.Attachments = append(m.Attachments, &store.Attachment{Filename: a.Filename, MediaType: a.MediaType,
				Content: a.Content, SHA256: hex.EncodeToString(as[:]), Text: a.Text})
		}
		groupID, meetingID, err := p.match(ctx, parsed, m.Received)
		if err != nil {
			return Outcome{}, fmt.Errorf("mail: file %s: %w", in.Source, err)
		}
		m.GroupID, m.MeetingID = groupID, meetingID
	}

	dup, err := p.archive.AddArchiveMessage(ctx, m)
	if err != nil {
		return Outcome{}, fmt.Errorf("mail: file %s: %w", in.Source, err)
	}
	out := outcomeOf(&store.ArchiveRef{ID: m.ID, State: m.State, Reason: m.Reason, MeetingID: m.MeetingID})
	out.Duplicate = dup
	if !dup && out.Disposition == Archived && out.MeetingID != 0 && p.Notifier != nil {
		if err := p.Notifier.MinutesArchived(ctx, out.MeetingID, out.ID); err != nil {
			p.Logger.Warn("minutes announcement failed", "meeting_id", out.MeetingID, "archive_id", out.ID, "err", err)
		}
	}
	return out, nil
}

func outcomeOf(ref *store.ArchiveRef) Outcome {
	out := Outcome{ID: ref.ID, Duplicate: true, Reason: ref.Reason, MeetingID: ref.MeetingID, Disposition: Archived}
	if ref.State == store.ArchiveQuarantined {
		out.Disposition = Quarantined
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(no sender address)"
	}
	return s
}

// senderAllowed checks the From address, case-insensitively, against the
// configured senders and domains and the members' addresses.
func (p *Pipeline) senderAllowed(ctx context.Context, addr string) (bool, error) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	at := strings.LastIndexByte(addr, '@')
	if addr == "" || at <= 0 {
		return false, nil
	}
	for _, a := range p.AllowedSenders {
		a = strings.ToLower(a)
		if a == addr || (strings.HasPrefix(a, "@") && a == addr[at:]) {
			return true, nil
		}
	}
	return p.archive.IsKnownSender(ctx, addr)
}

// coordbotRef matches Message-IDs coordbot gives the mail it sends about a
// meeting ("coordbot.meeting-12.…@host"): a reply to one files under it.
var coordbotRef = regexp.MustCompile(`^coordbot\.meeting-([0-9]+)\.`)

// match finds the group and meeting of minutes, in this order: a group tag
// in the subject ("[pracovni-skupina]") or a plus-address
// ("archiv+pracovni-skupina@…"); a reply to a message coordbot sent or to
// minutes already filed; else the most recent meeting (of the tagged group,
// or of the only group with a candidate) that started before the message
// date, within MatchWindow. Unmatched minutes stay unfiled (meeting 0).
func (p *Pipeline) match(ctx context.Context, msg *Parsed, received time.Time) (groupID, meetingID int64, err error) {
	groups, err := p.archive.Groups(ctx)
	if err != nil {
		return 0, 0, err
	}
	groupID = taggedGroup(groups, msg)

	thread := append([]string{msg.InReplyTo}, msg.References...)
	for _, id := range thread {
		if sm := coordbotRef.FindStringSubmatch(id); sm != nil {
			mid, _ := strconv.ParseInt(sm[1], 10, 64)
			m, err := p.archive.Meeting(ctx, mid)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return 0, 0, err
			}
			return m.GroupID, m.ID, nil
		}
	}
	if mid, err := p.archive.ThreadMeeting(ctx, thread); err != nil {
		return 0, 0, err
	} else if mid != 0 {
		m, err := p.archive.Meeting(ctx, mid)
		if err != nil {
			return 0, 0, err
		}
		return m.GroupID, m.ID, nil
	}

	at := msg.Date
	if at.IsZero() || at.After(received.Add(24*time.Hour)) {
		at = received // no date, or one in the future: when it arrived
	}
	window := p.MatchWindow
	if window <= 0 {
		window = 30 * 24 * time.Hour
	}
	candidates, err := p.archive.Meetings(ctx, store.MeetingFilter{GroupID: groupID, From: at.Add(-window),
		To: at.Add(time.Second), Status: []string{store.MeetingScheduled, store.MeetingHeld}, Descending: true})
	if err != nil {
		return 0, 0, err
	}
	if len(candidates) == 0 {
		return groupID, 0, nil
	}
	if groupID == 0 {
		// Without a tag, guess only when one group could have met.
		for _, c := range candidates[1:] {
			if c.GroupID != candidates[0].GroupID {
				return 0, 0, nil
			}
		}
	}
	return candidates[0].GroupID, candidates[0].ID, nil
}

// taggedGroup returns the group named by a "[slug]" tag in the subject or a
// "+slug" plus-address among the recipients, or 0.
func taggedGroup(groups []*store.Group, msg *Parsed) int64 {
	subject := strings.ToLower(msg.Subject)
	for _, g := range groups {
		if strings.Contains(subject, "["+g.Slug+"]") {
			return g.ID
		}
	}
	for _, a := range msg.To {
		local, _, ok := strings.Cut(a.Addr, "@")
		if !ok {
			continue
		}
		_, tag, ok := strings.Cut(local, "+")
		if !ok {
			continue
		}
		for _, g := range groups {
			if strings.EqualFold(tag, g.Slug) {
				return g.ID
			}
		}
	}
	return 0
}
