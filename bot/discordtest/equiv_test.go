package discordtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// The fake encodes and decodes some things by hand, for speed. These tests
// hold them to what plain encoding/json (and discordgo) made of the same
// input before.

// interactionJSONBefore is how the fake encoded an interaction before it
// spliced the encoding: all of in through json, then data and message
// replaced. s.mu must be held.
func (s *Server) interactionJSONBefore(t *testing.T, in *discordgo.Interaction) json.RawMessage {
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	modal := func(d discordgo.ModalSubmitInteractionData) json.RawMessage {
		comps := d.Components
		if comps == nil {
			comps = []discordgo.MessageComponent{}
		}
		return rawJSON(map[string]any{"custom_id": d.CustomID, "components": comps})
	}
	switch d := in.Data.(type) {
	case discordgo.ModalSubmitInteractionData:
		obj["data"] = modal(d)
	case *discordgo.ModalSubmitInteractionData:
		obj["data"] = modal(*d)
	}
	if in.Message != nil {
		if m := s.msgs[in.Message.ID]; m != nil {
			obj["message"] = rawJSON(cloneObj(m.obj))
		} else {
			obj["message"] = rawJSON(messageObj(in.Message))
		}
	}
	return rawJSON(obj)
}

// sameJSON reports whether a and b encode the same value (key order aside).
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return reflect.DeepEqual(x, y)
}

func TestInteractionJSONAsBefore(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ch, card := benchCard(t, srv)
	odd := User{ID: "300000000000000009", Username: "o'neil", GlobalName: `<b>"Ó" & </b>`, Roles: []string{"400000000000000001"}}
	modal := srv.ModalSubmit(odd, ch, "agenda:add", map[string]string{"title": "Rozpočet <2027>", "detail": "a & b"})
	fromButton := srv.ModalSubmit(odd, ch, "agenda:add", nil)
	fromButton.Message = srv.Message(card)
	cases := map[string]*discordgo.Interaction{
		"button on a stored card":      srv.Button(odd, ch, card, "rsvp-yes:1"),
		"button on an unknown message": srv.Button(alice, ch, "123456789012345678", "x"),
		"select":                       srv.Select(alice, ch, card, "pick", "a", "b"),
		"modal":                        modal,
		"modal from a button":          fromButton,
		"slash command with options": srv.SlashCommand(alice, ch, "meeting", SubCommand("add",
			StringOpt("title", "Schůze <1>"), UserOpt("who", odd.ID), RoleOpt("role", "400000000000000001"), ChannelOpt("where", ch),
			IntOpt("n", 3), NumberOpt("x", 1.5), BoolOpt("b", true))),
		"autocomplete": srv.Autocomplete(alice, ch, "meeting", StringOpt("topic", "Roz")),
		"dm command":   srv.SlashCommand(alice, srv.dmChannelFor(t, alice.ID), "help"),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			in.ID, in.Token, in.AppID, in.Version = srv.newID(), interactionToken("1"), srv.AppID, 1
			srv.mu.Lock()
			got, msgObj, err := srv.interactionJSONLocked(in)
			want := srv.interactionJSONBefore(t, in)
			srv.mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got) || !sameJSON(t, got, want) {
				t.Errorf("encoded\n%s\nbefore\n%s", got, want)
			}
			if (msgObj != nil) != (in.Message != nil) {
				t.Errorf("message object %v for message %v", msgObj, in.Message)
			}
			var back discordgo.Interaction
			if err := json.Unmarshal(got, &back); err != nil || back.ID != in.ID || back.Type != in.Type {
				t.Errorf("discordgo decodes %+v, %v", back, err)
			}
		})
	}
}

// dmChannelFor makes the DM channel of userID, as the bot does.
func (s *Server) dmChannelFor(t *testing.T, userID string) string {
	t.Helper()
	dg := session(t, s)
	c, err := dg.UserChannelCreate(userID)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func TestDispatchFrameAsBefore(t *testing.T) {
	t.Parallel()
	for _, d := range []any{map[string]any{"id": "1", "s": "<&>"}, []int{1, 2}, "x", nil} {
		raw := rawJSON(d)
		want := rawJSON(map[string]any{"op": opDispatch, "t": "INTERACTION_CREATE", "s": int64(42), "d": raw})
		if got := dispatchFrame("INTERACTION_CREATE", 42, raw); !bytes.Equal(got, want) {
			t.Errorf("frame %s, before %s", got, want)
		}
	}
}

func TestInteractionExtraAsBefore(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, it := range []*interaction{
		{id: "1", typ: discordgo.InteractionMessageComponent, user: User{ID: "2", GlobalName: `<b>"Ó" & </b>`}.dgUser()},
		{id: "3", typ: discordgo.InteractionApplicationCommand, name: "schůze<>", user: alice.dgUser()},
		{id: "4", typ: discordgo.InteractionModalSubmit},
	} {
		typ := int(discordgo.MessageTypeDefault)
		if it.typ == discordgo.InteractionApplicationCommand {
			typ = int(discordgo.MessageTypeChatInputCommand)
		}
		before := map[string]any{
			"type":           typ,
			"webhook_id":     srv.AppID,
			"application_id": srv.AppID,
			"interaction_metadata": map[string]any{
				"id": it.id, "type": int(it.typ), "user": it.user,
				"authorizing_integration_owners": map[string]any{"0": srv.GuildID},
			},
			"interaction": map[string]any{"id": it.id, "type": int(it.typ), "name": it.name, "user": it.user},
		}
		got := srv.interactionExtra(it)
		if len(got) != len(before) {
			t.Errorf("keys %v, before %v", got, before)
		}
		for k, v := range before {
			if want := rawJSON(v); !bytes.Equal(got[k], want) {
				t.Errorf("%s: %s, before %s", k, got[k], want)
			}
		}
	}
}

func TestJSONStringAsMarshal(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "123", "2027-03-23T10:00:00.000000+00:00", `a"b`, `a\b`, "<&>", "a&b", "ž", "\x01", "\u2028", "\xff", "~\x7f"} {
		if got, want := jsonString(s), rawJSON(s); !bytes.Equal(got, want) {
			t.Errorf("jsonString(%q) = %s, json.Marshal %s", s, got, want)
		}
	}
}

// decodeResponseBefore is how the fake decoded a callback before: data
// without components through json, components through discordgo.Message.
func decodeResponseBefore(p map[string]json.RawMessage) (*discordgo.InteractionResponse, map[string]json.RawMessage, error) {
	resp := &discordgo.InteractionResponse{}
	if err := json.Unmarshal(p["type"], &resp.Type); err != nil {
		return nil, nil, err
	}
	data := map[string]json.RawMessage{}
	if d, ok := p["data"]; ok && !isNull(d) {
		if err := json.Unmarshal(d, &data); err != nil {
			return nil, nil, err
		}
		rest := cloneObj(data)
		comps := rest["components"]
		delete(rest, "components")
		var rd discordgo.InteractionResponseData
		if err := json.Unmarshal(rawJSON(rest), &rd); err != nil {
			return nil, nil, err
		}
		if !isNull(comps) {
			var m discordgo.Message
			if err := json.Unmarshal([]byte(`{"components":`+string(comps)+`}`), &m); err != nil {
				return nil, nil, err
			}
			rd.Components = m.Components
		}
		resp.Data = &rd
	}
	return resp, data, nil
}

func TestDecodeResponseAsBefore(t *testing.T) {
	t.Parallel()
	bodies := []string{
		`{"type":4,"data":{"tts":false,"content":"Odpověď <@1>","components":null,"embeds":null,"allowed_mentions":{"parse":null,"replied_user":false},"flags":64}}`,
		`{"type":7,"data":{"content":"x","components":[{"type":1,"components":[{"type":2,"style":1,"label":"Ano","custom_id":"a","emoji":{"name":"✅"}},{"type":2,"style":5,"label":"Web","url":"https://example.org"}]},{"type":1,"components":[{"type":3,"custom_id":"s","options":[{"label":"A","value":"a"}]}]}],"embeds":[{"title":"T","fields":[{"name":"n","value":"v","inline":true}],"timestamp":"2027-03-23T10:00:00Z"}]}}`,
		`{"type":4,"data":{"content":"x","components":[]}}`,
		`{"type":9,"data":{"custom_id":"m","title":"Bod","components":[{"type":1,"components":[{"type":4,"custom_id":"t","label":"Název","style":1,"required":true}]}]}}`,
		`{"type":8,"data":{"choices":[{"name":"a","value":"1"},{"name":"b","value":2}]}}`,
		`{"type":5}`,
		`{"type":6,"data":null}`,
		`{"type":4,"data":{"content":"x","poll":{"question":{"text":"?"},"answers":[]},"attachments":[{"id":"1"}]}}`,
		`{"type":4,"data":{"content":"x","components":[{"type":99}]}}`,
		`{"type":4,"data":{"content":"x","components":[null]}}`,
		`{"type":4,"data":{"content":"x","components":{"type":1}}}`,
		`{"type":4,"data":{"content":5}}`,
		`{"type":4,"data":{"content":"x","flags":"64"}}`,
		`{"type":4,"data":[]}`,
		`{"type":"4"}`,
		`{}`,
	}
	for _, body := range bodies {
		var p map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		got, gotData, err := decodeResponse(p)
		want, wantData, errBefore := decodeResponseBefore(p)
		if (err != nil) != (errBefore != nil) {
			t.Errorf("%s: error %v, before %v", body, err, errBefore)
			continue
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotData, wantData) {
			t.Errorf("%s:\n%s %v\nbefore\n%s %v", body, dump(got), gotData, dump(want), wantData)
		}
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// shared returns the path of the first pointer, slice array or map that a
// and b share, or "".
func shared(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer, reflect.Map:
		if a.IsNil() || b.IsNil() {
			return ""
		}
		if a.UnsafePointer() == b.UnsafePointer() {
			return path
		}
		if a.Kind() == reflect.Pointer {
			return shared(a.Elem(), b.Elem(), path)
		}
		for it := a.MapRange(); it.Next(); {
			if p := shared(it.Value(), b.MapIndex(it.Key()), fmt.Sprint(path, "[", it.Key(), "]")); p != "" {
				return p
			}
		}
	case reflect.Interface:
		if !a.IsNil() && !b.IsNil() {
			return shared(a.Elem(), b.Elem(), path)
		}
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.UnsafePointer() == b.UnsafePointer() {
			return path
		}
		for i := range min(a.Len(), b.Len()) {
			if p := shared(a.Index(i), b.Index(i), fmt.Sprint(path, "[", i, "]")); p != "" {
				return p
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if p := shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	}
	return ""
}

// TestMessageCopiesShareNothing reads a rich stored message twice: each
// read is what discordgo decodes from its JSON, and the two share nothing a
// caller could change.
func TestMessageCopiesShareNothing(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ch, card := benchCard(t, srv)
	srv.mu.Lock()
	m := srv.msgs[card]
	obj := cloneObj(m.obj)
	obj["mentions"] = rawJSON([]*discordgo.User{alice.dgUser()})
	obj["reactions"] = rawJSON([]map[string]any{{"count": 2, "me": false, "emoji": map[string]any{"name": "👍"}}})
	obj["member"] = rawJSON(alice.dgMember("", false))
	obj["poll"] = json.RawMessage(`{"question":{"text":"Kdy?"},"answers":[{"answer_id":1,"poll_media":{"text":"Po"}}],"expiry":"2027-03-23T10:00:00Z"}`)
	obj["edited_timestamp"] = jsonString(discordTime(time.Date(2027, 3, 23, 10, 0, 0, 0, time.UTC)))
	m.set(obj)
	srv.mu.Unlock()
	srv.AddMember(alice)
	a, b := srv.Message(card), srv.Message(card)
	var fresh discordgo.Message
	srv.mu.Lock()
	err := json.Unmarshal(rawJSON(m.obj), &fresh)
	srv.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, &fresh) || !reflect.DeepEqual(b, &fresh) {
		t.Errorf("read %s\nfresh decoding %s", dump(a), dump(&fresh))
	}
	if len(a.Components) != 1 || len(a.Embeds) != 1 || a.Poll == nil || a.EditedTimestamp == nil || len(a.Reactions) != 1 {
		t.Fatalf("message lacks parts: %s", dump(a))
	}
	if p := shared(reflect.ValueOf(a), reflect.ValueOf(b), "message"); p != "" {
		t.Errorf("two reads share %s", p)
	}
	// A change to a read is not seen by the next one.
	a.Embeds[0].Fields[0].Value = "changed"
	a.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.Button).Label = "changed"
	if c := srv.Message(card); strings.Contains(dump(c), "changed") {
		t.Errorf("a caller's change shows in the stored message: %s", dump(c))
	}
	// An edit is seen.
	dg := session(t, srv)
	content := "Upraveno"
	if _, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: card, Channel: ch, Content: &content}); err != nil {
		t.Fatal(err)
	}
	if c := srv.Message(card); c.Content != content || c.EditedTimestamp == nil || len(c.Components) != 1 {
		t.Errorf("after an edit: %s", dump(c))
	}
}

// jsonSeeds are JSON texts for the decoding shortcuts' tests.
var jsonSeeds = []string{
	`{"type":4,"data":{"tts":false,"content":"Odpověď <@1>","components":null,"embeds":null,"allowed_mentions":{"parse":null,"replied_user":false},"flags":64}}`,
	` { "a" : [1, {"b": "}]\"{["}, 2.5e3] , "a\u0062" : true, "a" : "last", "ž": null, "\"": -0 } `,
	`{}`, `{ }`, `null`, ` null `, `[]`, `"x"`, `5`, `true`, `{"a":{}}`, `{"\ud83d\ude00":"\u00e9\n"}`,
	`{"a":"\u2028","b":"x\/y","c":[[],[[]],{}]}`, "{\"k\":\"\xff\"}", "{\"\xff\":1}",
}

func FuzzSplitObject(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		got, err := splitObject([]byte(s))
		want := map[string]json.RawMessage{}
		errWant := json.Unmarshal([]byte(s), &want)
		if (err != nil) != (errWant != nil) {
			t.Fatalf("%s: error %v, json.Unmarshal %v", s, err, errWant)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %q, json.Unmarshal %q", s, got, want)
		}
	})
}

func FuzzJSONStringValue(f *testing.F) {
	for _, s := range []string{`""`, `"abc"`, `"a\"b"`, `"\u00e9"`, "\"\xff\"", `"ž<&>"`, `"\ud800"`, "\"a\tb\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) || s == "" || s[0] != '"' {
			return
		}
		got, err := jsonStringValue([]byte(s))
		var want string
		errWant := json.Unmarshal([]byte(s), &want)
		if (err != nil) != (errWant != nil) || got != want {
			t.Fatalf("%s: %q %v, json.Unmarshal %q %v", s, got, err, want, errWant)
		}
	})
}

func FuzzMayBeMultipart(f *testing.F) {
	for _, ct := range []string{"", "application/json", "multipart/form-data; boundary=x", " Multipart/Form-Data ;boundary=x",
		"multipart/", "multipart", "text/plain; a=multipart/x", "multipart/form-data; boundary", "MULTIPART/mixed",
		"\tmultipart/mixed", "multipart/form-data; boundary=a; boundary=b"} {
		f.Add(ct)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		mt, _, _ := mime.ParseMediaType(ct)
		if strings.HasPrefix(mt, "multipart/") && !mayBeMultipart(ct) {
			t.Errorf("mayBeMultipart(%q) = false, mime.ParseMediaType says %q", ct, mt)
		}
	})
}

// TestInteractionKeepsItsMessage: a click keeps the message as it was sent
// with it, though the message is edited afterwards (the two share the
// object until the edit replaces the message's).
func TestInteractionKeepsItsMessage(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ch, card := benchCard(t, srv)
	in := srv.Button(alice, ch, card, "rsvp-yes:1")
	if _, _, _, err := srv.register(in); err != nil {
		t.Fatal(err)
	}
	content := "Upraveno"
	if _, err := session(t, srv).ChannelMessageEditComplex(&discordgo.MessageEdit{ID: card, Channel: ch, Content: &content}); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	kept, now := string(srv.interactions[in.ID].msgObj["content"]), string(srv.msgs[card].obj["content"])
	srv.mu.Unlock()
	if kept != `""` || now != `"Upraveno"` {
		t.Errorf("the click's message has content %s, the stored one %s", kept, now)
	}
}
