package discordtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// CallbackError is returned by Interact when the bot's callback for the
// interaction was refused (already acknowledged, invalid response type or an
// invalid payload); the bot's discordgo call got the same error.
type CallbackError struct {
	// Status is the HTTP status the fake answered.
	Status int
	// Body is the error body the fake answered (Discord's JSON).
	Body []byte
}

// Error describes the refused callback with the fake's answer.
func (e *CallbackError) Error() string {
	return fmt.Sprintf("discordtest: interaction callback refused: HTTP %d %s", e.Status, e.Body)
}

type callback struct {
	resp   *discordgo.InteractionResponse
	at     time.Time
	status int
	body   []byte
}

// interaction is the fake's record of an interaction it dispatched.
type interaction struct {
	id, token string
	typ       discordgo.InteractionType
	name      string // command name, for message metadata
	user      *discordgo.User
	channelID string
	msgObj    map[string]json.RawMessage // the message a component sits on, as sent (shared, never changed)

	dispatched time.Time
	answered   bool
	callbacks  []callback
	// called is signalled at each callback, so Interact waits on its own
	// interaction instead of waking at every change of the server (with
	// hundreds of interactions in flight that herd costs real CPU).
	called chan struct{}

	originalID    string
	originalFinal bool // original is a real message (type 4/7) or was edited
	placeholder   bool // original is a type 5 "thinking" message not yet edited
	followups     []string
}

func interactionToken(id string) string {
	return "aW50ZXJhY3Rpb246" + base64.RawURLEncoding.EncodeToString([]byte(id+":"+randString(48)))
}

// messageObj encodes a discordgo.Message with its components.
func messageObj(m *discordgo.Message) map[string]json.RawMessage {
	var obj map[string]json.RawMessage
	_ = json.Unmarshal(rawJSON(m), &obj)
	if m.Components != nil {
		obj["components"] = rawJSON(m.Components)
	} else {
		obj["components"] = rawJSON([]any{})
	}
	return obj
}

// dgInteraction is discordgo.Interaction without its methods, to embed in
// wireInteraction.
type dgInteraction discordgo.Interaction

// wireInteraction encodes an interaction without its message (which
// interactionJSONLocked appends, as the fake has it) and with its data as
// given.
type wireInteraction struct {
	*dgInteraction
	Data any `json:"data"`
	// Message hides the embedded Message (the outer field wins) and, being
	// zero, is left out.
	Message struct{} `json:"message,omitzero"`
}

// interactionJSONLocked encodes in as Discord sends it: discordgo does not
// encode modal components or message components itself, so the data of a
// modal is encoded here and a component's message is the fake's stored
// one (or, for a message the fake never saw, in.Message with its
// components). The encoding is spliced, not re-encoded: in without its
// message, then "message". s.mu must be held.
func (s *Server) interactionJSONLocked(in *discordgo.Interaction) (json.RawMessage, map[string]json.RawMessage, error) {
	modal := func(d discordgo.ModalSubmitInteractionData) json.RawMessage {
		comps := d.Components
		if comps == nil {
			comps = []discordgo.MessageComponent{}
		}
		return rawJSON(map[string]any{"custom_id": d.CustomID, "components": comps})
	}
	w := wireInteraction{dgInteraction: (*dgInteraction)(in), Data: in.Data}
	switch d := in.Data.(type) {
	case discordgo.ModalSubmitInteractionData:
		w.Data = modal(d)
	case *discordgo.ModalSubmitInteractionData:
		w.Data = modal(*d)
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, nil, err
	}
	var msgObj map[string]json.RawMessage
	msgRaw := jsonNull
	if in.Message != nil {
		if m := s.msgs[in.Message.ID]; m != nil {
			msgObj = m.obj // never changed in place (see message.obj)
			msgRaw = m.encoded()
		} else {
			msgObj = messageObj(in.Message)
			msgRaw = rawJSON(msgObj)
		}
	}
	// b is an object with fields ({"id":...}): replace its closing brace.
	out := make([]byte, 0, len(b)+len(`,"message":`)+len(msgRaw))
	out = append(out, b[:len(b)-1]...)
	out = append(out, `,"message":`...)
	out = append(out, msgRaw...)
	out = append(out, '}')
	return out, msgObj, nil
}

// Interact sends in to the connected client as an INTERACTION_CREATE
// dispatch and waits for the bot's callback (POST
// /api/v9/interactions/{id}/{token}/callback). It returns the decoded
// response and the time from dispatch to the callback's arrival.
//
// Interact fills in the fake's application id, guild id (for guild
// interactions), version 1 and, when they are empty, a fresh id and token;
// after it returns, in.Token names the interaction for WaitOriginal and
// Followups. It waits with ctx for a client to be READY. Sending the same
// interaction again delivers it again (as a gateway replay would); its
// second callback is refused with 40060 and Interact returns that as a
// *CallbackError, as it does for every refused callback.
func (s *Server) Interact(ctx context.Context, in *discordgo.Interaction) (*discordgo.InteractionResponse, time.Duration, error) {
	raw, it, n0, err := s.register(in)
	if err != nil {
		return nil, 0, err
	}

	sess, err := s.readySession(ctx)
	if err != nil {
		return nil, 0, err
	}
	sess.sendMu.Lock()
	s.mu.Lock()
	start := time.Now()
	it.dispatched = start
	s.mu.Unlock()
	s.dispatchRawLocked(sess, "INTERACTION_CREATE", raw)
	sess.sendMu.Unlock()

	cb, err := s.waitCallback(ctx, it, n0)
	if err != nil {
		return nil, 0, err
	}
	lat := cb.at.Sub(start)
	if cb.status != http.StatusNoContent {
		return cb.resp, lat, &CallbackError{Status: cb.status, Body: cb.body}
	}
	return cb.resp, lat, nil
}

// waitCallback waits for the callback number n0 (from 0) of it.
func (s *Server) waitCallback(ctx context.Context, it *interaction, n0 int) (callback, error) {
	for {
		s.mu.Lock()
		if len(it.callbacks) > n0 {
			cb := it.callbacks[n0]
			s.mu.Unlock()
			return cb, nil
		}
		s.mu.Unlock()
		select {
		case <-it.called:
		case <-ctx.Done():
			return callback{}, ctx.Err()
		case <-s.done:
			return callback{}, ErrClosed
		}
	}
}

// register fills in what Interact fills in, records the interaction (or
// finds it again, when it is sent anew) and encodes it as Discord sends
// it. n0 is how many callbacks it had before this delivery.
func (s *Server) register(in *discordgo.Interaction) (raw json.RawMessage, it *interaction, n0 int, err error) {
	if in == nil {
		return nil, nil, 0, errors.New("discordtest: nil interaction")
	}
	if in.ID == "" {
		in.ID = s.newID()
	}
	if in.Token == "" {
		in.Token = interactionToken(in.ID)
	}
	in.AppID = s.AppID
	if in.GuildID == "" && in.Member != nil {
		in.GuildID = s.GuildID
	}
	if in.Version == 0 {
		in.Version = 1
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	raw, msgObj, err := s.interactionJSONLocked(in)
	if err != nil {
		return nil, nil, 0, err
	}
	it = s.interactions[in.ID]
	if it == nil || it.token != in.Token {
		it = &interaction{id: in.ID, token: in.Token, typ: in.Type, channelID: in.ChannelID, msgObj: msgObj,
			called: make(chan struct{}, 1)}
		if in.Member != nil && in.Member.User != nil {
			it.user = in.Member.User
		} else {
			it.user = in.User
		}
		if in.Type == discordgo.InteractionApplicationCommand || in.Type == discordgo.InteractionApplicationCommandAutocomplete {
			if d, ok := in.Data.(discordgo.ApplicationCommandInteractionData); ok {
				it.name = d.Name
			}
		}
		s.interactions[in.ID] = it
		s.byToken[in.Token] = it
	}
	return raw, it, len(it.callbacks), nil
}

// responseData is discordgo.InteractionResponseData with its components
// left encoded: discordgo cannot decode components into that struct.
type responseData struct {
	discordgo.InteractionResponseData
	// Components hides the embedded Components (the outer field wins).
	Components json.RawMessage `json:"components"`
}

// decodeResponse decodes an interaction response: the response, and its
// data as a JSON object for validation and storing.
func decodeResponse(p map[string]json.RawMessage) (*discordgo.InteractionResponse, map[string]json.RawMessage, error) {
	resp := &discordgo.InteractionResponse{}
	if err := json.Unmarshal(p["type"], &resp.Type); err != nil {
		return nil, nil, err
	}
	data := map[string]json.RawMessage{}
	if d, ok := p["data"]; ok && !isNull(d) {
		// d is part of a body json.Valid accepted (see payload).
		var err error
		if data, err = splitObject(d); err != nil {
			return nil, nil, err
		}
		rd := &responseData{}
		if err := json.Unmarshal(d, rd); err != nil {
			return nil, nil, err
		}
		if !isNull(rd.Components) {
			comps, err := decodeComponents(rd.Components)
			if err != nil {
				return nil, nil, err
			}
			rd.InteractionResponseData.Components = comps
		}
		resp.Data = &rd.InteractionResponseData
	}
	return resp, data, nil
}

// decodeComponents decodes a list of message components the way
// discordgo.Message's UnmarshalJSON does (a non-nil list, each component by
// its type), without decoding a whole message around them.
func decodeComponents(raw json.RawMessage) ([]discordgo.MessageComponent, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	out := make([]discordgo.MessageComponent, len(list))
	for i, c := range list {
		mc, err := discordgo.MessageComponentFromJSON(c)
		if err != nil {
			return nil, err
		}
		out[i] = mc
	}
	return out, nil
}

func (s *Server) restInteractionCallback(w http.ResponseWriter, q *apiReq) {
	seg := q.seg
	if len(seg) != 4 || seg[3] != "callback" {
		notFound(w)
		return
	}
	if q.method != http.MethodPost {
		methodNotAllowed(w)
		return
	}
	at := time.Now()
	s.mu.Lock()
	it := s.interactions[seg[1]]
	s.mu.Unlock()
	if it == nil || it.token != seg[2] {
		apiError(w, http.StatusNotFound, 10062, "Unknown interaction")
		return
	}
	bw := &bufWriter{header: http.Header{}}
	resp := s.handleCallback(bw, q, it)
	if bw.status == 0 {
		bw.status = http.StatusOK
	}
	s.mu.Lock()
	it.callbacks = append(it.callbacks, callback{resp: resp, at: at, status: bw.status, body: bw.body.Bytes()})
	select {
	case it.called <- struct{}{}:
	default: // a signal is pending already
	}
	s.broadcastLocked()
	s.mu.Unlock()
	for k, v := range bw.header {
		w.Header()[k] = v
	}
	w.WriteHeader(bw.status)
	_, _ = w.Write(bw.body.Bytes())
}

// allowedResponses lists the callback types Discord accepts per interaction
// type.
func allowedResponse(it *interaction, t discordgo.InteractionResponseType) bool {
	switch it.typ {
	case discordgo.InteractionApplicationCommand:
		return t == 4 || t == 5 || t == 9
	case discordgo.InteractionMessageComponent:
		return t == 4 || t == 5 || t == 6 || t == 7 || t == 9
	case discordgo.InteractionApplicationCommandAutocomplete:
		return t == 8
	case discordgo.InteractionModalSubmit:
		return t == 4 || t == 5 || ((t == 6 || t == 7) && it.msgObj != nil)
	case discordgo.InteractionPing:
		return t == 1
	}
	return false
}

func (s *Server) handleCallback(w http.ResponseWriter, q *apiReq, it *interaction) *discordgo.InteractionResponse {
	p, files, ok := s.payload(w, q)
	if !ok {
		return nil
	}
	resp, data, err := decodeResponse(p)
	if err != nil {
		fe := &formErrors{}
		fe.add("type", "BASE_TYPE_CHOICES", "Value must be one of {1, 4, 5, 6, 7, 8, 9}.")
		fe.write(w)
		return nil
	}
	s.mu.Lock()
	answered := it.answered
	s.mu.Unlock()
	if answered {
		apiError(w, http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
		return resp
	}
	if !allowedResponse(it, resp.Type) {
		fe := &formErrors{}
		fe.add("type", "INTERACTION_RESPONSE_TYPE_INVALID", fmt.Sprintf("Interaction response type %d is not valid for interaction type %d.", resp.Type, it.typ))
		fe.write(w)
		return resp
	}
	fe := &formErrors{}
	switch resp.Type {
	case 4, 7:
		fe = validateMessage(data, "data")
	case 8:
		validateChoices(fe, data)
	case 9:
		validateModal(fe, data)
	}
	if !fe.empty() {
		fe.write(w)
		return resp
	}
	if resp.Type == 4 && payloadEmpty(data, files) {
		apiError(w, http.StatusBadRequest, 50006, "Cannot send an empty message")
		return resp
	}
	var flags int
	_ = json.Unmarshal(data["flags"], &flags)

	s.mu.Lock()
	defer s.mu.Unlock()
	if it.answered { // a concurrent callback won
		apiError(w, http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
		return resp
	}
	switch resp.Type {
	case 4:
		m := s.newMessageLocked(it.channelID, data, files, flags&flagEphemeral == 0, s.interactionExtra(it))
		it.originalID, it.originalFinal = m.id, true
	case 5:
		extra := s.interactionExtra(it)
		extra["flags"] = jsonInt(flags&flagEphemeral | flagLoading)
		m := s.newMessageLocked(it.channelID, nil, nil, flags&flagEphemeral == 0, extra)
		it.originalID, it.placeholder = m.id, true
	case 6:
		it.originalID = s.componentMessageLocked(it).id
	case 7:
		m := s.componentMessageLocked(it)
		s.applyEditLocked(m, data, files, true)
		it.originalID, it.originalFinal = m.id, true
	}
	it.answered = true
	s.broadcastLocked()
	noContent(w)
	return resp
}

// componentMessageLocked returns the stored message a component interaction
// came from, storing the interaction's copy if the fake never saw it.
func (s *Server) componentMessageLocked(it *interaction) *message {
	var id string
	_ = json.Unmarshal(it.msgObj["id"], &id)
	if m := s.msgs[id]; m != nil {
		return m
	}
	m := &message{id: id, channelID: it.channelID, created: time.Now()}
	m.set(cloneObj(it.msgObj))
	s.msgs[id] = m
	return m
}

// interactionExtra is what Discord adds to messages sent in answer to an
// interaction, encoded (the objects with their keys in order, as
// json.Marshal orders a map's). s.mu must be held.
func (s *Server) interactionExtra(it *interaction) map[string]json.RawMessage {
	typ := int(discordgo.MessageTypeDefault)
	if it.typ == discordgo.InteractionApplicationCommand {
		typ = int(discordgo.MessageTypeChatInputCommand)
	}
	app, id, ityp, user := jsonString(s.AppID), jsonString(it.id), jsonInt(int(it.typ)), rawJSON(it.user)
	obj := func(kv ...[]byte) json.RawMessage {
		n := 2 + len(kv)
		for _, p := range kv {
			n += len(p)
		}
		b := make([]byte, 1, n)
		b[0] = '{'
		for i := 0; i < len(kv); i += 2 {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, kv[i]...)
			b = append(b, ':')
			b = append(b, kv[i+1]...)
		}
		return append(b, '}')
	}
	return map[string]json.RawMessage{
		"type":           jsonInt(typ),
		"webhook_id":     app,
		"application_id": app,
		"interaction_metadata": obj(
			[]byte(`"authorizing_integration_owners"`), obj([]byte(`"0"`), jsonString(s.GuildID)),
			[]byte(`"id"`), id, []byte(`"type"`), ityp, []byte(`"user"`), user),
		"interaction": obj([]byte(`"id"`), id, []byte(`"name"`), jsonString(it.name), []byte(`"type"`), ityp, []byte(`"user"`), user),
	}
}

func (s *Server) restWebhooks(w http.ResponseWriter, q *apiReq) {
	seg := q.seg
	if len(seg) < 3 {
		notFound(w)
		return
	}
	s.mu.Lock()
	it := s.byToken[seg[2]]
	s.mu.Unlock()
	if seg[1] != s.AppID || it == nil {
		apiError(w, http.StatusNotFound, 10015, "Unknown Webhook")
		return
	}
	switch {
	case len(seg) == 3:
		if q.method != http.MethodPost {
			methodNotAllowed(w)
			return
		}
		s.followup(w, q, it)
	case len(seg) == 5 && seg[3] == "messages":
		s.webhookMessage(w, q, it, seg[4])
	default:
		notFound(w)
	}
}

func (s *Server) followup(w http.ResponseWriter, q *apiReq, it *interaction) {
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
	var flags int
	_ = json.Unmarshal(p["flags"], &flags)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !it.answered {
		apiError(w, http.StatusNotFound, 10015, "Unknown Webhook")
		return
	}
	// After a deferred response (type 5), the first follow-up replaces the
	// "thinking" message and keeps the deferral's ephemeral flag.
	if m := s.msgs[it.originalID]; it.placeholder && m != nil {
		s.applyEditLocked(m, p, files, false)
		it.placeholder, it.originalFinal = false, true
		it.followups = append(it.followups, m.id)
		writeRawJSON(w, http.StatusOK, m.encoded())
		return
	}
	m := s.newMessageLocked(it.channelID, p, files, flags&flagEphemeral == 0, s.interactionExtra(it))
	it.followups = append(it.followups, m.id)
	writeRawJSON(w, http.StatusOK, m.encoded())
}

func (s *Server) webhookMessage(w http.ResponseWriter, q *apiReq, it *interaction, mid string) {
	var p map[string]json.RawMessage
	var files []upload
	switch q.method {
	case http.MethodGet, http.MethodDelete:
	case http.MethodPatch:
		var ok bool
		if p, files, ok = s.payload(w, q); !ok {
			return
		}
		if fe := validateMessage(p, ""); !fe.empty() {
			fe.write(w)
			return
		}
	default:
		methodNotAllowed(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := mid
	if mid == "@original" {
		id = it.originalID
	}
	known := id != "" && id == it.originalID
	for _, f := range it.followups {
		known = known || f == id
	}
	m := s.msgs[id]
	if !known || m == nil {
		apiError(w, http.StatusNotFound, 10008, "Unknown Message")
		return
	}
	switch q.method {
	case http.MethodGet:
		writeRawJSON(w, http.StatusOK, m.encoded())
	case http.MethodPatch:
		saved := m.obj // applyEditLocked replaces m.obj
		s.applyEditLocked(m, p, files, !(id == it.originalID && it.placeholder))
		if m.emptyMessage() {
			m.set(saved)
			apiError(w, http.StatusBadRequest, 50006, "Cannot send an empty message")
			return
		}
		if id == it.originalID {
			it.placeholder, it.originalFinal = false, true
			s.broadcastLocked()
		}
		writeRawJSON(w, http.StatusOK, m.encoded())
	case http.MethodDelete:
		s.deleteMessageLocked(m)
		noContent(w)
	}
}

// WaitOriginal waits until the original response of the interaction with
// token interactionToken is final and returns it: at once for a type 4
// (CHANNEL_MESSAGE_WITH_SOURCE) or 7 (UPDATE_MESSAGE) response, after the
// first PATCH of @original (or the first follow-up, which replaces the
// "thinking" message) for a type 5 or 6 response. For a component
// interaction the original is the message the component is on.
func (s *Server) WaitOriginal(ctx context.Context, interactionToken string) (*discordgo.Message, error) {
	var out *discordgo.Message
	err := s.waitFor(ctx, func() bool {
		it := s.byToken[interactionToken]
		if it == nil || !it.originalFinal {
			return false
		}
		if m := s.msgs[it.originalID]; m != nil {
			out = m.dg()
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errors.New("discordtest: the original response was deleted")
	}
	return out, nil
}

// Original returns the current original response of an interaction (a type
// 5 "thinking" message included), or nil.
func (s *Server) Original(interactionToken string) *discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it := s.byToken[interactionToken]; it != nil {
		if m := s.msgs[it.originalID]; m != nil {
			return m.dg()
		}
	}
	return nil
}

// Followups returns the follow-up messages sent for an interaction (POST
// /api/v9/webhooks/{app}/{token}), current content, deleted ones left out,
// in order.
func (s *Server) Followups(interactionToken string) []*discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.byToken[interactionToken]
	if it == nil {
		return nil
	}
	var out []*discordgo.Message
	for _, id := range it.followups {
		if m := s.msgs[id]; m != nil {
			out = append(out, m.dg())
		}
	}
	return out
}

// WaitFollowups waits until pred holds on Followups(interactionToken), like
// WaitMessages.
func (s *Server) WaitFollowups(ctx context.Context, interactionToken string, pred func([]*discordgo.Message) bool) ([]*discordgo.Message, error) {
	var out []*discordgo.Message
	err := s.waitFor(ctx, func() bool {
		out = nil
		if it := s.byToken[interactionToken]; it != nil {
			for _, id := range it.followups {
				if m := s.msgs[id]; m != nil {
					out = append(out, m.dg())
				}
			}
		}
		return pred(out)
	})
	return out, err
}

// Builders.

func (s *Server) newInteraction(u User, channelID string, typ discordgo.InteractionType) *discordgo.Interaction {
	s.mu.Lock()
	if u.ID != "" {
		if _, ok := s.members[u.ID]; !ok {
			s.addMemberLocked(u)
		}
	}
	dm := s.channelLocked(channelID).typ == discordgo.ChannelTypeDM
	s.mu.Unlock()
	in := &discordgo.Interaction{
		Type:      typ,
		AppID:     s.AppID,
		ChannelID: channelID,
		Locale:    discordgo.Locale(u.locale()),
		Version:   1,
	}
	if dm {
		in.User = u.dgUser()
		in.Context = discordgo.InteractionContextBotDM
	} else {
		gl := discordgo.Locale("cs")
		in.GuildID = s.GuildID
		in.GuildLocale = &gl
		in.Member = u.dgMember(s.GuildID, true)
		in.Context = discordgo.InteractionContextGuild
	}
	return in
}

// commandIDLocked returns the id of a registered command with name, or a
// fresh id. s.mu must be held.
func (s *Server) commandIDLocked(name string) string {
	for _, scope := range []string{s.lastCmdScope, s.GuildID, ""} {
		for _, c := range s.cmds[scope] {
			if c.Name == name && (c.Type == 0 || c.Type == discordgo.ChatApplicationCommand) {
				return c.ID
			}
		}
	}
	return s.newID()
}

// resolveLocked builds data.resolved for user, role and channel options.
func (s *Server) resolveLocked(opts []*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataResolved {
	res := &discordgo.ApplicationCommandInteractionDataResolved{}
	var walk func([]*discordgo.ApplicationCommandInteractionDataOption)
	walk = func(opts []*discordgo.ApplicationCommandInteractionDataOption) {
		for _, o := range opts {
			if o == nil {
				continue
			}
			id, _ := o.Value.(string)
			switch o.Type {
			case discordgo.ApplicationCommandOptionUser:
				u, ok := s.members[id]
				if !ok {
					u = User{ID: id}
				}
				if res.Users == nil {
					res.Users, res.Members = map[string]*discordgo.User{}, map[string]*discordgo.Member{}
				}
				res.Users[id] = u.dgUser()
				res.Members[id] = u.dgMember("", false)
			case discordgo.ApplicationCommandOptionRole:
				if res.Roles == nil {
					res.Roles = map[string]*discordgo.Role{}
				}
				name := s.roles[id]
				if name == "" {
					name = id
				}
				res.Roles[id] = &discordgo.Role{ID: id, Name: name}
			case discordgo.ApplicationCommandOptionChannel:
				if res.Channels == nil {
					res.Channels = map[string]*discordgo.Channel{}
				}
				c := s.channelLocked(id)
				res.Channels[id] = c.dg(s.GuildID)
			}
			walk(o.Options)
		}
	}
	walk(opts)
	if res.Users == nil && res.Roles == nil && res.Channels == nil {
		return nil
	}
	return res
}

func (s *Server) commandInteraction(u User, channelID, name string, typ discordgo.InteractionType, opts []*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	in := s.newInteraction(u, channelID, typ)
	s.mu.Lock()
	id := s.commandIDLocked(name)
	res := s.resolveLocked(opts)
	s.mu.Unlock()
	in.Data = discordgo.ApplicationCommandInteractionData{
		ID:          id,
		Name:        name,
		CommandType: discordgo.ChatApplicationCommand,
		Options:     opts,
		Resolved:    res,
	}
	return in
}

// SlashCommand builds a CHAT_INPUT application command interaction (type 2)
// for command name used by u in channelID: data with the registered
// command's id (if any) and opts (see StringOpt, SubCommand, ...; user, role
// and channel options are also put into data.resolved), member with user and
// roles, guild id, channel id, locale. u becomes a guild member if not yet
// one. If channelID is a DM channel, the interaction is a DM one (user, no
// member or guild).
func (s *Server) SlashCommand(u User, channelID, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	return s.commandInteraction(u, channelID, name, discordgo.InteractionApplicationCommand, opts)
}

// Autocomplete builds an APPLICATION_COMMAND_AUTOCOMPLETE interaction (type
// 4) like SlashCommand. The option being typed has Focused set; if no option
// in opts has, the last innermost one gets it.
func (s *Server) Autocomplete(u User, channelID, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	if !anyFocused(opts) {
		markLastFocused(opts)
	}
	return s.commandInteraction(u, channelID, name, discordgo.InteractionApplicationCommandAutocomplete, opts)
}

func anyFocused(opts []*discordgo.ApplicationCommandInteractionDataOption) bool {
	for _, o := range opts {
		if o != nil && (o.Focused || anyFocused(o.Options)) {
			return true
		}
	}
	return false
}

func markLastFocused(opts []*discordgo.ApplicationCommandInteractionDataOption) {
	if len(opts) == 0 {
		return
	}
	last := opts[len(opts)-1]
	if last == nil {
		return
	}
	if last.Type == discordgo.ApplicationCommandOptionSubCommand || last.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
		markLastFocused(last.Options)
		return
	}
	last.Focused = true
}

func (s *Server) componentInteraction(u User, channelID, messageID string, data discordgo.MessageComponentInteractionData) *discordgo.Interaction {
	in := s.newInteraction(u, channelID, discordgo.InteractionMessageComponent)
	in.Data = data
	s.mu.Lock()
	if m := s.msgs[messageID]; m != nil {
		in.Message = m.dg()
	} else {
		in.Message = &discordgo.Message{ID: messageID, ChannelID: channelID}
	}
	s.mu.Unlock()
	return in
}

// Button builds a MESSAGE_COMPONENT interaction (type 3) for a click by u on
// the button customID of message messageID in channelID. The interaction
// carries the message as the fake has it (or just its id and channel if the
// fake never saw it).
func (s *Server) Button(u User, channelID, messageID, customID string) *discordgo.Interaction {
	return s.componentInteraction(u, channelID, messageID, discordgo.MessageComponentInteractionData{
		CustomID: customID, ComponentType: discordgo.ButtonComponent,
	})
}

// Select builds a MESSAGE_COMPONENT interaction for a choice of values by u
// in the string select menu customID of message messageID.
func (s *Server) Select(u User, channelID, messageID, customID string, values ...string) *discordgo.Interaction {
	if values == nil {
		values = []string{}
	}
	return s.componentInteraction(u, channelID, messageID, discordgo.MessageComponentInteractionData{
		CustomID: customID, ComponentType: discordgo.SelectMenuComponent, Values: values,
	})
}

// ModalSubmit builds a MODAL_SUBMIT interaction (type 5) for the modal
// customID submitted by u: data.components are action rows each with one
// text input {custom_id, value}, one per field, in the order of the field
// ids. For a modal opened from a component, set Message on the result.
func (s *Server) ModalSubmit(u User, channelID, customID string, fields map[string]string) *discordgo.Interaction {
	in := s.newInteraction(u, channelID, discordgo.InteractionModalSubmit)
	comps := []discordgo.MessageComponent{}
	for _, k := range sortedKeys(fields) {
		comps = append(comps, &discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			&discordgo.TextInput{CustomID: k, Value: fields[k]},
		}})
	}
	in.Data = discordgo.ModalSubmitInteractionData{CustomID: customID, Components: comps}
	return in
}

// StringOpt is a STRING option with value.
func StringOpt(name, value string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: value}
}

// IntOpt is an INTEGER option with value v.
func IntOpt(name string, v int64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionInteger, Value: v}
}

// NumberOpt is a NUMBER option with value v.
func NumberOpt(name string, v float64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionNumber, Value: v}
}

// BoolOpt is a BOOLEAN option with value v.
func BoolOpt(name string, v bool) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: v}
}

// UserOpt is a USER option naming userID; the builders put the user into
// data.resolved.users and data.resolved.members.
func UserOpt(name, userID string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionUser, Value: userID}
}

// RoleOpt is a ROLE option naming roleID; the builders put the role into
// data.resolved.roles.
func RoleOpt(name, roleID string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionRole, Value: roleID}
}

// ChannelOpt is a CHANNEL option naming channelID; the builders put the
// channel into data.resolved.channels.
func ChannelOpt(name, channelID string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionChannel, Value: channelID}
}

// SubCommand is a SUB_COMMAND option holding its own options.
func SubCommand(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}
}

// SubCommandGroup is a SUB_COMMAND_GROUP option holding subcommands.
func SubCommandGroup(name string, subs ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommandGroup, Options: subs}
}

// Focused marks o as the option being typed in an Autocomplete interaction
// and returns it.
func Focused(o *discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	o.Focused = true
	return o
}
