package bot

import "reflect"

// RateLimitBuckets is how many rate-limit buckets the bot's discordgo
// session holds (discordgo keeps them in an unexported map and never
// drops one).
func RateLimitBuckets(b *Bot) int {
	rl := b.session.Ratelimiter
	rl.Lock()
	defer rl.Unlock()
	return reflect.ValueOf(rl).Elem().FieldByName("buckets").Len()
}

// CallbackBuckets is how many rate-limit buckets interaction callbacks
// share.
const CallbackBuckets = callbackBuckets
