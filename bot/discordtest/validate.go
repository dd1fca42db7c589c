package discordtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Limits Discord enforces on what a bot sends (documented in Discord's
// developer docs for messages, embeds, components, modals and commands).

func runes(s string) int { return utf8.RuneCountInString(s) }

func maxLen(fe *formErrors, path, v string, n int) {
	if runes(v) > n {
		fe.add(path, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", n))
	}
}

func badLen(fe *formErrors, path, v string, lo, hi int) {
	if n := runes(v); n < lo || n > hi {
		fe.add(path, "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between %d and %d in length.", lo, hi))
	}
}

func join(path string, parts ...any) string {
	for _, p := range parts {
		var s string
		switch p := p.(type) {
		case string:
			s = p
		case int:
			s = strconv.Itoa(p)
		default:
			s = fmt.Sprint(p)
		}
		if path == "" {
			path = s
		} else {
			path += "." + s
		}
	}
	return path
}

// validateMessage checks a message payload (create, edit, interaction
// response data or webhook) against Discord's limits. prefix is the path
// of the payload in the request ("" or "data").
func validateMessage(p map[string]json.RawMessage, prefix string) *formErrors {
	fe := &formErrors{}
	if v, ok := p["content"]; ok && !isNull(v) {
		var content string
		if decodeString(v, &content) != nil {
			fe.add(join(prefix, "content"), "BASE_TYPE_STRING", "Must be a string.")
		}
		maxLen(fe, join(prefix, "content"), content, 2000)
	}
	if v, ok := p["nonce"]; ok && !isNull(v) {
		var str string
		var n int64
		switch {
		case json.Unmarshal(v, &str) == nil:
			maxLen(fe, join(prefix, "nonce"), str, 25)
		case json.Unmarshal(v, &n) == nil:
		default:
			fe.add(join(prefix, "nonce"), "BASE_TYPE_STRING", "Must be a string or an integer.")
		}
	}
	var flags int
	if v, ok := p["flags"]; ok && !isNull(v) {
		_ = json.Unmarshal(v, &flags)
	}
	if v, ok := p["embeds"]; ok && !isNull(v) {
		var embeds []*discordgo.MessageEmbed
		if json.Unmarshal(v, &embeds) != nil {
			fe.add(join(prefix, "embeds"), "BASE_TYPE_ARRAY", "Must be an array of embeds.")
		} else {
			validateEmbeds(fe, join(prefix, "embeds"), embeds)
		}
	}
	if v, ok := p["components"]; ok && !isNull(v) {
		var comps []map[string]any
		if json.Unmarshal(v, &comps) != nil {
			fe.add(join(prefix, "components"), "BASE_TYPE_ARRAY", "Must be an array of components.")
		} else {
			validateComponents(fe, join(prefix, "components"), comps, flags&flagComponentsV2 != 0)
		}
	}
	return fe
}

func validateEmbeds(fe *formErrors, path string, embeds []*discordgo.MessageEmbed) {
	if len(embeds) > 10 {
		fe.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
	}
	total := 0
	for i, e := range embeds {
		if e == nil {
			continue
		}
		ep := join(path, i)
		maxLen(fe, join(ep, "title"), e.Title, 256)
		maxLen(fe, join(ep, "description"), e.Description, 4096)
		total += runes(e.Title) + runes(e.Description)
		if len(e.Fields) > 25 {
			fe.add(join(ep, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		}
		for j, f := range e.Fields {
			if f == nil {
				continue
			}
			fp := join(ep, "fields", j)
			if f.Name == "" {
				fe.add(join(fp, "name"), "BASE_TYPE_REQUIRED", "This field is required")
			}
			if f.Value == "" {
				fe.add(join(fp, "value"), "BASE_TYPE_REQUIRED", "This field is required")
			}
			maxLen(fe, join(fp, "name"), f.Name, 256)
			maxLen(fe, join(fp, "value"), f.Value, 1024)
			total += runes(f.Name) + runes(f.Value)
		}
		if e.Footer != nil {
			maxLen(fe, join(ep, "footer", "text"), e.Footer.Text, 2048)
			total += runes(e.Footer.Text)
		}
		if e.Author != nil {
			maxLen(fe, join(ep, "author", "name"), e.Author.Name, 256)
			total += runes(e.Author.Name)
		}
	}
	if total > 6000 {
		fe.add(path, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
	}
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func num(m map[string]any, k string) int {
	f, _ := m[k].(float64)
	return int(f)
}

func children(m map[string]any) []map[string]any {
	list, _ := m["components"].([]any)
	var out []map[string]any
	for _, c := range list {
		if cm, ok := c.(map[string]any); ok {
			out = append(out, cm)
		}
	}
	return out
}

func isSelect(t int) bool {
	return t == int(discordgo.SelectMenuComponent) || (t >= int(discordgo.UserSelectMenuComponent) && t <= int(discordgo.ChannelSelectMenuComponent))
}

// validateComponents checks message components: the classic layout (up to 5
// action rows of up to 5 buttons or one select menu) unless v2, and unique
// custom ids always.
func validateComponents(fe *formErrors, path string, comps []map[string]any, v2 bool) {
	ids := map[string]bool{}
	var walk func(path string, c map[string]any)
	walk = func(path string, c map[string]any) {
		if id, ok := c["custom_id"].(string); ok {
			if ids[id] {
				fe.add(join(path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
			}
			ids[id] = true
		}
		for i, ch := range children(c) {
			walk(join(path, "components", i), ch)
		}
		if acc, ok := c["accessory"].(map[string]any); ok {
			walk(join(path, "accessory"), acc)
		}
	}
	for i, c := range comps {
		walk(join(path, i), c)
	}
	if v2 {
		return
	}
	if len(comps) > 5 {
		fe.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
	}
	for i, row := range comps {
		rp := join(path, i)
		if num(row, "type") != int(discordgo.ActionsRowComponent) {
			fe.add(join(rp, "type"), "UNION_TYPE_CHOICES", "Value of field \"type\" must be one of (1,).")
			continue
		}
		kids := children(row)
		if len(kids) < 1 || len(kids) > 5 {
			fe.add(join(rp, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
		}
		for j, c := range kids {
			cp := join(rp, "components", j)
			t := num(c, "type")
			switch {
			case t == int(discordgo.ButtonComponent):
				validateButton(fe, cp, c)
			case isSelect(t):
				if len(kids) > 1 {
					fe.add(join(rp, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width")
				}
				badLen(fe, join(cp, "custom_id"), str(c, "custom_id"), 1, 100)
				maxLen(fe, join(cp, "placeholder"), str(c, "placeholder"), 150)
				if t == int(discordgo.SelectMenuComponent) {
					opts, _ := c["options"].([]any)
					if len(opts) < 1 || len(opts) > 25 {
						fe.add(join(cp, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
					}
					for k, o := range opts {
						om, _ := o.(map[string]any)
						badLen(fe, join(cp, "options", k, "label"), str(om, "label"), 1, 100)
						badLen(fe, join(cp, "options", k, "value"), str(om, "value"), 1, 100)
						maxLen(fe, join(cp, "options", k, "description"), str(om, "description"), 100)
					}
				}
			default:
				fe.add(join(cp, "type"), "UNION_TYPE_CHOICES", "Value of field \"type\" must be one of (2, 3, 5, 6, 7, 8).")
			}
		}
	}
}

func validateButton(fe *formErrors, path string, c map[string]any) {
	maxLen(fe, join(path, "label"), str(c, "label"), 80)
	style := num(c, "style")
	switch {
	case style >= 1 && style <= 4:
		badLen(fe, join(path, "custom_id"), str(c, "custom_id"), 1, 100)
		if str(c, "url") != "" {
			fe.add(join(path, "url"), "BUTTON_URL_NOT_ALLOWED", "A custom id and url cannot both be specified")
		}
	case style == 5:
		if str(c, "url") == "" {
			fe.add(join(path, "url"), "BASE_TYPE_REQUIRED", "This field is required")
		}
		if str(c, "custom_id") != "" {
			fe.add(join(path, "custom_id"), "BUTTON_CUSTOM_ID_NOT_ALLOWED", "A custom id and url cannot both be specified")
		}
	case style == 6:
	default:
		fe.add(join(path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}.")
	}
	if str(c, "label") == "" && c["emoji"] == nil && style != 6 {
		fe.add(join(path, "label"), "BASE_TYPE_REQUIRED", "This field is required")
	}
}

// validateModal checks the data of a type 9 (MODAL) interaction response.
func validateModal(fe *formErrors, d map[string]json.RawMessage) {
	var customID, title string
	_ = json.Unmarshal(d["custom_id"], &customID)
	_ = json.Unmarshal(d["title"], &title)
	badLen(fe, "data.custom_id", customID, 1, 100)
	badLen(fe, "data.title", title, 1, 45)
	var rows []map[string]any
	_ = json.Unmarshal(d["components"], &rows)
	if len(rows) < 1 || len(rows) > 5 {
		fe.add("data.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
	}
	ids := map[string]bool{}
	for i, row := range rows {
		rp := join("data.components", i)
		if num(row, "type") != int(discordgo.ActionsRowComponent) {
			fe.add(join(rp, "type"), "UNION_TYPE_CHOICES", "Value of field \"type\" must be one of (1,).")
			continue
		}
		kids := children(row)
		if len(kids) != 1 {
			fe.add(join(rp, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 1 in length.")
		}
		for j, c := range kids {
			cp := join(rp, "components", j)
			if num(c, "type") != int(discordgo.TextInputComponent) {
				fe.add(join(cp, "type"), "UNION_TYPE_CHOICES", "Value of field \"type\" must be one of (4,).")
				continue
			}
			id := str(c, "custom_id")
			badLen(fe, join(cp, "custom_id"), id, 1, 100)
			if ids[id] {
				fe.add(join(cp, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
			}
			ids[id] = true
			badLen(fe, join(cp, "label"), str(c, "label"), 1, 45)
			if st := num(c, "style"); st != 1 && st != 2 {
				fe.add(join(cp, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
			}
			maxLen(fe, join(cp, "value"), str(c, "value"), 4000)
			maxLen(fe, join(cp, "placeholder"), str(c, "placeholder"), 100)
			if n := num(c, "max_length"); n > 4000 {
				fe.add(join(cp, "max_length"), "NUMBER_TYPE_MAX", "int value should be less than or equal to 4000.")
			}
		}
	}
}

// validateChoices checks the data of a type 8 (autocomplete result)
// interaction response.
func validateChoices(fe *formErrors, d map[string]json.RawMessage) {
	var choices []map[string]any
	_ = json.Unmarshal(d["choices"], &choices)
	if len(choices) > 25 {
		fe.add("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	for i, c := range choices {
		badLen(fe, join("data.choices", i, "name"), str(c, "name"), 1, 100)
		if v, ok := c["value"].(string); ok {
			maxLen(fe, join("data.choices", i, "value"), v, 100)
		}
	}
}

// commandName is Discord's rule for CHAT_INPUT command and option names.
var commandName = regexp.MustCompile(`^[-_\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

func validName(name string) bool {
	if !commandName.MatchString(name) {
		return false
	}
	for _, r := range name {
		if unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// validateCommands checks application commands as Discord does on create
// and bulk overwrite. prefix is "" for a single command and the index path
// for a bulk list.
func validateCommands(fe *formErrors, cmds []*discordgo.ApplicationCommand, bulk bool) {
	names := map[string]bool{}
	chat := 0
	for i, c := range cmds {
		path := ""
		if bulk {
			path = strconv.Itoa(i)
		}
		if c == nil {
			fe.add(path, "BASE_TYPE_REQUIRED", "This field is required")
			continue
		}
		typ := c.Type
		if typ == 0 {
			typ = discordgo.ChatApplicationCommand
		}
		key := fmt.Sprint(typ) + "/" + c.Name
		if names[key] {
			fe.add(join(path, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
		}
		names[key] = true
		if typ != discordgo.ChatApplicationCommand {
			badLen(fe, join(path, "name"), c.Name, 1, 32)
			continue
		}
		chat++
		if !validName(c.Name) {
			fe.add(join(path, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
		}
		badLen(fe, join(path, "description"), c.Description, 1, 100)
		if c.NameLocalizations != nil {
			for loc, n := range *c.NameLocalizations {
				if !validName(n) {
					fe.add(join(path, "name_localizations", string(loc)), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
				}
			}
		}
		if c.DescriptionLocalizations != nil {
			for loc, d := range *c.DescriptionLocalizations {
				badLen(fe, join(path, "description_localizations", string(loc)), d, 1, 100)
			}
		}
		validateOptions(fe, join(path, "options"), c.Options)
	}
	if chat > 100 {
		fe.add("", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
	}
}

func validateOptions(fe *formErrors, path string, opts []*discordgo.ApplicationCommandOption) {
	if len(opts) > 25 {
		fe.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	seen := map[string]bool{}
	optional := false
	for i, o := range opts {
		op := join(path, i)
		if o == nil {
			fe.add(op, "BASE_TYPE_REQUIRED", "This field is required")
			continue
		}
		if !validName(o.Name) {
			fe.add(join(op, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
		}
		if seen[o.Name] {
			fe.add(join(op, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Command option names must be unique")
		}
		seen[o.Name] = true
		badLen(fe, join(op, "description"), o.Description, 1, 100)
		if o.NameLocalizations != nil {
			for loc, n := range o.NameLocalizations {
				if !validName(n) {
					fe.add(join(op, "name_localizations", string(loc)), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
				}
			}
		}
		for loc, d := range o.DescriptionLocalizations {
			badLen(fe, join(op, "description_localizations", string(loc)), d, 1, 100)
		}
		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommand, discordgo.ApplicationCommandOptionSubCommandGroup:
			validateOptions(fe, join(op, "options"), o.Options)
			continue
		}
		if o.Required && optional {
			fe.add(join(op, "required"), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
		}
		if !o.Required {
			optional = true
		}
		if len(o.Choices) > 25 {
			fe.add(join(op, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		}
		if len(o.Choices) > 0 && o.Autocomplete {
			fe.add(join(op, "autocomplete"), "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_AND_CHOICES", "Autocomplete cannot be set for options with choices")
		}
		for j, ch := range o.Choices {
			if ch == nil {
				continue
			}
			badLen(fe, join(op, "choices", j, "name"), ch.Name, 1, 100)
			if v, ok := ch.Value.(string); ok {
				maxLen(fe, join(op, "choices", j, "value"), v, 100)
			}
		}
	}
}
