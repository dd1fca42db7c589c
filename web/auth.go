package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"coordbot/meeting"
	"coordbot/store"
)

// visitor is the signed-in member of a request, with their roles.
type visitor struct {
	member *store.Member
	// roles maps the id of each group they belong to to their role there.
	roles map[int64]string
}

type visitorKey struct{}

// memberOf returns the signed-in member of a request, nil for a stranger.
func memberOf(r *http.Request) *store.Member {
	if v, ok := r.Context().Value(visitorKey{}).(*visitor); ok {
		return v.member
	}
	return nil
}

// visitorOf returns the request's visitor; only handlers behind member
// call it, where there always is one.
func visitorOf(r *http.Request) *visitor { return r.Context().Value(visitorKey{}).(*visitor) }

// in reports whether the visitor belongs to group groupID.
func (v *visitor) in(groupID int64) bool { return v.roles[groupID] != "" }

// coordinates reports whether the visitor coordinates group groupID.
func (v *visitor) coordinates(groupID int64) bool { return v.roles[groupID] == store.RoleCoordinator }

// groupIDs lists the groups the visitor belongs to, or only those they
// coordinate.
func (v *visitor) groupIDs(coordinatorOnly bool) []int64 {
	ids := []int64{}
	for id, role := range v.roles {
		if !coordinatorOnly || role == store.RoleCoordinator {
			ids = append(ids, id)
		}
	}
	return ids
}

// actor is the visitor as the core knows them.
func (v *visitor) actor() meeting.Actor {
	return meeting.Actor{Via: store.ViaWeb, MemberID: v.member.ID}
}

// member lets only signed-in members through: a stranger (no session, or
// an expired or ended one) is sent to the login page.
func (s *server) member(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			s.toLogin(w, r)
			return
		}
		m, _, err := s.store.SessionMember(r.Context(), c.Value, s.now())
		if errors.Is(err, store.ErrNotFound) {
			s.toLogin(w, r)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ms, err := s.store.Memberships(r.Context(), m.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v := &visitor{member: m, roles: map[int64]string{}}
		for _, ship := range ms {
			v.roles[ship.GroupID] = ship.Role
		}
		next(w, r.WithContext(context.WithValue(r.Context(), visitorKey{}, v)))
	}
}

// nextCookie remembers, across the mail with the sign-in link, the page a
// stranger asked for, so that signing in leads there.
const nextCookie = "coordbot_next"

// toLogin sends a stranger to the login page, remembering the page they
// asked for when it was one to read.
func (s *server) toLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		http.SetCookie(w, &http.Cookie{Name: nextCookie, Value: url.QueryEscape(r.URL.RequestURI()), Path: "/",
			HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: 3600})
	}
	seeOther(w, r, "/login")
}

// nextPage is the remembered page to go to after signing in, "/" when
// none; only a path on this site is taken.
func nextPage(r *http.Request) string {
	c, err := r.Cookie(nextCookie)
	if err != nil {
		return "/"
	}
	next, err := url.QueryUnescape(c.Value)
	if err != nil || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

// loginData is what the login page shows.
type loginData struct {
	Email string
	// Sent reports that the form was sent: the page says a link is on
	// its way if the address is a member's, whatever the address.
	Sent bool
}

func (s *server) loginForm(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	s.render(w, r, http.StatusOK, "login", &page{Lang: lang, Title: tr(lang, "loginTitle"), Data: loginData{}})
}

// loginRequest asks the core for a sign-in link. The page is the same for
// a member's address and an unknown one, so that nobody learns who is a
// member; the core limits the mails per address, this handler the
// requests per client address.
func (s *server) loginRequest(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	if !s.logins.allow(s.cfg.ClientIP(r)) {
		s.errorPage(w, r, http.StatusTooManyRequests, tr(lang, "errTooMany"))
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	if email == "" || len(email) > 320 {
		s.render(w, r, http.StatusUnprocessableEntity, "login", &page{Lang: lang, Title: tr(lang, "loginTitle"),
			Error: tr(lang, "loginNoEmail"), Data: loginData{Email: email}})
		return
	}
	if err := s.core.RequestSignIn(r.Context(), email); err != nil {
		if ref, ok := meeting.IsRefusal(err); ok {
			s.render(w, r, http.StatusUnprocessableEntity, "login", &page{Lang: lang, Title: tr(lang, "loginTitle"),
				Error: ref.Message(lang), Data: loginData{Email: email}})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "login", &page{Lang: lang, Title: tr(lang, "loginTitle"),
		Notice: tr(lang, "loginSent"), Data: loginData{Email: email, Sent: true}})
}

// signInForm is what the link in the mail opens: a page with one button.
// Opening it signs nobody in, because mail scanners open every link.
func (s *server) signInForm(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	id, err := s.links.ParseSignIn(r.PathValue("token"))
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, tr(lang, "errBadLink"))
		return
	}
	link, err := s.store.LoginLink(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.errorPage(w, r, http.StatusBadRequest, tr(lang, "errBadLink"))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	case !link.Used.IsZero():
		s.errorPage(w, r, http.StatusGone, tr(lang, "errLinkUsed"))
		return
	case !s.now().Before(link.Expires):
		s.errorPage(w, r, http.StatusGone, tr(lang, "errLinkExpired"))
		return
	}
	s.render(w, r, http.StatusOK, "signin", &page{Lang: lang, Title: tr(lang, "signInTitle"),
		Data: struct{ Action string }{"/login/" + r.PathValue("token")}})
}

// signIn uses up the link and opens a session.
func (s *server) signIn(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	id, err := s.links.ParseSignIn(r.PathValue("token"))
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, tr(lang, "errBadLink"))
		return
	}
	cookie, _, err := s.core.SignIn(r.Context(), id)
	if ref, ok := meeting.IsRefusal(err); ok {
		s.errorPage(w, r, http.StatusGone, ref.Message(lang))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: cookie, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(meeting.SessionTTL / time.Second)})
	next := nextPage(r)
	http.SetCookie(w, &http.Cookie{Name: nextCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	seeOther(w, r, next)
}

// logout ends the session in the store and forgets the cookie.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.core.SignOut(r.Context(), c.Value); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	seeOther(w, r, "/login")
}

// limiter counts events per key in a sliding window, in memory: a
// restart forgets it, which is fine for slowing down a flood.
type limiter struct {
	mu   sync.Mutex
	max  int
	per  time.Duration
	now  func() time.Time
	seen map[string][]time.Time
}

func newLimiter(max int, per time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, per: per, now: now, seen: map[string][]time.Time{}}
}

// allow records an event for key and reports whether it is within the
// limit. Refused events are not recorded, so waiting helps.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) > 10000 {
		// Many addresses: drop those whose events are all old, so the
		// map does not grow without bound.
		for k, ts := range l.seen {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= l.per {
				delete(l.seen, k)
			}
		}
	}
	ts := l.seen[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.per {
		i++
	}
	ts = ts[i:]
	if len(ts) >= l.max {
		l.seen[key] = ts
		return false
	}
	l.seen[key] = append(ts, now)
	return true
}
