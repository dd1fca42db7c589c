package bot_test

import (
	"strings"
	"testing"

	"coordbot/bot/discordtest"
)

// TestMinutesSearchWithoutWords: the bot refuses a search of punctuation
// or emoji alone in the group's language instead of listing the archive.
func TestMinutesSearchWithoutWords(t *testing.T) {
	for _, tc := range []struct{ locale, want string }{{"cs", "žádná slova"}, {"en", "no words"}} {
		e := newEnv(t, tc.locale)
		for _, q := range []string{"'😀'", "*", ":"} {
			text := e.text(e.do(e.fake.SlashCommand(member, channelID, "minutes", discordtest.SubCommand("search", str("query", q)))), true)
			if !strings.Contains(text, tc.want) {
				t.Errorf("%s: search %s: %q, want %q", tc.locale, q, text, tc.want)
			}
		}
	}
}
