package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"coordbot/store"
)

var (
	reH1       = regexp.MustCompile(`<h1[ >]`)
	reControl  = regexp.MustCompile(`<(input|textarea|select)\b[^>]*>`)
	reType     = regexp.MustCompile(`\btype="([^"]*)"`)
	reID       = regexp.MustCompile(`\bid="([^"]*)"`)
	reLabelFor = regexp.MustCompile(`<label\b[^>]*\bfor="([^"]*)"`)
	reMissing  = regexp.MustCompile(`\[[a-z][A-Za-z0-9_]*\]`)
)

// checkMarkup checks the basics every page must have: a language, exactly
// one h1, a label for every input, no script, no inline style (the
// Content-Security-Policy would block it), the stylesheet, and no label
// key left untranslated.
func checkMarkup(t *testing.T, name, body string) {
	t.Helper()
	if !strings.Contains(body, `<html lang="cs">`) && !strings.Contains(body, `<html lang="en">`) {
		t.Errorf("%s: no lang attribute", name)
	}
	if n := len(reH1.FindAllString(body, -1)); n != 1 {
		t.Errorf("%s: %d h1 elements, want 1", name, n)
	}
	labelled := map[string]bool{}
	for _, m := range reLabelFor.FindAllStringSubmatch(body, -1) {
		labelled[m[1]] = true
	}
	for _, ctl := range reControl.FindAllString(body, -1) {
		if tm := reType.FindStringSubmatch(ctl); tm != nil && (tm[1] == "hidden" || tm[1] == "submit") {
			continue
		}
		idm := reID.FindStringSubmatch(ctl)
		if idm == nil || !labelled[idm[1]] {
			t.Errorf("%s: %s has no label", name, ctl)
		}
	}
	for _, bad := range []string{"<script", "style=", "<style", "javascript:", `type="submit" value=`, "<input type=\"button\""} {
		if strings.Contains(body, bad) {
			t.Errorf("%s: contains %q", name, bad)
		}
	}
	if !strings.Contains(body, `<link rel="stylesheet" href="/static/style.css">`) {
		t.Errorf("%s: no stylesheet", name)
	}
	if m := reMissing.FindString(body); m != "" {
		t.Errorf("%s: untranslated label %s", name, m)
	}
}

// TestEveryPageHasTheAccessibleBasics renders every page a member, a
// coordinator and a stranger can reach and checks its markup.
func TestEveryPageHasTheAccessibleBasics(t *testing.T) {
	site := newArchiveSite(t)
	upcoming := site.addMeeting(site.Group, "Příští jednání", siteStart.Add(7*day))
	member, coord, stranger := site.signIn(site.jana), site.signIn(site.eva), site.newClient()
	member.post("/meetings/"+id(upcoming.ID)+"/propose", url.Values{"title": {"Bod A"}})
	member.post("/meetings/"+id(upcoming.ID)+"/propose", url.Values{"title": {"Bod B"}, "details": {"Podrobnosti"}})
	member.post("/meetings/"+id(upcoming.ID)+"/answer", url.Values{"answer": {"maybe"}})
	stranger.post("/login", url.Values{"email": {"jana@obec.cz"}})
	signInToken := site.Links.SignInToken(site.lastLoginLink(site.jana))
	pages := map[string]*response{
		"login":            stranger.get("/login"),
		"login sent":       stranger.post("/login", url.Values{"email": {"nikdo@nikde.cz"}}),
		"sign-in":          stranger.get("/login/" + signInToken),
		"bad link":         stranger.get("/login/xyz"),
		"not found":        member.get("/nikde"),
		"home":             member.get("/"),
		"coordinator home": coord.get("/"),
		"meeting":          member.get("/meetings/" + id(upcoming.ID)),
		"coord meeting":    coord.get("/meetings/" + id(upcoming.ID)),
		"held meeting":     coord.get("/meetings/" + id(site.held.ID)),
		"archive":          coord.get("/archive"),
		"search":           member.get("/archive?q=veznicich"),
		"message":          member.get("/archive/" + id(site.filed.ID)),
		"unfiled message":  coord.get("/archive/" + id(site.unfiled.ID)),
		"quarantined":      coord.get("/archive/" + id(site.quarantined.ID)),
		"report":           coord.get("/groups/prace/report/2027"),
		"one-click":        stranger.get("/a/" + site.Links.AnswerToken(site.jana.ID, upcoming.ID, store.AnswerYes)),
		"one-click done":   stranger.post("/a/"+site.Links.AnswerToken(site.jana.ID, upcoming.ID, store.AnswerYes), url.Values{}),
		"refused":          member.post("/meetings/"+id(upcoming.ID)+"/answer", url.Values{"answer": {"x"}}),
	}
	for name, r := range pages {
		if r.Status >= 500 {
			t.Errorf("%s: status %d", name, r.Status)
		}
		checkMarkup(t, name, r.Body)
	}
	site.Clock.Set(upcoming.Start.Add(time.Hour))
	checkMarkup(t, "attendance form", coord.get("/meetings/"+id(upcoming.ID)).Body)
	checkMarkup(t, "expired one-click", stranger.get("/a/"+site.Links.AnswerToken(site.jana.ID, upcoming.ID, store.AnswerYes)).Body)
}
