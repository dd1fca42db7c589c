package bot

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot/discordtest"
)

// realClick is a button click as Discord sends it (the shape of a real
// INTERACTION_CREATE's data, ids made up): more member and user fields
// than the fake writes, the channel and guild, entitlements.
const realClick = `{"version":1,"type":3,"token":"aW50ZXJhY3Rpb246MTIzNDU2Nzg5","message":{"type":0,"tts":false,` +
	`"timestamp":"2027-03-01T09:00:00.123000+00:00","pinned":false,"mentions":[],"mention_roles":[],"mention_everyone":false,` +
	`"id":"1300000000000000001","flags":0,"embeds":[{"type":"rich","title":"Jednání \"pracovní\" skupiny","fields":[{"value":"23. 3. 2027 10:00","name":"Kdy","inline":true}]}],` +
	`"edited_timestamp":null,"content":"","components":[{"type":1,"components":[{"type":2,"style":3,"label":"Přijdu","custom_id":"rsvp-yes:7"}]}],` +
	`"channel_id":"5001","author":{"username":"coordbot","public_flags":0,"id":"1200","global_name":null,"discriminator":"1234","bot":true,"avatar":null},"attachments":[]},` +
	`"member":{"user":{"username":"jana.novakova","public_flags":0,"primary_guild":null,"id":"900000000000000001","global_name":"Jana Nováková",` +
	`"display_name_styles":null,"discriminator":"0","collectibles":null,"clan":null,"avatar_decoration_data":null,"avatar":"a1b2"},` +
	`"unusual_dm_activity_until":null,"roles":["1100","1101"],"premium_since":null,"permissions":"2248473465835073","pending":false,` +
	`"nick":"Jana (Praha 5)","mute":false,"joined_at":"2025-02-03T08:09:10.123456+00:00","flags":0,"deaf":false,` +
	`"communication_disabled_until":null,"banner":null,"avatar":null},` +
	`"locale":"cs","id":"1300000000000000099","guild_locale":"en-US","guild_id":"1000","guild":{"locale":"en-US","id":"1000","features":[]},` +
	`"entitlements":[],"entitlement_sku_ids":[],"data":{"id":"1300000000000000001","custom_id":"rsvp-yes:7","component_type":2},` +
	`"context":0,"channel_id":"5001","channel":{"type":0,"topic":null,"rate_limit_per_user":0,"position":3,"permissions":"2248473465835073",` +
	`"parent_id":"1002","nsfw":false,"name":"pracovní-skupina","last_message_id":"1300000000000000001","id":"5001","guild_id":"1000","flags":0},` +
	`"authorizing_integration_owners":{"0":"1000"},"attachment_size_limit":10485760,"application_id":"1200","app_permissions":"2248473465835073"}`

// decoded is what the bot reads of an interaction: quickInteraction must
// give what encoding/json gives on each of these.
type decoded struct {
	ID, AppID, GuildID, ChannelID, Token string
	Type                                 discordgo.InteractionType
	Version                              int
	Locale                               discordgo.Locale
	GuildLocale                          *discordgo.Locale
	Member                               *decodedMember
	User                                 *decodedUser
	Data                                 any
}

type decodedMember struct {
	User  *decodedUser
	Nick  string
	Roles []string
}

type decodedUser struct {
	ID, Username, GlobalName, Discriminator string
	Bot                                     bool
}

func view(ic *discordgo.Interaction) decoded {
	user := func(u *discordgo.User) *decodedUser {
		if u == nil {
			return nil
		}
		return &decodedUser{ID: u.ID, Username: u.Username, GlobalName: u.GlobalName, Discriminator: u.Discriminator, Bot: u.Bot}
	}
	d := decoded{ID: ic.ID, AppID: ic.AppID, GuildID: ic.GuildID, ChannelID: ic.ChannelID, Token: ic.Token,
		Type: ic.Type, Version: ic.Version, Locale: ic.Locale, GuildLocale: ic.GuildLocale, User: user(ic.User)}
	if ic.Member != nil {
		d.Member = &decodedMember{User: user(ic.Member.User), Nick: ic.Member.Nick, Roles: ic.Member.Roles}
	}
	switch v := ic.Data.(type) {
	case discordgo.MessageComponentInteractionData:
		d.Data = discordgo.MessageComponentInteractionData{CustomID: v.CustomID, ComponentType: v.ComponentType, Values: v.Values}
	default:
		d.Data = v
	}
	return d
}

// samples are interactions of every kind the bot handles, as the fake
// builds them, and a real click.
func samples(t testing.TB) [][]byte {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	u := discordtest.User{ID: "900000000000000001", Username: "clen1", GlobalName: "Člen <1> & \"spol\"", Roles: []string{"11", "12"}, Nick: "Přezdívka"}
	bare := discordtest.User{ID: "900000000000000002", Username: "clen2"}
	dm := fake.DMChannelID(u.ID)
	ins := []*discordgo.Interaction{
		fake.Button(u, "5001", "123", "rsvp-yes:1"),
		fake.Button(bare, "5001", "123", "rsvp-no:1"),
		fake.Select(u, "5001", "123", "attendance:1", "3", "4"),
		fake.Select(u, "5001", "123", "attendance:1"),
		fake.ModalSubmit(u, "5001", "rsvp-maybe-modal:1", map[string]string{"note": "Přijdu později", "substitute": ""}),
		fake.SlashCommand(u, "5001", "meeting", discordtest.SubCommand("create", discordtest.StringOpt("title", "Jednání"))),
		fake.SlashCommand(u, dm, "search", discordtest.StringOpt("q", "financování")),
	}
	out := [][]byte{[]byte(realClick)}
	for _, in := range ins {
		in.ID, in.Token = "1300000000000000042", "token-42"
		raw, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

// TestQuickInteraction checks that the interactions the bot gets decode
// without encoding/json (quickInteraction takes them) and exactly as
// encoding/json decodes them, and that unusual payloads are left to
// encoding/json.
func TestQuickInteraction(t *testing.T) {
	for i, raw := range samples(t) {
		want, err := fullInteraction(raw)
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		got, ok := quickInteraction(raw)
		if !ok {
			t.Fatalf("sample %d: quickInteraction refused %s", i, raw)
		}
		if !reflect.DeepEqual(view(got), view(want)) {
			t.Fatalf("sample %d:\n got %+v\nwant %+v", i, view(got), view(want))
		}
	}
	ic, err := decodeInteraction([]byte(realClick))
	if err != nil {
		t.Fatal(err)
	}
	if ic.Member.Nick != "Jana (Praha 5)" || ic.Member.User.GlobalName != "Jana Nováková" ||
		!reflect.DeepEqual(ic.Member.Roles, []string{"1100", "1101"}) || ic.MessageComponentData().CustomID != "rsvp-yes:7" ||
		ic.Message != nil || *ic.GuildLocale != "en-US" {
		t.Fatalf("real click decoded as %+v", view(ic))
	}
	for _, raw := range []string{
		`{"ID":"1","type":3,"data":{}}`,   // a key encoding/json matches regardless of case
		`{"id":"1","type":"3","data":{}}`, // a number as a string: json fails
		`{"id":"1","type":3}`,             // no data: json fails
		`{"id":1,"type":3,"data":{}}`,     // a number for a string
		`{"id":"1","type":3,"data":{"values":[null]}}`,
	} {
		if _, ok := quickInteraction([]byte(raw)); ok {
			t.Errorf("quickInteraction took %s", raw)
		}
	}
}

// FuzzQuickInteraction holds quickInteraction to encoding/json: on JSON it
// takes, encoding/json reads the same fields (into a struct of only the
// fields it reads: a field it does not read, a malformed joined_at say,
// is not its business), and where encoding/json decodes the whole
// interaction, the same values.
func FuzzQuickInteraction(f *testing.F) {
	for _, raw := range samples(f) {
		f.Add(raw)
	}
	f.Add([]byte(`{"id":"1","type":3,"member":{"user":{"id":"2","bot":true},"roles":[]},"member":{"nick":"x"},"data":null}`))
	f.Add([]byte(`{"id":"a\u00e1","type":3,"user":{"global_name":"\"Jana\""},"guild_locale":null,"data":{"custom_id":"x","values":["a","b\n"]}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		got, ok := quickInteraction(raw)
		if !ok {
			return
		}
		read, err := readFieldsJSON(raw)
		if err != nil {
			t.Fatalf("quickInteraction took %s, encoding/json: %v", raw, err)
		}
		if !reflect.DeepEqual(view(got), view(read)) {
			t.Fatalf("%s:\n got %+v\nwant %+v", raw, view(got), view(read))
		}
		if want, err := fullInteraction(raw); err == nil && !reflect.DeepEqual(view(got), view(want)) {
			t.Fatalf("%s:\n got %+v\nwant %+v", raw, view(got), view(want))
		}
	})
}

// readFieldsJSON decodes with encoding/json only the fields quickInteraction
// reads.
func readFieldsJSON(raw []byte) (*discordgo.Interaction, error) {
	type user struct {
		ID            string `json:"id"`
		Username      string `json:"username"`
		GlobalName    string `json:"global_name"`
		Discriminator string `json:"discriminator"`
		Bot           bool   `json:"bot"`
	}
	var r struct {
		ID          string                    `json:"id"`
		AppID       string                    `json:"application_id"`
		Type        discordgo.InteractionType `json:"type"`
		GuildID     string                    `json:"guild_id"`
		ChannelID   string                    `json:"channel_id"`
		Token       string                    `json:"token"`
		Version     int                       `json:"version"`
		Locale      discordgo.Locale          `json:"locale"`
		GuildLocale *discordgo.Locale         `json:"guild_locale"`
		Member      *struct {
			User  *user    `json:"user"`
			Nick  string   `json:"nick"`
			Roles []string `json:"roles"`
		} `json:"member"`
		User *user           `json:"user"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	dg := func(u *user) *discordgo.User {
		if u == nil {
			return nil
		}
		return &discordgo.User{ID: u.ID, Username: u.Username, GlobalName: u.GlobalName, Discriminator: u.Discriminator, Bot: u.Bot}
	}
	ic := &discordgo.Interaction{ID: r.ID, AppID: r.AppID, Type: r.Type, GuildID: r.GuildID, ChannelID: r.ChannelID,
		Token: r.Token, Version: r.Version, Locale: r.Locale, GuildLocale: r.GuildLocale, User: dg(r.User)}
	if r.Member != nil {
		ic.Member = &discordgo.Member{User: dg(r.Member.User), Nick: r.Member.Nick, Roles: r.Member.Roles}
	}
	if r.Type != discordgo.InteractionMessageComponent {
		return ic, decodeData(ic, r.Data)
	}
	var c struct {
		CustomID      string                  `json:"custom_id"`
		ComponentType discordgo.ComponentType `json:"component_type"`
		Values        []string                `json:"values"`
	}
	err := json.Unmarshal(r.Data, &c)
	ic.Data = discordgo.MessageComponentInteractionData{CustomID: c.CustomID, ComponentType: c.ComponentType, Values: c.Values}
	return ic, err
}

// BenchmarkDecodeInteraction decodes a real click both ways.
func BenchmarkDecodeInteraction(b *testing.B) {
	raw := []byte(realClick)
	b.Run("quick", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := quickInteraction(raw); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fullInteraction(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
