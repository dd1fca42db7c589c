package bot_test

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot/discordtest"
	"coordbot/outbox"
	"coordbot/store"
)

// BenchmarkRSVPClicks200 has 200 members click an RSVP button at once
// through the fake Discord and reports the p50/p99 time from
// INTERACTION_CREATE sent to the callback received, and how many edits the
// announcement needed.
func BenchmarkRSVPClicks200(b *testing.B) {
	e := newEnv(b, "cs")
	// Edits wait as in production, on the driven clock: a round's clicks
	// all fall within one edit delay (their p99 is far below it), and the
	// clock is moved on by the delay after each round.
	e.core.EditDelay = outbox.EditDelay
	m := e.createMeeting("23. 3. 2027 10:00")
	rows, err := e.store.Notifications(context.Background(), store.NotificationFilter{MeetingID: m.ID})
	if err != nil {
		b.Fatal(err)
	}
	// Metrics reported before ResetTimer are dropped: these wait for the end.
	rowsPerMeeting := len(rows)
	ann := e.announcement(func(*discordgo.MessageEmbed) bool { return true })
	users := make([]discordtest.User, 200)
	for i := range users {
		users[i] = discordtest.User{ID: fmt.Sprint(10000 + i), Username: fmt.Sprint("u", i), GlobalName: fmt.Sprint("Člen ", i), Roles: []string{memberRole}}
	}
	answers := []string{"rsvp-yes", "rsvp-no"}
	var all []time.Duration
	edits := func() int {
		n := 0
		for _, r := range e.fake.Requests() {
			if r.Method == "PATCH" && strings.Contains(r.Path, "/messages/"+ann.ID) {
				n++
			}
		}
		return n
	}
	// round has all 200 members click at once and returns each click's
	// time from INTERACTION_CREATE sent to the callback received.
	round := func(n int) []time.Duration {
		lat := make([]time.Duration, len(users))
		// The clicks are built first, so that the fake's bookkeeping for
		// 200 new interactions does not compete with the bot's work.
		clicks := make([]*discordgo.Interaction, len(users))
		for i, u := range users {
			clicks[i] = e.fake.Button(u, channelID, ann.ID, fmt.Sprintf("%s:%d", answers[(i+n)%2], m.ID))
		}
		var wg sync.WaitGroup
		for i := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, d, err := e.fake.Interact(context.Background(), clicks[i])
				if err != nil || resp.Type != discordgo.InteractionResponseChannelMessageWithSource {
					b.Errorf("click %d: %v %+v", i, err, resp)
				}
				lat[i] = d
			}()
		}
		wg.Wait()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return lat
	}
	// The first click of each member also records them as a member of the
	// group; it is reported apart.
	// afterRound lets the round's card edit fall due and go out.
	afterRound := func() {
		e.clock.Set(e.clock.Now().Add(outbox.EditDelay))
		e.settled()
	}
	first := round(1)
	afterRound()
	before := edits()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		all = append(all, round(n)...)
		b.StopTimer()
		afterRound()
		b.StartTimer()
	}
	b.StopTimer()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99_ms")
	c, err := e.store.CountRSVPs(context.Background(), m.ID)
	if err != nil || c.Yes+c.No != len(users) {
		b.Fatalf("stored answers %+v, want %d", c, len(users))
	}
	want := fmt.Sprintf("Přijdu: %d · Možná: 0 · Nepřijdu: %d", c.Yes, c.No)
	e.announcement(func(em *discordgo.MessageEmbed) bool { return field(em, "Odpovědi") == want })
	b.ReportMetric(float64(edits()-before)/float64(b.N), "edits/200clicks")
	b.ReportMetric(float64(first[len(first)*99/100].Microseconds())/1000, "first_contact_p99_ms")
	b.ReportMetric(float64(rowsPerMeeting), "outbox_rows/meeting")
	// The bot's own part: from the handler's start to its answer sent.
	hm := handlerMS(e.logs.String())
	b.ReportMetric(float64(hm[len(hm)*99/100]), "handler_p99_ms")
	wm := waitedMS(e.logs.String())
	b.Logf("waited ms p50 %d p90 %d p99 %d max %d", wm[len(wm)/2], wm[len(wm)*9/10], wm[len(wm)*99/100], wm[len(wm)-1])
}

// handlerMS collects the handler times the bot logs, sorted.
func handlerMS(logs string) []int {
	var out []int
	for _, m := range regexp.MustCompile(`interaction answered.* ms=(\d+)`).FindAllStringSubmatch(logs, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

func waitedMS(logs string) []int {
	var out []int
	for _, m := range regexp.MustCompile(`interaction answered.* waited_ms=(\d+)`).FindAllStringSubmatch(logs, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}
