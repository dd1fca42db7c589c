package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot/discordtest"
	"coordbot/internal/dovecot"
)

// meetingState is a meeting the soak created from the shell.
type meetingState struct {
	id      int64
	start   time.Time
	created time.Time
	msgID   string // the announcement, "" until seen in the database

	// gate is held for reading by each click on the meeting and for
	// writing by its cancellation, so that no click is in flight when the
	// meeting is cancelled (a click on a cancelled meeting is refused, and
	// would be neither sent nor lost).
	gate   sync.RWMutex
	closed bool // no more clicks; set under gate
	cancel bool // cancelled from the shell
}

// answerKey is one member's answer to one meeting.
type answerKey struct {
	user    string
	meeting int64
}

// attempt is a click whose outcome is not a confirmed answer.
type attempt struct {
	answer  string
	outcome string // "refused" or "no callback"
}

// answerState is what the soak knows of one member's answers to one
// meeting: the last answer confirmed by a successful callback, and the
// clicks after it that got no confirmation (one of them may be stored).
type answerState struct {
	lastOK string
	after  []attempt
}

// clickStats counts clicks.
type clickStats struct {
	ok, refused, noCallback int
	latencies               []time.Duration
	refusals                map[string]int
	errors                  map[string]int
}

// event is a fault or a milestone, for the report's timeline.
type event struct {
	at   time.Duration
	what string
}

// load is the state shared by the load generators.
type load struct {
	o     options
	fake  *discordtest.Server
	dv    *dovecot.Server
	sh    *shell
	sv    *serve
	db    *sql.DB // read-only
	users []discordtest.User
	busy  []sync.Mutex // one click per member at a time
	start time.Time
	prg   *time.Location

	mu       sync.Mutex
	meetings []*meetingState // all, in creation order
	active   []*meetingState
	answers  map[answerKey]*answerState
	clicks   clickStats
	mails    []deliveredMail
	events   []event
	nMeeting int
}

// deliveredMail is a minutes mail put into INBOX.
type deliveredMail struct {
	messageID string
	allowed   bool
}

func (l *load) note(format string, args ...any) {
	what := fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.events = append(l.events, event{at: time.Since(l.start), what: what})
	l.mu.Unlock()
	logf("%s", what)
}

// answers a clicker gives, with their weights: mostly yes and no.
var answerChoice = []string{"yes", "yes", "no", "no", "maybe"}

// clicker clicks until ctx ends: a random member, a random open meeting, a
// random answer.
func (l *load) clicker(ctx context.Context, worker int) {
	rng := rand.New(rand.NewPCG(l.o.seed, uint64(worker)+1))
	for ctx.Err() == nil {
		i := rng.IntN(len(l.users))
		if !l.busy[i].TryLock() {
			continue
		}
		m := l.pickMeeting(rng)
		if m != nil {
			m.gate.RLock()
			if !m.closed {
				l.click(ctx, l.users[i], m, answerChoice[rng.IntN(len(answerChoice))])
			}
			m.gate.RUnlock()
		}
		l.busy[i].Unlock()
		pause := time.Duration(rng.Int64N(int64(2*l.o.pause) + 1))
		if m == nil {
			pause = time.Second
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// pickMeeting returns a random meeting that takes clicks, or nil.
func (l *load) pickMeeting(rng *rand.Rand) *meetingState {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.active) == 0 {
		return nil
	}
	return l.active[rng.IntN(len(l.active))]
}

// savedPrefix starts the bot's reply to a recorded answer (Czech group).
const savedPrefix = "Vaše odpověď"

// click gives one answer of u to m through the fake: a button for yes and
// no, the maybe button and its modal for maybe. Its outcome is recorded.
func (l *load) click(ctx context.Context, u discordtest.User, m *meetingState, answer string) {
	// Not under ctx: a click begun is finished (or times out), so that
	// its outcome is known.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.o.clickTimeout)
	defer cancel()
	button := map[string]string{"yes": "rsvp-yes", "no": "rsvp-no", "maybe": "rsvp-maybe"}[answer]
	in := l.fake.Button(u, channelID, m.msgID, button+":"+strconv.FormatInt(m.id, 10))
	resp, lat, err := l.fake.Interact(cctx, in)
	if err == nil && answer == "maybe" {
		if resp.Type != discordgo.InteractionResponseModal || resp.Data == nil {
			if resp.Data != nil && resp.Data.Content != "" {
				// A refusal instead of the modal (the meeting has started):
				// answered, counted as refused.
				l.record(u, m, answer, resp, 0, nil)
				return
			}
			l.record(u, m, answer, resp, 0, errors.New("maybe button: no modal"))
			return
		}
		sub := l.fake.ModalSubmit(u, channelID, resp.Data.CustomID, map[string]string{"note": "možná dorazím později", "substitute": ""})
		var lat2 time.Duration
		resp, lat2, err = l.fake.Interact(cctx, sub)
		lat += lat2
	}
	l.record(u, m, answer, resp, lat, err)
}

// record files a click's outcome.
func (l *load) record(u discordtest.User, m *meetingState, answer string, resp *discordgo.InteractionResponse, lat time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := answerKey{u.ID, m.id}
	st := l.answers[k]
	if st == nil {
		st = &answerState{}
		l.answers[k] = st
	}
	var cbErr *discordtest.CallbackError
	switch {
	case err == nil && resp != nil && resp.Type == discordgo.InteractionResponseChannelMessageWithSource &&
		resp.Data != nil && strings.HasPrefix(resp.Data.Content, savedPrefix):
		st.lastOK, st.after = answer, nil
		l.clicks.ok++
		l.clicks.latencies = append(l.clicks.latencies, lat)
	case err == nil && resp != nil && resp.Data != nil:
		st.after = append(st.after, attempt{answer, "refused"})
		l.clicks.refused++
		l.clicks.refusals[truncate(resp.Data.Content, 100)]++
	case errors.As(err, &cbErr):
		st.after = append(st.after, attempt{answer, "refused"})
		l.clicks.refused++
		l.clicks.refusals[truncate(cbErr.Error(), 100)]++
	default:
		st.after = append(st.after, attempt{answer, "no callback"})
		l.clicks.noCallback++
		msg := "no response"
		if err != nil {
			msg = err.Error()
		}
		l.clicks.errors[truncate(msg, 100)]++
	}
}

// createdRe reads the id from `meeting add`'s output.
var createdRe = regexp.MustCompile(`meeting (\d+) created`)

// addMeeting creates a meeting from the shell 35 to 95 minutes ahead and,
// once serve has announced it, opens it for clicks.
func (l *load) addMeeting(ctx context.Context, rng *rand.Rand) error {
	l.mu.Lock()
	l.nMeeting++
	n := l.nMeeting
	l.mu.Unlock()
	start := time.Now().Add(time.Duration(35+rng.IntN(61)) * time.Minute).In(l.prg).Truncate(time.Minute)
	out, err := l.sh.run(ctx, "meeting", "add", "-group", groupSlug,
		"-title", fmt.Sprintf("Jednání pracovní skupiny č. %d", n),
		"-start", start.Format("2006-01-02T15:04"), "-place", "Krajský úřad, Ústí nad Labem")
	if err != nil {
		return err
	}
	sm := createdRe.FindStringSubmatch(out)
	if sm == nil {
		return fmt.Errorf("meeting add: unexpected output %q", out)
	}
	id, _ := strconv.ParseInt(sm[1], 10, 64)
	m := &meetingState{id: id, start: start, created: time.Now()}
	l.mu.Lock()
	l.meetings = append(l.meetings, m)
	l.mu.Unlock()
	// The card's message id is recorded by serve once posted.
	deadline := time.Now().Add(90 * time.Second)
	for {
		var msgID string
		err := l.db.QueryRowContext(ctx, `SELECT announcement_message_id FROM meetings WHERE id = ?`, id).Scan(&msgID)
		if err == nil && msgID != "" {
			m.msgID = msgID
			break
		}
		if time.Now().After(deadline) {
			l.note("meeting %d not announced within 90 s of its creation (%v); clicked without a card", id, err)
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(250 * time.Millisecond):
		}
	}
	l.mu.Lock()
	l.active = append(l.active, m)
	l.mu.Unlock()
	logf("meeting %d created (start %s), announced after %v", id, start.Format("15:04"), time.Since(m.created).Round(time.Millisecond))
	return nil
}

// cancelMeeting closes a random open meeting for clicks, waits for the
// clicks in flight, and cancels it from the shell. It keeps at least two
// meetings open.
func (l *load) cancelMeeting(ctx context.Context, rng *rand.Rand) error {
	l.mu.Lock()
	if len(l.active) <= 2 {
		l.mu.Unlock()
		return nil
	}
	i := rng.IntN(len(l.active))
	m := l.active[i]
	l.active = append(l.active[:i:i], l.active[i+1:]...)
	l.mu.Unlock()
	m.gate.Lock()
	m.closed = true
	m.gate.Unlock()
	if _, err := l.sh.run(ctx, "meeting", "cancel", strconv.FormatInt(m.id, 10)); err != nil {
		return err
	}
	m.cancel = true
	logf("meeting %d cancelled", m.id)
	return nil
}

// meetings creates and cancels meetings until ctx ends; shell commands run
// under shellCtx, so that the end of the load does not kill one midway.
func (l *load) meetingsLoop(ctx, shellCtx context.Context) {
	rng := rand.New(rand.NewPCG(l.o.seed, 1000))
	for range 3 {
		if err := l.addMeeting(shellCtx, rng); err != nil {
			l.note("meeting add failed: %v", err)
		}
	}
	add := time.NewTicker(l.o.meetingEvery)
	defer add.Stop()
	cancel := time.NewTicker(l.o.cancelEvery)
	defer cancel.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-add.C:
			if err := l.addMeeting(shellCtx, rng); err != nil {
				l.note("meeting add failed: %v", err)
			}
		case <-cancel.C:
			if err := l.cancelMeeting(shellCtx, rng); err != nil {
				l.note("meeting cancel failed: %v", err)
			}
		}
	}
}

// mailLoop delivers a minutes mail into INBOX every mailEvery until ctx
// ends; every tenth comes from a sender that is not allowed.
func (l *load) mailLoop(ctx context.Context) {
	t := time.NewTicker(l.o.mailEvery)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		allowed := n%10 != 0
		id, raw := minutesMail(n, allowed, time.Now())
		if err := l.dv.Deliver("INBOX", raw); err != nil {
			l.note("deliver mail %d: %v", n, err)
			continue
		}
		l.mu.Lock()
		l.mails = append(l.mails, deliveredMail{messageID: id, allowed: allowed})
		l.mu.Unlock()
	}
}

// minutesMail is a short Czech minutes mail with a unique Message-ID.
func minutesMail(n int, allowed bool, now time.Time) (messageID string, raw []byte) {
	from := "Jana Nováková <jana.novakova@kr-ustecky.example>"
	if !allowed {
		from = "Neznámý odesílatel <nekdo@jinde.example>"
	}
	messageID = fmt.Sprintf("soak-%d-%d@kr-ustecky.example", n, now.UnixNano())
	body := fmt.Sprintf("Dobrý den,\r\n\r\nv příloze posílám zápis z jednání pracovní skupiny č. %d.\r\n\r\n"+
		"Přítomni: Jana Nováková, Petr Dvořák, Eva Svobodová.\r\n"+
		"1. Primární prevence na školách: projednáno, úkol pro koordinátory.\r\n"+
		"2. Financování adiktologických služeb v kraji: bez změny.\r\n"+
		"3. Různé: příští jednání se uskuteční v Ústí nad Labem.\r\n\r\n"+
		"S pozdravem\r\nJana Nováková\r\n", n)
	raw = []byte("From: " + mimeWord(from) + "\r\n" +
		"To: archiv@kr-ustecky.example\r\n" +
		"Subject: " + mimeWord(fmt.Sprintf("Zápis z jednání pracovní skupiny č. %d", n)) + "\r\n" +
		"Message-ID: <" + messageID + ">\r\n" +
		"Date: " + now.Format(time.RFC1123Z) + "\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" + body)
	return messageID, raw
}

// mimeWord encodes the non-ASCII text of a header (the display name and
// address of From stay readable).
func mimeWord(s string) string {
	name, addr, found := strings.Cut(s, " <")
	if found {
		return mimeQ(name) + " <" + addr
	}
	return mimeQ(s)
}

func mimeQ(s string) string {
	ascii := true
	for _, r := range s {
		if r > 126 {
			ascii = false
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.WriteString("=?utf-8?q?")
	for _, c := range []byte(s) {
		switch {
		case c == ' ':
			b.WriteByte('_')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == ',':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	b.WriteString("?=")
	return b.String()
}

// faultLoop drops the gateway every dropEvery and restarts Dovecot every
// dovecotEvery until ctx ends, and kills serve once at killAt (unless
// -no-kill) and starts it again.
func (l *load) faultLoop(ctx context.Context, killAt time.Duration) {
	drop := time.NewTicker(l.o.dropEvery)
	defer drop.Stop()
	restart := time.NewTicker(l.o.dovecotEvery)
	defer restart.Stop()
	kill := time.After(killAt)
	if l.o.noKill {
		kill = nil
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-drop.C:
			l.fake.CloseGateway()
			l.note("gateway dropped")
		case <-restart.C:
			start := time.Now()
			if err := l.dv.Restart(); err != nil {
				l.note("dovecot restart failed: %v", err)
				continue
			}
			l.note("dovecot restarted in %v", time.Since(start).Round(time.Millisecond))
		case <-kill:
			identifies := l.fake.CountGatewayOp(discordtest.OpIdentify)
			took, err := l.sv.signal(syscall.SIGKILL, 30*time.Second)
			if err != nil {
				l.note("kill serve: %v", err)
			}
			l.note("serve killed (SIGKILL, gone after %v)", took.Round(time.Millisecond))
			if err := l.sv.startServe(); err != nil {
				l.note("restart serve failed: %v", err)
				continue
			}
			start := time.Now()
			rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			// The new instance is connected once it has identified.
			err = l.fake.WaitGatewayOp(rctx, discordtest.OpIdentify, identifies+1)
			cancel()
			if err != nil {
				l.note("restarted serve not READY: %v", err)
				continue
			}
			l.note("serve restarted, IDENTIFY after %v", time.Since(start).Round(time.Millisecond))
		}
	}
}
