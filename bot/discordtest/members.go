package discordtest

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// userJSON is u as Discord's user object.
func (u User) userJSON() map[string]any {
	d := u.dgUser()
	out := map[string]any{
		"id": d.ID, "username": d.Username, "discriminator": "0", "global_name": nil,
		"avatar": nil, "public_flags": 0,
	}
	if u.GlobalName != "" {
		out["global_name"] = u.GlobalName
	}
	if u.Bot {
		out["bot"] = true
	}
	return out
}

// memberJSON is u as Discord's guild member object; guildID, if not "",
// is added as guild_id, as in the GUILD_MEMBER_* events.
func (u User) memberJSON(guildID string) map[string]any {
	roles := append([]string{}, u.Roles...)
	out := map[string]any{
		"user": u.userJSON(), "nick": nil, "avatar": nil, "banner": nil, "roles": roles,
		"joined_at": discordTime(u.joinedAt()), "premium_since": nil, "deaf": false, "mute": false,
		"flags": 0, "pending": false, "communication_disabled_until": nil,
	}
	if u.Nick != "" {
		out["nick"] = u.Nick
	}
	if guildID != "" {
		out["guild_id"] = guildID
	}
	return out
}

// sortedMembersLocked returns the members ordered by user id. s.mu must be
// held.
func (s *Server) sortedMembersLocked() []User {
	out := make([]User, 0, len(s.memberOrder))
	for _, id := range s.memberOrder {
		out = append(out, s.members[id])
	}
	sort.Slice(out, func(i, j int) bool { return snowLess(out[i].ID, out[j].ID) })
	return out
}

// restMembers serves GET /guilds/{guild}/members (List Guild Members) and
// GET /guilds/{guild}/members/{user}.
func (s *Server) restMembers(w http.ResponseWriter, q *apiReq) {
	seg := q.seg // guilds, {guild}, members[, {user}]
	if len(seg) > 4 {
		notFound(w)
		return
	}
	if q.method != http.MethodGet {
		methodNotAllowed(w)
		return
	}
	if len(seg) == 4 {
		s.mu.Lock()
		u, ok := s.members[seg[3]]
		s.mu.Unlock()
		if !ok {
			apiError(w, http.StatusNotFound, 10007, "Unknown Member")
			return
		}
		writeJSON(w, http.StatusOK, u.memberJSON(""))
		return
	}
	if s.DisallowedIntents&discordgo.IntentGuildMembers != 0 {
		apiError(w, http.StatusForbidden, 50001, "Missing Access")
		return
	}
	fe := &formErrors{}
	limit := 1
	if v := firstQuery(q, "limit"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			fe.add("limit", "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not int.", v))
		case n < 1:
			fe.add("limit", "NUMBER_TYPE_MIN", "int value should be greater than or equal to 1.")
		case n > 1000:
			fe.add("limit", "NUMBER_TYPE_MAX", "int value should be less than or equal to 1000.")
		default:
			limit = n
		}
	}
	var after uint64
	if v := firstQuery(q, "after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			fe.add("after", "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not snowflake.", v))
		}
		after = n
	}
	if !fe.empty() {
		fe.write(w)
		return
	}
	s.mu.Lock()
	out := []map[string]any{}
	for _, u := range s.sortedMembersLocked() {
		if len(out) == limit {
			break
		}
		if id, err := strconv.ParseUint(u.ID, 10, 64); err == nil && id <= after {
			continue
		}
		out = append(out, u.memberJSON(""))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// Member returns the guild member with userID as the fake stores it (with
// the changes UpdateMember and SetMemberRoles made), for building
// interactions with the member's current roles.
func (s *Server) Member(userID string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.members[userID]
	u.Roles = append([]string(nil), u.Roles...)
	return u, ok
}

// memberEvent sends a GUILD_MEMBER_* event to the session of the latest
// IDENTIFY or RESUME, as Discord does: only if that session asked for the
// GUILD_MEMBERS intent (GUILD_MEMBER_UPDATE about the bot itself goes
// regardless), and buffered for RESUME while its client is between
// connections. A client that identifies afresh does not get it. s.memberMu
// must be held, s.mu not.
func (s *Server) memberEvent(t, userID string, d any) {
	s.mu.Lock()
	sess := s.lastSess
	if sess != nil && s.sessions[sess.id] != sess {
		sess = nil // invalidated: nothing to resume
	}
	s.mu.Unlock()
	if sess == nil {
		return
	}
	if sess.intents&discordgo.IntentGuildMembers == 0 && (t != "GUILD_MEMBER_UPDATE" || userID != s.BotUserID) {
		return
	}
	sess.sendMu.Lock()
	defer sess.sendMu.Unlock()
	s.dispatchLocked(sess, t, d)
}

// AddMemberAndDispatch makes u a new member of the guild, like AddMember,
// and sends GUILD_MEMBER_ADD (the guild member object with guild_id) as
// Discord does when a user joins: to the client's gateway session if it
// identified with the GUILD_MEMBERS intent (discordgo.IntentGuildMembers).
// A zero u.JoinedAt becomes now. It fails if u.ID is already a member.
func (s *Server) AddMemberAndDispatch(u User) error {
	s.memberMu.Lock()
	defer s.memberMu.Unlock()
	s.mu.Lock()
	if _, ok := s.members[u.ID]; ok {
		s.mu.Unlock()
		return fmt.Errorf("discordtest: %s is already a member", u.ID)
	}
	if u.JoinedAt.IsZero() {
		u.JoinedAt = time.Now().UTC().Truncate(time.Microsecond)
	}
	s.addMemberLocked(u)
	d := s.members[u.ID].memberJSON(s.GuildID)
	s.mu.Unlock()
	s.memberEvent("GUILD_MEMBER_ADD", u.ID, d)
	return nil
}

// UpdateMember replaces the stored data of member u.ID (roles, nick, names;
// a zero JoinedAt keeps the old one) and sends GUILD_MEMBER_UPDATE (guild_id,
// user, roles, nick, joined_at and the other member fields) as Discord does:
// to the client's gateway session if it identified with the GUILD_MEMBERS
// intent, or if the member is the bot itself. It fails if u.ID is not a
// member.
func (s *Server) UpdateMember(u User) error {
	s.memberMu.Lock()
	defer s.memberMu.Unlock()
	return s.updateMember(u)
}

// updateMember is UpdateMember; s.memberMu must be held.
func (s *Server) updateMember(u User) error {
	s.mu.Lock()
	old, ok := s.members[u.ID]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("discordtest: %s is not a member", u.ID)
	}
	if u.JoinedAt.IsZero() {
		u.JoinedAt = old.JoinedAt
	}
	s.addMemberLocked(u)
	d := s.members[u.ID].memberJSON(s.GuildID)
	s.mu.Unlock()
	s.memberEvent("GUILD_MEMBER_UPDATE", u.ID, d)
	return nil
}

// SetMemberRoles replaces the roles of member userID with roles (ids; ones
// AddRole did not name are added as roles named after their id) and sends
// GUILD_MEMBER_UPDATE like UpdateMember. It fails if userID is not a member.
func (s *Server) SetMemberRoles(userID string, roles []string) error {
	s.memberMu.Lock()
	defer s.memberMu.Unlock()
	s.mu.Lock()
	u, ok := s.members[userID]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("discordtest: %s is not a member", userID)
	}
	u.Roles = append([]string{}, roles...)
	return s.updateMember(u)
}

// RemoveMember removes member userID from the guild (a user leaving or
// kicked) and sends GUILD_MEMBER_REMOVE (guild_id and user) as Discord does:
// to the client's gateway session if it identified with the GUILD_MEMBERS
// intent. It fails if userID is not a member or is the bot.
func (s *Server) RemoveMember(userID string) error {
	s.memberMu.Lock()
	defer s.memberMu.Unlock()
	s.mu.Lock()
	u, ok := s.members[userID]
	switch {
	case !ok:
		s.mu.Unlock()
		return fmt.Errorf("discordtest: %s is not a member", userID)
	case userID == s.BotUserID:
		s.mu.Unlock()
		return fmt.Errorf("discordtest: the bot cannot leave the guild")
	}
	delete(s.members, userID)
	for i, id := range s.memberOrder {
		if id == userID {
			s.memberOrder = append(s.memberOrder[:i:i], s.memberOrder[i+1:]...)
			break
		}
	}
	s.broadcastLocked()
	s.mu.Unlock()
	s.memberEvent("GUILD_MEMBER_REMOVE", userID, map[string]any{"guild_id": s.GuildID, "user": u.userJSON()})
	return nil
}
