package bot

import (
	"encoding/json"
	"strconv"

	"github.com/bwmarrin/discordgo"

	"coordbot/internal/jsonscan"
)

// quickInteraction decodes the fields of an INTERACTION_CREATE that the
// bot reads, in one pass over the payload without reflection: a burst of
// 200 clicks is decoded on two cores while the same cores answer them,
// and encoding/json spent ~70 µs of CPU on each click (member, user and
// the members' timestamps the bot never reads).
//
// It fills: ID, AppID, Type, GuildID, ChannelID, Token, Version, Locale,
// GuildLocale; Member's User, Nick and Roles; User's ID, Username,
// GlobalName, Discriminator and Bot (for User and Member.User); and for a
// message component its data's CustomID, ComponentType and Values. Other
// interaction types get their data from encoding/json, as
// decodeInteraction gives it. Whatever it cannot read the way
// encoding/json would (an escape it leaves to json, a key in another
// case, a value of an unexpected type) makes it return false, and the
// caller decodes the whole payload with encoding/json, which also
// reports what is wrong. Like jsonscan, it does not validate what it
// steps over (the clicked message, fields it does not read): on a payload
// that is not JSON it may succeed where encoding/json fails, and on JSON
// it gives what encoding/json gives. TestQuickInteraction and FuzzQuickInteraction
// hold it to encoding/json on every field it fills; a handler that comes
// to read another field must add it here and there.
func quickInteraction(d []byte) (*discordgo.Interaction, bool) {
	ic := &discordgo.Interaction{}
	var data []byte
	ok := jsonscan.EachMember(d, func(key []byte, _, start, end int) bool {
		v := d[start:end]
		switch string(key) {
		case "id":
			return quickString(v, &ic.ID)
		case "application_id":
			return quickString(v, &ic.AppID)
		case "type":
			n, ok := quickUint(v, 8)
			ic.Type = discordgo.InteractionType(n)
			return ok
		case "guild_id":
			return quickString(v, &ic.GuildID)
		case "channel_id":
			return quickString(v, &ic.ChannelID)
		case "token":
			return quickString(v, &ic.Token)
		case "version":
			n, ok := quickUint(v, 31)
			ic.Version = int(n)
			return ok
		case "locale":
			return quickString(v, (*string)(&ic.Locale))
		case "guild_locale":
			if isNull(v) {
				ic.GuildLocale = nil
				return true
			}
			var l discordgo.Locale
			ic.GuildLocale = &l
			return quickString(v, (*string)(&l))
		case "member":
			if isNull(v) {
				ic.Member = nil
				return true
			}
			// encoding/json decodes into the member it already has.
			if ic.Member == nil {
				ic.Member = &discordgo.Member{}
			}
			return quickMember(v, ic.Member)
		case "user":
			return quickUser(v, &ic.User)
		case "data":
			data = v
			return true
		}
		return lowerKey(key)
	})
	if !ok {
		return nil, false
	}
	if ic.Type != discordgo.InteractionMessageComponent {
		if err := decodeData(ic, data); err != nil {
			return nil, false
		}
		return ic, true
	}
	if data == nil {
		return nil, false // encoding/json fails on the missing data
	}
	var c discordgo.MessageComponentInteractionData
	if !isNull(data) && !quickComponent(data, &c) {
		return nil, false
	}
	ic.Data = c
	return ic, true
}

// quickMember reads a guild member's user, nick and roles into m.
func quickMember(v []byte, m *discordgo.Member) bool {
	return jsonscan.EachMember(v, func(key []byte, _, start, end int) bool {
		f := v[start:end]
		switch string(key) {
		case "user":
			return quickUser(f, &m.User)
		case "nick":
			return quickString(f, &m.Nick)
		case "roles":
			return quickStrings(f, &m.Roles)
		}
		return lowerKey(key)
	})
}

// quickUser reads a user's id, names and bot flag into *up: null sets it
// to nil, and an object is read into the user already there (as
// encoding/json does) or a new one.
func quickUser(v []byte, up **discordgo.User) bool {
	if isNull(v) {
		*up = nil
		return true
	}
	if *up == nil {
		*up = &discordgo.User{}
	}
	u := *up
	return jsonscan.EachMember(v, func(key []byte, _, start, end int) bool {
		f := v[start:end]
		switch string(key) {
		case "id":
			return quickString(f, &u.ID)
		case "username":
			return quickString(f, &u.Username)
		case "global_name":
			return quickString(f, &u.GlobalName)
		case "discriminator":
			return quickString(f, &u.Discriminator)
		case "bot":
			switch string(f) {
			case "true":
				u.Bot = true
			case "false":
				u.Bot = false
			case "null":
			default:
				return false
			}
			return true
		}
		return lowerKey(key)
	})
}

// quickComponent reads a component's custom id, type and chosen values.
func quickComponent(v []byte, c *discordgo.MessageComponentInteractionData) bool {
	return jsonscan.EachMember(v, func(key []byte, _, start, end int) bool {
		f := v[start:end]
		switch string(key) {
		case "custom_id":
			return quickString(f, &c.CustomID)
		case "component_type":
			n, ok := quickUint(f, 8)
			c.ComponentType = discordgo.ComponentType(n)
			return ok
		case "values":
			return quickStrings(f, &c.Values)
		}
		return lowerKey(key)
	})
}

// quickString sets *s to the JSON string v; null leaves it, as
// encoding/json does. A string with escapes is decoded by encoding/json.
func quickString(v []byte, s *string) bool {
	if isNull(v) {
		return true
	}
	if p, ok := jsonscan.PlainString(v); ok {
		*s = p
		return true
	}
	if len(v) == 0 || v[0] != '"' {
		return false
	}
	return json.Unmarshal(v, s) == nil
}

// quickStrings sets *ss to the JSON array of strings v (null: nil).
func quickStrings(v []byte, ss *[]string) bool {
	if isNull(v) {
		*ss = nil
		return true
	}
	out := []string{}
	ok := jsonscan.EachElement(v, func(start, end int) bool {
		var s string
		if isNull(v[start:end]) || !quickString(v[start:end], &s) {
			return false
		}
		out = append(out, s)
		return true
	})
	*ss = out
	return ok
}

// quickUint reads a JSON number that is a plain unsigned integer of at
// most bits bits; null is 0 (the field is left, and these start at 0).
func quickUint(v []byte, bits int) (uint64, bool) {
	if isNull(v) {
		return 0, true
	}
	if len(v) > 1 && v[0] == '0' {
		return 0, false // not JSON, or a fraction/exponent
	}
	n, err := strconv.ParseUint(string(v), 10, bits)
	return n, err == nil
}

func isNull(v []byte) bool { return string(v) == "null" }

// lowerKey reports whether an unread key may be skipped: encoding/json
// matches keys regardless of case, so a key with a capital letter might
// be one of the fields read here.
func lowerKey(key []byte) bool {
	for _, c := range key {
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			return false
		}
	}
	return true
}
