package meeting_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/store"
)

// The sign-in refusals the web page shows, word for word.
const (
	czSignInUnknown = "Tento přihlašovací odkaz neplatí. Požádejte o nový na přihlašovací stránce."
	czSignInUsed    = "Tento přihlašovací odkaz už byl použit; každý odkaz platí jen jednou. Požádejte o nový na přihlašovací stránce."
	czSignInExpired = "Platnost přihlašovacího odkazu vypršela (platí 15 minut). Požádejte o nový na přihlašovací stránce."
)

// signIns lists the outbox's sign-in rows, oldest first.
func (e *env) signIns() []*store.Notification {
	e.t.Helper()
	all, err := e.store.Notifications(e.ctx(), store.NotificationFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*store.Notification
	for _, n := range all {
		if n.Kind == outbox.KindSignIn {
			out = append(out, n)
		}
	}
	return out
}

// loginLinks counts the login_links rows.
func (e *env) loginLinks() int {
	e.t.Helper()
	var n int
	if err := e.raw.QueryRow(`SELECT count(*) FROM login_links`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// requestLink asks for a sign-in link for address and returns the id the
// new outbox row names.
func (e *env) requestLink(address string) int64 {
	e.t.Helper()
	before := len(e.signIns())
	if err := e.core.RequestSignIn(e.ctx(), address); err != nil {
		e.t.Fatal(err)
	}
	rows := e.signIns()
	if len(rows) != before+1 {
		e.t.Fatalf("RequestSignIn(%q) wrote %d sign-in rows, want 1", address, len(rows)-before)
	}
	id, err := outbox.SignInLink(rows[len(rows)-1])
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func TestRequestSignInWritesTheLinkAndItsMail(t *testing.T) {
	e := newEnv(t)
	id := e.emailMember("Jana Nováková", "jana@obec.example.cz")
	changed := e.changed
	if err := e.core.RequestSignIn(e.ctx(), "  Jana@Obec.Example.CZ "); err != nil {
		t.Fatal(err)
	}
	rows := e.signIns()
	if len(rows) != 1 {
		t.Fatalf("%d sign-in rows, want 1", len(rows))
	}
	n := rows[0]
	linkID, err := outbox.SignInLink(n)
	if err != nil {
		t.Fatal(err)
	}
	if n.Channel != store.ChannelEmail || n.MemberID != id || n.MeetingID != 0 || n.GroupID != e.group.ID ||
		!n.Due.Equal(t0) || n.State != store.NotificationPending || n.IdempotencyKey != fmt.Sprintf("signin:%d", linkID) ||
		n.Payload != fmt.Sprintf(`{"link":%d}`, linkID) {
		t.Errorf("sign-in row = %+v", n)
	}
	if got, fan := outbox.FanOut(n); fan {
		t.Errorf("the sign-in row fans out into %s rows; it is sent as it is", got)
	}
	link, err := e.store.LoginLink(e.ctx(), linkID)
	if err != nil {
		t.Fatal(err)
	}
	if link.MemberID != id || link.Address != "jana@obec.example.cz" || !link.Created.Equal(t0) ||
		!link.Expires.Equal(t0.Add(meeting.SignInTTL)) || !link.Used.IsZero() {
		t.Errorf("login link = %+v", link)
	}
	if e.changed != changed+1 {
		t.Errorf("Changed called %d times, want once (the scheduler must wake for the mail)", e.changed-changed)
	}
}

func TestRequestSignInSendsNothingItShouldNot(t *testing.T) {
	e := newEnv(t)
	id := e.emailMember("Jana Nováková", "jana@obec.example.cz")
	// A member of no group: a link would have no group to go out under.
	if _, err := e.core.AddMember(e.ctx(), meeting.Operator(), e.group.ID, meeting.MemberInput{Name: "Petr Dvořák",
		Emails: []string{"petr@obec.example.cz"}}); err != nil {
		t.Fatal(err)
	}
	petr, err := e.store.MemberByEmail(e.ctx(), "petr@obec.example.cz")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.RemoveMembership(e.ctx(), e.group.ID, petr.ID); err != nil {
		t.Fatal(err)
	}
	// A bouncing address of a member who has another one.
	if _, err := e.core.AddMember(e.ctx(), meeting.Operator(), e.group.ID, meeting.MemberInput{Name: "Lucie Černá",
		Emails: []string{"lucie@obec.example.cz", "lucie.cerna@obec.example.cz"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.AddressBounced(e.ctx(), "lucie.cerna@obec.example.cz", "550 5.1.1", 0, "test"); err != nil {
		t.Fatal(err)
	}
	before, changed := e.rows(), e.changed
	for _, addr := range []string{"nikdo@obec.example.cz", "lucie.cerna@obec.example.cz", "petr@obec.example.cz"} {
		if err := e.core.RequestSignIn(e.ctx(), addr); err != nil {
			t.Errorf("RequestSignIn(%q) = %v; want nil, as for a member", addr, err)
		}
	}
	e.unchanged(t, before)
	if n := e.loginLinks(); n != 0 || e.changed != changed {
		t.Errorf("%d login links, %d wakes after requests that must send nothing", n, e.changed-changed)
	}
	// A malformed address is refused: that says nothing about members.
	var r *meeting.Refusal
	if err := e.core.RequestSignIn(e.ctx(), "jana at obec"); !errors.As(err, &r) {
		t.Errorf("malformed address: %v, want a refusal", err)
	}

	// Three links an hour, then nothing; after the hour, again.
	for i := range meeting.SignInLimit {
		e.clock.Set(t0.Add(time.Duration(i) * time.Minute))
		e.requestLink("jana@obec.example.cz")
	}
	e.clock.Set(t0.Add(59 * time.Minute))
	if err := e.core.RequestSignIn(e.ctx(), "JANA@obec.example.cz"); err != nil {
		t.Fatal(err)
	}
	if got := len(e.signIns()); got != meeting.SignInLimit {
		t.Errorf("%d sign-in mails within the hour, want %d", got, meeting.SignInLimit)
	}
	e.clock.Set(t0.Add(time.Hour))
	e.requestLink("jana@obec.example.cz")
	if got := len(e.signIns()); got != meeting.SignInLimit+1 {
		t.Errorf("%d sign-in mails after the hour, want %d", got, meeting.SignInLimit+1)
	}
	for _, n := range e.signIns() {
		if n.MemberID != id {
			t.Errorf("a sign-in row for member %d, want only %d", n.MemberID, id)
		}
	}
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	id := e.emailMember("Jana Nováková", "jana@obec.example.cz")
	linkID := e.requestLink("jana@obec.example.cz")

	e.clock.Set(t0.Add(meeting.SignInTTL - time.Second))
	cookie, m, err := e.core.SignIn(e.ctx(), linkID)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != id || cookie == "" {
		t.Fatalf("SignIn = %q, %+v", cookie, m)
	}
	got, ses, err := e.store.SessionMember(e.ctx(), cookie, e.clock.Now())
	if err != nil || got.ID != id || !ses.Expires.Equal(e.clock.Now().Add(meeting.SessionTTL)) {
		t.Fatalf("the session: %+v, %+v, %v", got, ses, err)
	}
	// Used once: the second click is refused and opens nothing.
	_, _, err = e.core.SignIn(e.ctx(), linkID)
	refused(t, err, czSignInUsed)
	var sessions int
	if err := e.raw.QueryRow(`SELECT count(*) FROM web_sessions`).Scan(&sessions); err != nil || sessions != 1 {
		t.Errorf("%d sessions, %v; want the one", sessions, err)
	}

	// Expired: at the instant of expiry it no longer works.
	e.clock.Set(t0.Add(time.Hour))
	late := e.requestLink("jana@obec.example.cz")
	e.clock.Set(t0.Add(time.Hour + meeting.SignInTTL))
	_, _, err = e.core.SignIn(e.ctx(), late)
	refused(t, err, czSignInExpired)

	// Unknown.
	_, _, err = e.core.SignIn(e.ctx(), late+100)
	refused(t, err, czSignInUnknown)

	// A link to an address the member no longer has.
	e.clock.Set(t0.Add(2 * time.Hour))
	old := e.requestLink("jana@obec.example.cz")
	jana, err := e.store.Member(e.ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	jana.Emails = []string{"jana.novakova@obec.example.cz"}
	if err := e.store.UpdateMember(e.ctx(), jana); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.core.SignIn(e.ctx(), old)
	refused(t, err, czSignInUnknown)

	// A day on, the old links are pruned, and so is the expired session.
	e.clock.Set(t0.Add(meeting.SessionTTL + time.Hour))
	fresh := e.requestLink("jana.novakova@obec.example.cz")
	if n := e.loginLinks(); n != 1 {
		t.Errorf("%d login links after a month, want only the fresh one", n)
	}
	if err := e.raw.QueryRow(`SELECT count(*) FROM web_sessions`).Scan(&sessions); err != nil || sessions != 0 {
		t.Errorf("%d sessions a month on, %v; want the expired one pruned", sessions, err)
	}
	if _, _, err := e.core.SignIn(e.ctx(), fresh); err != nil {
		t.Errorf("the fresh link: %v", err)
	}
}

// TestSignOut ends the session, and signing out again is not an error.
func TestSignOut(t *testing.T) {
	e := newEnv(t)
	e.emailMember("Jana Nováková", "jana@obec.example.cz")
	cookie, _, err := e.core.SignIn(e.ctx(), e.requestLink("jana@obec.example.cz"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.core.SignOut(e.ctx(), cookie); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.store.SessionMember(e.ctx(), cookie, e.clock.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after signing out: %v, want ErrNotFound", err)
	}
}
