package discordtest

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Message flags Discord lets a sender set (or keep) on a message.
const (
	flagSuppressEmbeds        = 1 << 2
	flagEphemeral             = 1 << 6
	flagLoading               = 1 << 7
	flagSuppressNotifications = 1 << 12
	flagComponentsV2          = 1 << 15
)

// message is a stored message in its wire form, so that components (which
// discordgo.Message does not encode) survive edits and reads.
type message struct {
	id        string
	channelID string
	// obj is the message's JSON object. It is never changed in place once
	// stored (interactions keep it as the message they were sent with):
	// a change replaces it with a changed copy, through set or as
	// applyEditLocked does, and drops raw and decoded.
	obj     map[string]json.RawMessage
	nonce   string
	created time.Time
	visible bool // listed in its channel (false for ephemeral and foreign messages)
	deleted bool

	// raw is obj encoded, and decoded is raw decoded by discordgo, both
	// made when first asked for: a burst of clicks on one card reads the
	// same message hundreds of times, and discordgo's decoding of
	// components is slow. Neither is ever handed out: callers get a copy.
	raw     json.RawMessage
	decoded *discordgo.Message
}

// set replaces the message's object.
func (m *message) set(obj map[string]json.RawMessage) {
	m.obj = obj
	m.changed()
}

// changed drops what was made from obj; call it whenever obj is replaced.
func (m *message) changed() {
	m.raw, m.decoded = nil, nil
}

// encoded returns obj encoded. The result is shared: callers must not
// change it.
func (m *message) encoded() json.RawMessage {
	if m.raw == nil {
		m.raw = slices.Clip(rawJSON(m.obj))
	}
	return m.raw
}

type channel struct {
	id        string
	typ       discordgo.ChannelType
	name      string
	recipient string   // DM channels: the user id
	msgs      []string // ids of listed messages, in creation order
}

func (c *channel) dg(guildID string) *discordgo.Channel {
	out := &discordgo.Channel{ID: c.id, Type: c.typ, Name: c.name}
	if c.typ == discordgo.ChannelTypeGuildText {
		out.GuildID = guildID
	}
	return out
}

// channelLocked returns the channel with id, creating a guild text channel
// for an id not seen before. s.mu must be held.
func (s *Server) channelLocked(id string) *channel {
	c := s.channels[id]
	if c == nil {
		c = &channel{id: id, typ: discordgo.ChannelTypeGuildText, name: "channel-" + id}
		s.channels[id] = c
		s.chanOrder = append(s.chanOrder, id)
	}
	return c
}

func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("discordtest: " + err.Error())
	}
	return b
}

// JSON values the fake writes into messages again and again, encoded once.
var (
	jsonEmptyString = json.RawMessage(`""`)
	jsonNull        = json.RawMessage(`null`)
	jsonFalse       = json.RawMessage(`false`)
	jsonEmptyList   = json.RawMessage(`[]`)
	jsonZero        = json.RawMessage(`0`)
)

// jsonString encodes s as json.Marshal does (HTML-safe), without its
// reflection for the plain ASCII of ids and timestamps.
func jsonString(s string) json.RawMessage {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return rawJSON(s)
		}
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// jsonInt encodes n.
func jsonInt(n int) json.RawMessage {
	return strconv.AppendInt(nil, int64(n), 10)
}

func isNull(r json.RawMessage) bool {
	return len(r) == 0 || string(r) == "null"
}

// discordTime formats t the way Discord's API does.
func discordTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000+00:00")
}

// botAuthorLocked returns the bot user as a message's author, encoded.
// s.mu must be held.
func (s *Server) botAuthorLocked() json.RawMessage {
	if key := [2]string{s.BotUserID, s.BotUsername}; s.botAuthor == nil || s.botAuthorKey != key {
		s.botAuthor, s.botAuthorKey = rawJSON(s.botUserJSON()), key
	}
	return s.botAuthor
}

func (s *Server) botUserJSON() map[string]any {
	return map[string]any{
		"id": s.BotUserID, "username": s.BotUsername, "discriminator": "0",
		"global_name": nil, "avatar": nil, "bot": true,
	}
}

// dg returns the message as discordgo decodes it, a fresh copy each time
// (the caller may change it).
func (m *message) dg() *discordgo.Message {
	if m.decoded == nil {
		var out discordgo.Message
		if err := json.Unmarshal(m.encoded(), &out); err != nil {
			panic("discordtest: stored message does not decode: " + err.Error())
		}
		m.decoded = &out
	}
	return deepCopy(m.decoded)
}

func (m *message) flags() int {
	var f int
	_ = json.Unmarshal(m.obj["flags"], &f)
	return f
}

// nonceString normalises a nonce (a string or an integer) to its text.
func nonceString(r json.RawMessage) string {
	if isNull(r) {
		return ""
	}
	var str string
	if json.Unmarshal(r, &str) == nil {
		return str
	}
	return strings.TrimSpace(string(r))
}

func (s *Server) attachmentsJSON(channelID string, files []upload) []map[string]any {
	var out []map[string]any
	for _, f := range files {
		id := s.newID()
		url := "https://cdn.discordapp.com/attachments/" + channelID + "/" + id + "/" + f.filename
		a := map[string]any{"id": id, "filename": f.filename, "size": f.size, "url": url, "proxy_url": url}
		if f.contentType != "" {
			a["content_type"] = f.contentType
		}
		out = append(out, a)
	}
	return out
}

// newMessageLocked stores a new message from a create payload. extra keys
// (encoded values) override the built ones. s.mu must be held.
func (s *Server) newMessageLocked(channelID string, p map[string]json.RawMessage, files []upload, visible bool, extra map[string]json.RawMessage) *message {
	id := s.newID()
	now := time.Now()
	obj := make(map[string]json.RawMessage, 24)
	obj["id"] = jsonString(id)
	obj["channel_id"] = jsonString(channelID)
	obj["author"] = s.botAuthorLocked()
	obj["content"] = jsonEmptyString
	obj["timestamp"] = jsonString(discordTime(now))
	obj["edited_timestamp"] = jsonNull
	obj["tts"] = jsonFalse
	obj["mention_everyone"] = jsonFalse
	obj["mentions"] = jsonEmptyList
	obj["mention_roles"] = jsonEmptyList
	obj["attachments"] = jsonEmptyList
	obj["embeds"] = jsonEmptyList
	obj["components"] = jsonEmptyList
	obj["pinned"] = jsonFalse
	obj["type"] = jsonZero
	obj["flags"] = jsonZero
	for _, k := range []string{"content", "embeds", "components", "tts", "poll", "message_reference"} {
		if v, ok := p[k]; ok && !isNull(v) {
			obj[k] = v
		}
	}
	if v, ok := p["flags"]; ok && !isNull(v) {
		var f int
		_ = json.Unmarshal(v, &f)
		obj["flags"] = jsonInt(f & (flagSuppressEmbeds | flagEphemeral | flagSuppressNotifications | flagComponentsV2))
	}
	if _, ok := p["message_reference"]; ok && !isNull(p["message_reference"]) {
		obj["type"] = jsonInt(int(discordgo.MessageTypeReply))
	}
	m := &message{id: id, channelID: channelID, created: now, visible: visible}
	if v, ok := p["nonce"]; ok && !isNull(v) {
		obj["nonce"] = v
		m.nonce = nonceString(v)
	}
	if len(files) > 0 {
		obj["attachments"] = rawJSON(s.attachmentsJSON(channelID, files))
	}
	for k, v := range extra {
		obj[k] = v
	}
	m.obj = obj
	s.msgs[id] = m
	c := s.channelLocked(channelID)
	if visible {
		c.msgs = append(c.msgs, id)
	}
	s.broadcastLocked()
	return m
}

// applyEditLocked applies an edit payload to m. s.mu must be held.
func (s *Server) applyEditLocked(m *message, p map[string]json.RawMessage, files []upload, markEdited bool) {
	m.set(cloneObj(m.obj)) // changed below, so a copy (see message.obj)
	defaults := map[string]json.RawMessage{"content": jsonEmptyString, "embeds": jsonEmptyList, "components": jsonEmptyList}
	for k, def := range defaults {
		if v, ok := p[k]; ok {
			if isNull(v) {
				m.obj[k] = def
			} else {
				m.obj[k] = v
			}
		}
	}
	if v, ok := p["poll"]; ok && !isNull(v) {
		m.obj["poll"] = v
	}
	old := m.flags()
	flags := old &^ flagLoading
	if v, ok := p["flags"]; ok && !isNull(v) {
		var f int
		_ = json.Unmarshal(v, &f)
		flags = (old & (flagEphemeral | flagComponentsV2)) | (f & (flagSuppressEmbeds | flagComponentsV2))
	}
	m.obj["flags"] = jsonInt(flags)
	var atts []map[string]any
	_ = json.Unmarshal(m.obj["attachments"], &atts)
	if v, ok := p["attachments"]; ok {
		var keep []struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(v, &keep)
		var kept []map[string]any
		for _, a := range atts {
			for _, k := range keep {
				if nonceString(k.ID) == a["id"] {
					kept = append(kept, a)
					break
				}
			}
		}
		atts = kept
	}
	atts = append(atts, s.attachmentsJSON(m.channelID, files)...)
	if atts == nil {
		atts = []map[string]any{}
	}
	m.obj["attachments"] = rawJSON(atts)
	if markEdited {
		m.obj["edited_timestamp"] = jsonString(discordTime(time.Now()))
	}
	s.broadcastLocked()
}

// emptyMessage reports whether a stored message has nothing to show.
func (m *message) emptyMessage() bool {
	var content string
	_ = json.Unmarshal(m.obj["content"], &content)
	var embeds, comps, atts []json.RawMessage
	_ = json.Unmarshal(m.obj["embeds"], &embeds)
	_ = json.Unmarshal(m.obj["components"], &comps)
	_ = json.Unmarshal(m.obj["attachments"], &atts)
	_, poll := m.obj["poll"]
	return content == "" && len(embeds) == 0 && len(comps) == 0 && len(atts) == 0 && !poll
}

func (s *Server) deleteMessageLocked(m *message) {
	m.deleted = true
	delete(s.msgs, m.id)
	if c := s.channels[m.channelID]; c != nil {
		for i, id := range c.msgs {
			if id == m.id {
				c.msgs = append(c.msgs[:i:i], c.msgs[i+1:]...)
				break
			}
		}
	}
	s.broadcastLocked()
}

func (s *Server) messagesLocked(channelID string) []*discordgo.Message {
	c := s.channels[channelID]
	if c == nil {
		return nil
	}
	out := make([]*discordgo.Message, 0, len(c.msgs))
	for _, id := range c.msgs {
		if m := s.msgs[id]; m != nil {
			out = append(out, m.dg())
		}
	}
	return out
}

// Messages returns the messages currently in a channel (created through
// POST /channels/{id}/messages, interaction responses and follow-ups that
// are not ephemeral), with later edits applied and deleted ones left out, in
// creation order. Interaction messages have WebhookID == AppID.
func (s *Server) Messages(channelID string) []*discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(channelID)
}

// Message returns the message with id (in any channel, ephemeral ones
// included), or nil.
func (s *Server) Message(id string) *discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.msgs[id]; m != nil {
		return m.dg()
	}
	return nil
}

// MessageNonce returns the nonce the message with id was created with (as
// text; "" for none or an unknown id), which discordgo.Message does not
// carry: a soak run matches posted messages to outbox rows by it.
func (s *Server) MessageNonce(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.msgs[id]; m != nil {
		return m.nonce
	}
	return ""
}

// WaitMessages waits until pred holds on the messages of channelID (as
// Messages returns them), re-checking after every change, and returns them.
// pred runs with the Server locked: it must not call the Server.
func (s *Server) WaitMessages(ctx context.Context, channelID string, pred func([]*discordgo.Message) bool) ([]*discordgo.Message, error) {
	var msgs []*discordgo.Message
	err := s.waitFor(ctx, func() bool {
		msgs = s.messagesLocked(channelID)
		return pred(msgs)
	})
	return msgs, err
}

// DMs returns the messages sent into the DM channel created for userID
// (POST /users/@me/channels), in creation order; nil if none was created.
func (s *Server) DMs(userID string) []*discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.dms[userID]
	if !ok {
		return nil
	}
	return s.messagesLocked(id)
}

// WaitDMs waits until pred holds on DMs(userID), like WaitMessages.
func (s *Server) WaitDMs(ctx context.Context, userID string, pred func([]*discordgo.Message) bool) ([]*discordgo.Message, error) {
	var msgs []*discordgo.Message
	err := s.waitFor(ctx, func() bool {
		msgs = nil
		if id, ok := s.dms[userID]; ok {
			msgs = s.messagesLocked(id)
		}
		return pred(msgs)
	})
	return msgs, err
}

// DMChannelID returns the id of the DM channel created for userID, or "".
func (s *Server) DMChannelID(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dms[userID]
}

func (s *Server) restChannels(w http.ResponseWriter, q *apiReq) {
	seg := q.seg
	if len(seg) < 2 {
		notFound(w)
		return
	}
	cid := seg[1]
	switch {
	case len(seg) == 2:
		if q.method != http.MethodGet {
			methodNotAllowed(w)
			return
		}
		s.mu.Lock()
		c := s.channels[cid]
		var out any
		if c != nil {
			out = s.channelJSONLocked(c)
		}
		s.mu.Unlock()
		if c == nil {
			apiError(w, http.StatusNotFound, 10003, "Unknown Channel")
			return
		}
		writeJSON(w, http.StatusOK, out)
	case len(seg) == 3 && seg[2] == "typing":
		if q.method != http.MethodPost {
			methodNotAllowed(w)
			return
		}
		noContent(w)
	case len(seg) == 3 && seg[2] == "messages":
		switch q.method {
		case http.MethodGet:
			s.listMessages(w, q, cid)
		case http.MethodPost:
			s.createChannelMessage(w, q, cid)
		default:
			methodNotAllowed(w)
		}
	case len(seg) == 4 && seg[2] == "messages":
		s.channelMessage(w, q, cid, seg[3])
	default:
		notFound(w)
	}
}

func (s *Server) channelJSONLocked(c *channel) any {
	if c.typ == discordgo.ChannelTypeDM {
		return map[string]any{
			"id": c.id, "type": int(c.typ), "last_message_id": nil, "flags": 0,
			"recipients": []any{s.userJSONLocked(c.recipient)},
		}
	}
	return c.dg(s.GuildID)
}

func (s *Server) userJSONLocked(id string) *discordgo.User {
	if u, ok := s.members[id]; ok {
		return u.dgUser()
	}
	return User{ID: id}.dgUser()
}

func (s *Server) listMessages(w http.ResponseWriter, q *apiReq, cid string) {
	limit := 50
	if v := firstQuery(q, "limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			fe := &formErrors{}
			fe.add("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
			fe.write(w)
			return
		}
		limit = n
	}
	before, after := firstQuery(q, "before"), firstQuery(q, "after")
	s.mu.Lock()
	c := s.channels[cid]
	if c == nil {
		s.mu.Unlock()
		apiError(w, http.StatusNotFound, 10003, "Unknown Channel")
		return
	}
	var out []json.RawMessage
	for i := len(c.msgs) - 1; i >= 0 && len(out) < limit; i-- {
		id := c.msgs[i]
		if before != "" && !snowLess(id, before) {
			continue
		}
		if after != "" && !snowLess(after, id) {
			continue
		}
		out = append(out, s.msgs[id].encoded())
	}
	s.mu.Unlock()
	if out == nil {
		out = []json.RawMessage{}
	}
	writeJSON(w, http.StatusOK, out)
}

func firstQuery(q *apiReq, k string) string {
	if v := q.query[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (s *Server) createChannelMessage(w http.ResponseWriter, q *apiReq, cid string) {
	p, files, ok := s.payload(w, q)
	if !ok {
		return
	}
	if fe := validateMessage(p, ""); !fe.empty() {
		fe.write(w)
		return
	}
	if payloadEmpty(p, files) {
		apiError(w, http.StatusBadRequest, 50006, "Cannot send an empty message")
		return
	}
	var enforce bool
	if v, ok := p["enforce_nonce"]; ok && !isNull(v) {
		if json.Unmarshal(v, &enforce) != nil {
			fe := &formErrors{}
			fe.add("enforce_nonce", "BASE_TYPE_BOOLEAN", "Must be either true or false.")
			fe.write(w)
			return
		}
	}
	nonce := nonceString(p["nonce"])

	s.mu.Lock()
	c := s.channels[cid]
	if c != nil && c.typ == discordgo.ChannelTypeDM && s.blockedDMs[c.recipient] {
		s.mu.Unlock()
		apiError(w, http.StatusForbidden, 50007, "Cannot send messages to this user")
		return
	}
	if enforce && nonce != "" && c != nil {
		for i := len(c.msgs) - 1; i >= 0; i-- {
			m := s.msgs[c.msgs[i]]
			if m != nil && m.nonce == nonce && time.Since(m.created) < nonceWindow {
				out := m.encoded()
				s.mu.Unlock()
				writeRawJSON(w, http.StatusOK, out)
				return
			}
		}
	}
	m := s.newMessageLocked(cid, p, files, true, nil)
	out := m.encoded()
	s.mu.Unlock()
	writeRawJSON(w, http.StatusOK, out)
}

func (s *Server) channelMessage(w http.ResponseWriter, q *apiReq, cid, mid string) {
	var p map[string]json.RawMessage
	var files []upload
	if q.method == http.MethodPatch {
		var ok bool
		if p, files, ok = s.payload(w, q); !ok {
			return
		}
		if fe := validateMessage(p, ""); !fe.empty() {
			fe.write(w)
			return
		}
	}
	s.mu.Lock()
	m := s.msgs[mid]
	if m == nil || m.channelID != cid {
		s.mu.Unlock()
		apiError(w, http.StatusNotFound, 10008, "Unknown Message")
		return
	}
	switch q.method {
	case http.MethodGet:
		out := m.encoded()
		s.mu.Unlock()
		writeRawJSON(w, http.StatusOK, out)
	case http.MethodPatch:
		saved := m.obj // applyEditLocked replaces m.obj
		s.applyEditLocked(m, p, files, true)
		if m.emptyMessage() {
			m.set(saved)
			s.mu.Unlock()
			apiError(w, http.StatusBadRequest, 50006, "Cannot send an empty message")
			return
		}
		out := m.encoded()
		s.mu.Unlock()
		writeRawJSON(w, http.StatusOK, out)
	case http.MethodDelete:
		s.deleteMessageLocked(m)
		s.mu.Unlock()
		noContent(w)
	default:
		s.mu.Unlock()
		methodNotAllowed(w)
	}
}

func cloneObj(o map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(o))
	for k, v := range o {
		out[k] = v
	}
	return out
}

// decodeList decodes a list, if raw holds one, into *l; absent, null and
// anything else leave *l nil (as json.Unmarshal would, without making its
// error for what is no list).
func decodeList(raw json.RawMessage, l *[]json.RawMessage) {
	if !isNull(raw) {
		_ = json.Unmarshal(raw, l)
	}
}

// payloadEmpty reports whether a create payload has nothing to show.
func payloadEmpty(p map[string]json.RawMessage, files []upload) bool {
	var content string
	_ = decodeString(p["content"], &content)
	var embeds, comps, stickers []json.RawMessage
	decodeList(p["embeds"], &embeds)
	decodeList(p["components"], &comps)
	decodeList(p["sticker_ids"], &stickers)
	return strings.TrimSpace(content) == "" && len(embeds) == 0 && len(comps) == 0 && len(stickers) == 0 && len(files) == 0 && isNull(p["poll"])
}

func (s *Server) restUsers(w http.ResponseWriter, q *apiReq) {
	seg := q.seg
	switch {
	case len(seg) == 2 && q.method == http.MethodGet:
		if seg[1] == "@me" {
			u := s.botUserJSON()
			u["verified"] = true
			u["mfa_enabled"] = false
			u["flags"] = 0
			writeJSON(w, http.StatusOK, u)
			return
		}
		s.mu.Lock()
		u, ok := s.members[seg[1]]
		s.mu.Unlock()
		if !ok {
			apiError(w, http.StatusNotFound, 10013, "Unknown User")
			return
		}
		writeJSON(w, http.StatusOK, u.dgUser())
	case len(seg) == 3 && seg[1] == "@me" && seg[2] == "channels":
		if q.method != http.MethodPost {
			methodNotAllowed(w)
			return
		}
		var body struct {
			RecipientID string `json:"recipient_id"`
		}
		if err := json.Unmarshal(q.body, &body); err != nil || body.RecipientID == "" {
			fe := &formErrors{}
			fe.add("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
			fe.write(w)
			return
		}
		s.mu.Lock()
		id, ok := s.dms[body.RecipientID]
		if !ok {
			id = s.newID()
			s.dms[body.RecipientID] = id
			s.channels[id] = &channel{id: id, typ: discordgo.ChannelTypeDM, recipient: body.RecipientID}
			s.chanOrder = append(s.chanOrder, id)
			s.broadcastLocked()
		}
		out := s.channelJSONLocked(s.channels[id])
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case len(seg) == 2:
		methodNotAllowed(w)
	default:
		notFound(w)
	}
}

func (s *Server) restGuilds(w http.ResponseWriter, q *apiReq) {
	seg := q.seg
	if len(seg) < 2 {
		notFound(w)
		return
	}
	if seg[1] != s.GuildID {
		apiError(w, http.StatusNotFound, 10004, "Unknown Guild")
		return
	}
	if len(seg) >= 3 && seg[2] == "scheduled-events" {
		s.restScheduledEvents(w, q)
		return
	}
	if len(seg) >= 3 && seg[2] == "members" {
		s.restMembers(w, q)
		return
	}
	if q.method != http.MethodGet {
		if len(seg) <= 4 {
			methodNotAllowed(w)
		} else {
			notFound(w)
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(seg) == 2:
		g := s.guildLocked()
		g.Members, g.Channels = nil, nil
		writeJSON(w, http.StatusOK, g)
	case len(seg) == 3 && seg[2] == "roles":
		writeJSON(w, http.StatusOK, s.rolesLocked())
	case len(seg) == 3 && seg[2] == "channels":
		writeJSON(w, http.StatusOK, s.guildLocked().Channels)
	default:
		notFound(w)
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
