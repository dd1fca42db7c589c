package discordtest

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Guild scheduled event statuses and entity types (Discord's numbering).
const (
	eventScheduled = 1
	eventActive    = 2
	eventCompleted = 3
	eventCanceled  = 4

	entityStage    = 1
	entityVoice    = 2
	entityExternal = 3
)

// ScheduledEvents returns the guild's scheduled events (created through POST
// /guilds/{guild}/scheduled-events, later edits applied, deleted ones left
// out), in creation order.
func (s *Server) ScheduledEvents() []*discordgo.GuildScheduledEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*discordgo.GuildScheduledEvent{}
	for _, id := range s.eventOrder {
		var e discordgo.GuildScheduledEvent
		if err := json.Unmarshal(rawJSON(s.events[id]), &e); err != nil {
			panic("discordtest: stored event does not decode: " + err.Error())
		}
		out = append(out, &e)
	}
	return out
}

// ScheduledEventsJSON returns the guild's scheduled events as the JSON
// objects the fake answers, for fields discordgo has no place for (such as
// recurrence_rule), in creation order.
func (s *Server) ScheduledEventsJSON() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []json.RawMessage
	for _, id := range s.eventOrder {
		out = append(out, rawJSON(s.events[id]))
	}
	return out
}

// eventTime normalises a timestamp to Discord's form; ok is false if it is
// not RFC 3339.
func eventTime(r json.RawMessage) (json.RawMessage, time.Time, bool) {
	var v string
	if json.Unmarshal(r, &v) != nil {
		return r, time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return r, time.Time{}, false
	}
	return rawJSON(t.UTC().Format("2006-01-02T15:04:05+00:00")), t, true
}

var eventFields = []string{
	"name", "description", "channel_id", "scheduled_start_time", "scheduled_end_time",
	"privacy_level", "entity_type", "entity_metadata", "image", "recurrence_rule", "status",
}

// applyEvent copies the editable fields of p into obj and validates the
// result.
func applyEvent(obj, p map[string]json.RawMessage, create bool) *formErrors {
	fe := &formErrors{}
	for _, k := range eventFields {
		v, ok := p[k]
		if !ok || (k == "status" && create) {
			continue
		}
		if k == "scheduled_start_time" || k == "scheduled_end_time" {
			if !isNull(v) {
				var good bool
				if v, _, good = eventTime(v); !good {
					fe.add(k, "DATE_TIME_TYPE_PARSE", "Could not parse "+string(v)+". Should be ISO8601.")
				}
			}
		}
		obj[k] = v
	}
	var name, desc string
	_ = json.Unmarshal(obj["name"], &name)
	_ = json.Unmarshal(obj["description"], &desc)
	badLen(fe, "name", name, 1, 100)
	maxLen(fe, "description", desc, 1000)
	var privacy, entity, status int
	_ = json.Unmarshal(obj["privacy_level"], &privacy)
	_ = json.Unmarshal(obj["entity_type"], &entity)
	_ = json.Unmarshal(obj["status"], &status)
	if privacy != 2 {
		fe.add("privacy_level", "BASE_TYPE_CHOICES", "Value must be one of {2}.")
	}
	if status < eventScheduled || status > eventCanceled {
		fe.add("status", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}.")
	}
	_, start, okStart := eventTime(obj["scheduled_start_time"])
	if !okStart && !fe.has("scheduled_start_time") {
		fe.add("scheduled_start_time", "BASE_TYPE_REQUIRED", "This field is required")
	}
	_, end, okEnd := eventTime(obj["scheduled_end_time"])
	switch entity {
	case entityExternal:
		var meta struct {
			Location string `json:"location"`
		}
		_ = json.Unmarshal(obj["entity_metadata"], &meta)
		badLen(fe, "entity_metadata.location", meta.Location, 1, 100)
		if !okEnd && !fe.has("scheduled_end_time") {
			fe.add("scheduled_end_time", "BASE_TYPE_REQUIRED", "This field is required")
		}
		if !isNull(obj["channel_id"]) {
			fe.add("channel_id", "GUILD_SCHEDULED_EVENT_CHANNEL_NOT_ALLOWED", "Channel must be null for external events")
		}
	case entityStage, entityVoice:
		if isNull(obj["channel_id"]) {
			fe.add("channel_id", "BASE_TYPE_REQUIRED", "This field is required")
		}
	default:
		fe.add("entity_type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
	}
	if okStart && okEnd && !end.After(start) {
		fe.add("scheduled_end_time", "GUILD_SCHEDULED_EVENT_END_BEFORE_START", "Cannot schedule event to end before starting")
	}
	return fe
}

// has reports whether an error was recorded at the top-level key k.
func (e *formErrors) has(k string) bool {
	if e == nil || e.tree == nil {
		return false
	}
	_, ok := e.tree[k]
	return ok
}

func (s *Server) restScheduledEvents(w http.ResponseWriter, q *apiReq) {
	seg := q.seg // guilds, {guild}, scheduled-events[, {id}[, users]]
	withCount := firstQuery(q, "with_user_count") == "true"
	render := func(obj map[string]json.RawMessage) json.RawMessage {
		if withCount {
			obj = cloneObj(obj)
			obj["user_count"] = rawJSON(0)
		}
		return rawJSON(obj)
	}
	switch len(seg) {
	case 3:
		switch q.method {
		case http.MethodGet:
			s.mu.Lock()
			out := []json.RawMessage{}
			for _, id := range s.eventOrder {
				out = append(out, render(s.events[id]))
			}
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, out)
		case http.MethodPost:
			p, _, ok := s.payload(w, q)
			if !ok {
				return
			}
			id := s.newID()
			obj := map[string]json.RawMessage{
				"id": rawJSON(id), "guild_id": rawJSON(s.GuildID), "channel_id": rawJSON(nil),
				"creator_id": rawJSON(s.BotUserID), "name": rawJSON(""), "description": rawJSON(nil),
				"scheduled_start_time": rawJSON(nil), "scheduled_end_time": rawJSON(nil),
				"privacy_level": rawJSON(0), "status": rawJSON(eventScheduled), "entity_type": rawJSON(0),
				"entity_id": rawJSON(nil), "entity_metadata": rawJSON(nil), "creator": rawJSON(s.botUserJSON()),
				"image": rawJSON(nil), "recurrence_rule": rawJSON(nil), "auto_start": rawJSON(false),
			}
			if fe := applyEvent(obj, p, true); !fe.empty() {
				fe.write(w)
				return
			}
			s.mu.Lock()
			s.events[id] = obj
			s.eventOrder = append(s.eventOrder, id)
			s.broadcastLocked()
			out := rawJSON(obj)
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, out)
		default:
			methodNotAllowed(w)
		}
	case 4, 5:
		var p map[string]json.RawMessage
		if q.method == http.MethodPatch {
			var ok bool
			if p, _, ok = s.payload(w, q); !ok {
				return
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		obj, ok := s.events[seg[3]]
		if !ok {
			apiError(w, http.StatusNotFound, 10070, "Unknown Guild Scheduled Event")
			return
		}
		if len(seg) == 5 {
			if seg[4] != "users" {
				notFound(w)
			} else if q.method != http.MethodGet {
				methodNotAllowed(w)
			} else {
				writeJSON(w, http.StatusOK, []any{})
			}
			return
		}
		switch q.method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, render(obj))
		case http.MethodPatch:
			var status int
			_ = json.Unmarshal(obj["status"], &status)
			if status == eventCompleted || status == eventCanceled {
				apiError(w, http.StatusBadRequest, 180000, "Cannot modify a finished event")
				return
			}
			edited := cloneObj(obj)
			if fe := applyEvent(edited, p, false); !fe.empty() {
				fe.write(w)
				return
			}
			s.events[seg[3]] = edited
			s.broadcastLocked()
			writeJSON(w, http.StatusOK, render(edited))
		case http.MethodDelete:
			delete(s.events, seg[3])
			for i, id := range s.eventOrder {
				if id == seg[3] {
					s.eventOrder = append(s.eventOrder[:i:i], s.eventOrder[i+1:]...)
					break
				}
			}
			s.broadcastLocked()
			noContent(w)
		default:
			methodNotAllowed(w)
		}
	default:
		notFound(w)
	}
}
