package bot_test

import (
	"strings"
	"testing"

	"coordbot/bot/discordtest"
)

// TestCreateAmbiguousHourSaysWhichWasTaken: the answer to creating a
// meeting at an hour that happens twice names the one taken and how to
// type the other.
func TestCreateAmbiguousHourSaysWhichWasTaken(t *testing.T) {
	e := newEnv(t, "cs")
	resp := e.do(e.fake.SlashCommand(coordinator, channelID, "meeting", discordtest.SubCommand("create",
		str("title", "Noční jednání"), str("when", "31. 10. 2027 2:30"))))
	text := e.text(resp, true)
	if !strings.Contains(text, "je naplánována") || !strings.Contains(text, "dvakrát") || !strings.Contains(text, "2:30 SEČ") {
		t.Errorf("create: %q, want the note on the hour that happens twice", text)
	}
	resp = e.do(e.fake.SlashCommand(coordinator, channelID, "meeting", discordtest.SubCommand("create",
		str("title", "Zimní jednání"), str("when", "31. 10. 2027 2:30 SEČ"))))
	if text := e.text(resp, true); !strings.Contains(text, "je naplánována") || strings.Contains(text, "dvakrát") {
		t.Errorf("create with an explicit zone: %q", text)
	}
}
