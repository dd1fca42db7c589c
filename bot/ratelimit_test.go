package bot_test

import (
	"testing"

	"coordbot/bot"
	"coordbot/bot/discordtest"
)

// TestAnswersDoNotLeaveRateLimitBuckets: every interaction answer used to
// leave a rate-limit bucket keyed by its callback URL (id and token) in
// discordgo's never-pruned map: serve grew ~2 MiB a minute in the soak.
// Answers now share a few fixed buckets.
func TestAnswersDoNotLeaveRateLimitBuckets(t *testing.T) {
	e := newEnv(t, "cs")
	before := bot.RateLimitBuckets(e.bot)
	for range 200 {
		e.do(e.fake.SlashCommand(member, channelID, "meeting", discordtest.SubCommand("list")))
	}
	if grown := bot.RateLimitBuckets(e.bot) - before; grown > bot.CallbackBuckets {
		t.Errorf("200 answers left %d more rate-limit buckets, want at most %d (the fixed callback buckets)", grown, bot.CallbackBuckets)
	}
}
