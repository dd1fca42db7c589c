package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/bwmarrin/discordgo"
)

func cloneCommand(c *discordgo.ApplicationCommand) *discordgo.ApplicationCommand {
	var out discordgo.ApplicationCommand
	_ = json.Unmarshal(rawJSON(c), &out)
	return &out
}

func cloneCommands(cmds []*discordgo.ApplicationCommand) []*discordgo.ApplicationCommand {
	out := make([]*discordgo.ApplicationCommand, 0, len(cmds))
	for _, c := range cmds {
		out = append(out, cloneCommand(c))
	}
	return out
}

// Commands returns the application commands as last registered: the list of
// the scope (global or the guild) that was last written by PUT (bulk
// overwrite), POST, PATCH or DELETE, with the ids the fake assigned.
func (s *Server) Commands() []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneCommands(s.cmds[s.lastCmdScope])
}

// CommandsIn returns the commands registered in one scope: guildID, or ""
// for the global commands.
func (s *Server) CommandsIn(guildID string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneCommands(s.cmds[guildID])
}

// finishCommandLocked fills what Discord assigns to a registered command.
// A command keeps its id across overwrites while its name and type stay.
func (s *Server) finishCommandLocked(c *discordgo.ApplicationCommand, scope string) {
	if c.Type == 0 {
		c.Type = discordgo.ChatApplicationCommand
	}
	key := scope + "\x00" + fmt.Sprint(c.Type) + "\x00" + c.Name
	if c.ID == "" {
		c.ID = s.cmdIDs[key]
	}
	if c.ID == "" {
		c.ID = s.newID()
	}
	s.cmdIDs[key] = c.ID
	c.ApplicationID = s.AppID
	c.GuildID = scope
	c.Version = s.newID()
	if c.Options == nil {
		c.Options = []*discordgo.ApplicationCommandOption{}
	}
}

func (s *Server) restApplications(w http.ResponseWriter, q *apiReq) {
	seg := q.seg
	if len(seg) < 3 {
		notFound(w)
		return
	}
	if seg[1] != s.AppID {
		apiError(w, http.StatusForbidden, 50001, "Missing Access")
		return
	}
	var scope string
	var rest []string
	switch {
	case seg[2] == "commands":
		rest = seg[3:]
	case seg[2] == "guilds" && len(seg) >= 5 && seg[4] == "commands":
		if seg[3] != s.GuildID {
			apiError(w, http.StatusForbidden, 50001, "Missing Access")
			return
		}
		scope, rest = seg[3], seg[5:]
	default:
		notFound(w)
		return
	}
	switch {
	case len(rest) == 0:
		switch q.method {
		case http.MethodGet:
			s.mu.Lock()
			out := rawJSON(nonNil(s.cmds[scope]))
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, out)
		case http.MethodPut:
			s.bulkOverwrite(w, q, scope)
		case http.MethodPost:
			s.createCommand(w, q, scope)
		default:
			methodNotAllowed(w)
		}
	case len(rest) == 1 && rest[0] == "permissions":
		if q.method != http.MethodGet {
			methodNotAllowed(w)
			return
		}
		writeJSON(w, http.StatusOK, []any{})
	case len(rest) == 1:
		s.command(w, q, scope, rest[0])
	default:
		notFound(w)
	}
}

func nonNil(c []*discordgo.ApplicationCommand) []*discordgo.ApplicationCommand {
	if c == nil {
		return []*discordgo.ApplicationCommand{}
	}
	return c
}

func (s *Server) bulkOverwrite(w http.ResponseWriter, q *apiReq, scope string) {
	var cmds []*discordgo.ApplicationCommand
	if err := json.Unmarshal(q.body, &cmds); err != nil {
		fe := &formErrors{}
		fe.add("", "BASE_TYPE_ARRAY", "Must be an array.")
		fe.write(w)
		return
	}
	fe := &formErrors{}
	validateCommands(fe, cmds, true)
	if !fe.empty() {
		fe.write(w)
		return
	}
	s.mu.Lock()
	for _, c := range cmds {
		s.finishCommandLocked(c, scope)
	}
	s.cmds[scope] = nonNil(cmds)
	s.lastCmdScope = scope
	out := rawJSON(s.cmds[scope])
	s.broadcastLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createCommand(w http.ResponseWriter, q *apiReq, scope string) {
	var c *discordgo.ApplicationCommand
	if err := json.Unmarshal(q.body, &c); err != nil || c == nil {
		apiError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return
	}
	fe := &formErrors{}
	validateCommands(fe, []*discordgo.ApplicationCommand{c}, false)
	if !fe.empty() {
		fe.write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ID = ""
	s.finishCommandLocked(c, scope)
	status := http.StatusCreated
	list := s.cmds[scope]
	replaced := false
	for i, old := range list {
		if old.ID == c.ID {
			list[i], replaced = c, true
			status = http.StatusOK
		}
	}
	if !replaced {
		list = append(list, c)
	}
	s.cmds[scope] = list
	s.lastCmdScope = scope
	s.broadcastLocked()
	writeJSON(w, status, c)
}

func (s *Server) command(w http.ResponseWriter, q *apiReq, scope, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.cmds[scope]
	idx := -1
	for i, c := range list {
		if c.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		apiError(w, http.StatusNotFound, 10063, "Unknown application command")
		return
	}
	switch q.method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, list[idx])
	case http.MethodPatch:
		c := cloneCommand(list[idx])
		if err := json.Unmarshal(q.body, c); err != nil {
			apiError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
			return
		}
		fe := &formErrors{}
		validateCommands(fe, []*discordgo.ApplicationCommand{c}, false)
		if !fe.empty() {
			fe.write(w)
			return
		}
		c.ID = id
		s.finishCommandLocked(c, scope)
		list[idx] = c
		s.lastCmdScope = scope
		s.broadcastLocked()
		writeJSON(w, http.StatusOK, c)
	case http.MethodDelete:
		s.cmds[scope] = append(list[:idx:idx], list[idx+1:]...)
		s.lastCmdScope = scope
		s.broadcastLocked()
		noContent(w)
	default:
		methodNotAllowed(w)
	}
}
