package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"coordbot/store"
)

// Archive is what the pipeline needs from the store; *store.Store has it.
type Archive interface {
	AddArchiveMessages(ctx context.Context, ms []*store.ArchiveMessage) (duplicates []bool, err error)
	IsKnownSender(ctx context.Context, address string) (bool, error)
	Groups(ctx context.Context) ([]*store.Group, error)
	Meeting(ctx context.Context, id int64) (*store.Meeting, error)
	Meetings(ctx context.Context, f store.MeetingFilter) ([]*store.Meeting, error)
	ThreadMeeting(ctx context.Context, messageIDs []string) (int64, error)
	// SentMail, MemberByEmail, Member and MembershipOf tell replies and
	// bounces (answers to coordbot's own mail) from minutes.
	SentMail(ctx context.Context, messageIDs []string) (*store.Notification, error)
	MemberByEmail(ctx context.Context, address string) (*store.Member, error)
	Member(ctx context.Context, id int64) (*store.Member, error)
	MembershipOf(ctx context.Context, groupID, memberID int64) (*store.Membership, error)
	// PendingMailActions lists stored messages whose action is not done.
	PendingMailActions(ctx context.Context) ([]int64, error)
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
//
// Not every message is minutes: a reply to coordbot's own mail (an iMIP
// REPLY, a reply whose first line says yes, no or maybe, a proposal for
// the agenda) and a delivery status report are stored as
// store.ArchiveReply or store.ArchiveBounce with an action (store.MailAction)
// in the same transaction, and the action is carried out by Actions after
// the commit. A crash in between leaves the action pending; FinishPending,
// at the next start, carries it out.
type Pipeline struct {
	archive Archive
	// AllowedSenders are addresses (lower-case) or "@domain" entries whose
	// mail is archived; members' addresses are allowed too.
	AllowedSenders []string
	// MaxMessageSize quarantines larger messages (0: no limit).
	MaxMessageSize int64
	// MatchWindow is how long after a meeting its minutes may come.
	// NewPipeline sets 30 days; zero or less means 30 days too.
	MatchWindow time.Duration
	// Notifier, when set, hears about minutes filed under a meeting.
	Notifier MinutesNotifier
	// Actions, when set, carries out the actions of replies and bounces
	// after they are stored (*meeting.Service). Without it they stay
	// pending until a pipeline that has it runs FinishPending.
	Actions Actions
	// ParseOptions tune MIME parsing.
	ParseOptions ParseOptions
	Logger       *slog.Logger
	// Now stamps received_at.
	Now func() time.Time
}

// defaultMatchWindow is the MatchWindow of a pipeline whose caller sets
// none. cmd/coordbot always passes the configured value, whose default,
// config.DefaultMatchWindow, is the source of truth; this one only keeps
// other callers (tests, tools) from matching nothing.
const defaultMatchWindow = 30 * 24 * time.Hour

// NewPipeline returns a pipeline storing into archive.
func NewPipeline(archive Archive, logger *slog.Logger) *Pipeline {
	return &Pipeline{archive: archive, MatchWindow: defaultMatchWindow, Logger: logger, Now: time.Now}
}

// File implements Filer: FileBatch of one message.
func (p *Pipeline) File(ctx context.Context, in Incoming) (Outcome, error) {
	outs, err := p.FileBatch(ctx, []Incoming{in})
	if err != nil {
		return Outcome{}, err
	}
	return outs[0], nil
}

// prepared is a message parsed, before any database work.
type prepared struct {
	in     Incoming
	hash   string
	parsed *Parsed
	perr   error
	// parts are what classify reads: calendar parts, delivery reports.
	parts *mailParts
}

// prepare hashes and parses every message, on as many goroutines as there
// are CPUs: parsing and text extraction are the CPU-heavy part of filing.
func (p *Pipeline) prepare(ins []Incoming) []prepared {
	preps := make([]prepared, len(ins))
	work := func(i int) {
		in := ins[i]
		if in.Raw == nil {
			in.Raw = []byte{} // an empty file is still kept, as an empty message
		}
		if in.Size < int64(len(in.Raw)) {
			in.Size = int64(len(in.Raw))
		}
		sum := sha256.Sum256(in.Raw)
		preps[i] = prepared{in: in, hash: hex.EncodeToString(sum[:]), parsed: &Parsed{}, parts: &mailParts{}}
		// Attachments are hostile input for hand-written decoders: a panic
		// quarantines this message instead of stopping the service (which
		// would meet the same message again at every start).
		defer func() {
			if r := recover(); r != nil {
				preps[i].parsed = &Parsed{}
				preps[i].perr = fmt.Errorf("mail: parser panic: %v", r)
				p.Logger.Error("parser panic", "source", in.Source, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
		}()
		parsed, perr := Parse(in.Raw, p.ParseOptions)
		if parsed == nil {
			parsed = &Parsed{}
		}
		preps[i].parsed, preps[i].perr = parsed, perr
		if perr == nil {
			preps[i].parts = scanParts(in.Raw)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(ins))
	if workers <= 1 {
		for i := range ins {
			work(i)
		}
		return preps
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				work(i)
			}
		}()
	}
	for i := range ins {
		next <- i
	}
	close(next)
	wg.Wait()
	return preps
}

// FileBatch implements BatchFiler: it parses the messages in parallel,
// decides each one's fate, and stores them all in one transaction.
func (p *Pipeline) FileBatch(ctx context.Context, ins []Incoming) ([]Outcome, error) {
	if len(ins) == 0 {
		return nil, nil
	}
	preps := p.prepare(ins)
	groups, err := p.archive.Groups(ctx)
	if err != nil {
		return nil, fmt.Errorf("mail: file: %w", err)
	}
	ms := make([]*store.ArchiveMessage, len(preps))
	// Meetings of minutes earlier in this batch, by Message-ID: a reply in
	// the same batch as the minutes it answers cannot find them in the
	// store yet.
	batchThreads := map[string]int64{}
	for i := range preps {
		if ms[i], err = p.decide(ctx, &preps[i], groups, batchThreads); err != nil {
			return nil, fmt.Errorf("mail: file %s: %w", preps[i].in.Source, err)
		}
		if m := ms[i]; m.MessageID != "" && m.MeetingID != 0 && m.Kind == store.ArchiveMinutes {
			batchThreads[m.MessageID] = m.MeetingID
		}
	}
	// One transaction: a message already stored (or earlier in this batch)
	// is recognised inside it and reported where its first copy went.
	dups, err := p.archive.AddArchiveMessages(ctx, ms)
	if err != nil {
		return nil, fmt.Errorf("mail: file %d messages: %w", len(ms), err)
	}
	outs := make([]Outcome, len(ms))
	for i, m := range ms {
		outs[i] = outcomeOf(&store.ArchiveRef{ID: m.ID, State: m.State, Reason: m.Reason, MeetingID: m.MeetingID})
		outs[i].Duplicate = dups[i]
		if !dups[i] && m.ActionState == store.ActionPending {
			p.act(ctx, m.ID)
		}
		if !dups[i] && m.Kind == store.ArchiveMinutes && outs[i].Disposition == Archived && outs[i].MeetingID != 0 && p.Notifier != nil {
			if err := p.Notifier.MinutesArchived(ctx, outs[i].MeetingID, outs[i].ID); err != nil {
				p.Logger.Warn("minutes announcement failed", "meeting_id", outs[i].MeetingID, "archive_id", outs[i].ID, "err", err)
			}
		}
	}
	return outs, nil
}

// decide builds the archive row of a prepared message: quarantined with a
// reason (too large, unreadable, sender not allowed), or archived with its
// attachments and matched to a meeting.
func (p *Pipeline) decide(ctx context.Context, pr *prepared, groups []*store.Group, batchThreads map[string]int64) (*store.ArchiveMessage, error) {
	in, parsed := pr.in, pr.parsed
	m := &store.ArchiveMessage{
		MessageID:   parsed.MessageID,
		ContentHash: pr.hash,
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
		Kind:        store.ArchiveMinutes,
	}
	switch {
	case p.MaxMessageSize > 0 && in.Size > p.MaxMessageSize:
		m.State = store.ArchiveQuarantined
		m.Reason = fmt.Sprintf("%s: %d bytes, the limit is %d (only the header is stored; %s)",
			ReasonTooLarge, in.Size, p.MaxMessageSize, wholeKept(in))
	case pr.perr != nil:
		m.State, m.Reason = store.ArchiveQuarantined, ReasonUnreadable+": "+pr.perr.Error()
	default:
		c, err := p.classify(ctx, pr.parts, parsed)
		if err != nil {
			return nil, err
		}
		if c != nil {
			// A reply or a report: the member check of classify
			// replaces the sender check of minutes.
			p.fileClassified(m, c, parsed)
			return m, nil
		}
		allowed, err := p.senderAllowed(ctx, parsed.From.Addr)
		if err != nil {
			return nil, err
		}
		if !allowed {
			m.State = store.ArchiveQuarantined
			m.Reason = ReasonSenderNotAllowed + ": " + orNone(parsed.From.Addr)
		}
	}
	if m.State != store.ArchiveArchived {
		return m, nil
	}
	m.Attachments = attachmentsOf(parsed)
	groupID, meetingID, err := p.match(ctx, parsed, m.Received, groups, batchThreads)
	if err != nil {
		return nil, err
	}
	m.GroupID, m.MeetingID = groupID, meetingID
	return m, nil
}

// fileClassified fills the row of a reply or a report: its kind, meeting
// and action, or the reason it is quarantined.
func (p *Pipeline) fileClassified(m *store.ArchiveMessage, c *classified, parsed *Parsed) {
	m.Kind, m.GroupID, m.MeetingID = c.kind, c.groupID, c.meetingID
	if c.quarantine != "" {
		m.State, m.Reason = store.ArchiveQuarantined, c.quarantine
		return
	}
	if c.action != nil {
		m.Action, m.ActionState = c.action.Encode(), store.ActionPending
	}
	m.Attachments = attachmentsOf(parsed)
}

// attachmentsOf turns the parsed files into archive attachments.
func attachmentsOf(parsed *Parsed) []*store.Attachment {
	var out []*store.Attachment
	for _, a := range parsed.Attachments {
		as := sha256.Sum256(a.Content)
		out = append(out, &store.Attachment{Filename: a.Filename, MediaType: a.MediaType,
			Content: a.Content, SHA256: hex.EncodeToString(as[:]), Text: a.Text, TextError: a.TextError})
	}
	return out
}

// act carries out a stored message's action; a failure is logged and the
// action stays pending for FinishPending.
func (p *Pipeline) act(ctx context.Context, archiveID int64) {
	if p.Actions == nil {
		p.Logger.Warn("mail action left pending: no core to carry it out", "archive_id", archiveID)
		return
	}
	if err := p.Actions.MailAction(ctx, archiveID); err != nil {
		p.Logger.Error("mail action failed, left pending", "archive_id", archiveID, "err", err)
	}
}

// FinishPending carries out the actions of stored messages that are still
// pending: those of a process that stopped between storing a message and
// acting on it. The intake runs it at start, before it reads new mail.
// Each action is marked in the transaction that does it, so running this
// twice does nothing the second time.
func (p *Pipeline) FinishPending(ctx context.Context) error {
	if p.Actions == nil {
		return errors.New("mail: finish pending actions: no core to carry them out")
	}
	ids, err := p.archive.PendingMailActions(ctx)
	if err != nil {
		return fmt.Errorf("mail: finish pending actions: %w", err)
	}
	var errs []error
	for _, id := range ids {
		if err := p.Actions.MailAction(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("mail: finish pending actions: %w", err)
	}
	if len(ids) > 0 {
		p.Logger.Info("pending mail actions finished", "count", len(ids))
	}
	return nil
}

// wholeKept says where the whole of an oversized message is, by where it
// came from.
func wholeKept(in Incoming) string {
	switch {
	case in.RawFile != "":
		return "the whole message is kept at " + in.RawFile
	case in.QuarantineMailbox != "":
		return fmt.Sprintf("the message stays in the quarantine mailbox %q", in.QuarantineMailbox)
	}
	return "the rest was not kept"
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

// match finds the group and meeting of minutes, in this order: a group tag
// in the subject ("[pracovni-skupina]") or a plus-address
// ("archiv+pracovni-skupina@…"); a reply to minutes already filed; else
// the most recent meeting (of the tagged group, or of the only group with
// a candidate) that started before the message date, within MatchWindow.
// Unmatched minutes stay unfiled (meeting 0).
func (p *Pipeline) match(ctx context.Context, msg *Parsed, received time.Time, groups []*store.Group, batchThreads map[string]int64) (groupID, meetingID int64, err error) {
	groupID = taggedGroup(groups, msg)

	thread := append([]string{msg.InReplyTo}, msg.References...)
	mid, err := p.archive.ThreadMeeting(ctx, thread)
	if err != nil {
		return 0, 0, err
	}
	for _, id := range thread {
		if mid == 0 && id != "" {
			mid = batchThreads[id]
		}
	}
	if mid != 0 {
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
		window = defaultMatchWindow
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
