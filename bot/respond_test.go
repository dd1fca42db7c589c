package bot

import (
	"encoding/json"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// TestEncodeResponse checks that answers are encoded as json.Marshal
// encodes them, those written directly and those left to json.
func TestEncodeResponse(t *testing.T) {
	for _, resp := range []*discordgo.InteractionResponse{
		private("Odpověď zapsána: přijdu <b> & \"já\" \u2028").resp,
		public("").resp,
		private("bad \xff utf-8").resp,
		{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource},
		{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}}},
		{Type: discordgo.InteractionResponseModal, Data: &discordgo.InteractionResponseData{CustomID: "m", Title: "Poznámka"}},
		{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: &discordgo.InteractionResponseData{Content: "x",
			AllowedMentions: &discordgo.MessageAllowedMentions{RepliedUser: true}}},
	} {
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeResponse(resp)
		if err != nil || string(got) != string(want) {
			t.Errorf("encodeResponse = %s, %v\n json.Marshal = %s", got, err, want)
		}
	}
}

// FuzzEncodeResponse holds the direct encoding of text answers to
// json.Marshal.
func FuzzEncodeResponse(f *testing.F) {
	f.Add("Odpověď zapsána", uint8(4), uint16(64))
	f.Add("<script>\u2028\xff", uint8(7), uint16(0))
	f.Fuzz(func(t *testing.T, content string, typ uint8, flags uint16) {
		resp := private(content).resp
		resp.Type = discordgo.InteractionResponseType(typ)
		resp.Data.Flags = discordgo.MessageFlags(flags)
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeResponse(resp)
		if err != nil || string(got) != string(want) {
			t.Fatalf("encodeResponse = %s, %v\n json.Marshal = %s", got, err, want)
		}
	})
}

// BenchmarkEncodeResponse encodes a text answer both ways.
func BenchmarkEncodeResponse(b *testing.B) {
	resp := private("Odpověď zapsána: přijdu na jednání 23. 3. 2027 10:00.").resp
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeResponse(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
