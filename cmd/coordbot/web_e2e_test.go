package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"coordbot/config"
	"coordbot/internal/smtptest"
	"coordbot/internal/testutil"
	"coordbot/outbox"
	"coordbot/store"
)

// webTOML is a service that sends mail through smtpAddr and serves the
// web pages behind a proxy at https://porady.kr-ustecky.example.
func webTOML(dir, smtpAddr, smtpUser string) string {
	return fmt.Sprintf(`
[database]
path = %q

[smtp]
addr = %q
tls = "starttls"
username = %q
from = "Krajská protidrogová koordinace <archiv@kr-ustecky.example>"

[http]
addr = "127.0.0.1:0"
public_url = "https://porady.kr-ustecky.example"

[[groups]]
slug = %q
name = "Místní protidrogoví koordinátoři"
`, filepath.Join(dir, "coordbot.db"), smtpAddr, smtpUser, mailGroup)
}

// mailText returns the text/plain part of a message.
func mailText(t *testing.T, raw []byte) string {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			t.Fatalf("no text part in\n%s", raw)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := p.Header.(*gomail.InlineHeader); ok {
			if mt, _, _ := h.ContentType(); mt == "text/plain" {
				b, err := io.ReadAll(p.Body)
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
		}
	}
}

// TestServeWebPagesWithMailedLinks runs serve with [smtp] and
// http.public_url: the invitation carries one-click links that record
// nothing on GET and the answer on POST; a sign-in link requested on
// /login arrives by mail, signs in once, and the session shows the
// member's meeting; an unknown address gets the same page and no mail.
func TestServeWebPagesWithMailedLinks(t *testing.T) {
	smtpSrv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer smtpSrv.Close()
	dir := t.TempDir()
	environ := map[string]string{config.EnvSMTPPassword: smtpSrv.Password}
	writeFile(t, dir, "coordbot.toml", webTOML(dir, smtpSrv.Addr, smtpSrv.User))
	start := time.Now().Add(10 * 24 * time.Hour).In(time.UTC).Format("2006-01-02T15:04")
	for _, args := range [][]string{
		{"migrate"},
		{"member", "add", "-group", mailGroup, "-name", "Jana Nováková", "-email", "jana@obec-lom.example", "-notify", "email"},
		{"meeting", "add", "-group", mailGroup, "-title", "Setkání místních koordinátorů", "-start", start, "-place", "Krajský úřad"},
	} {
		if r := runCLIClock(t, time.Now, dir, environ, args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "coordbot.toml"), true, func(k string) string { return environ[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.SyncBuffer{}
	m := NewMain(cfg, slog.New(slog.NewTextHandler(logs, nil)))
	m.SMTPTLS = smtpSrv.ClientTLS
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The links name the public address; the proxy in front would pass
	// them to the listener, which the test calls directly.
	local := func(link string) string {
		t.Helper()
		u, err := url.Parse(link)
		if err != nil || u.Host != "porady.kr-ustecky.example" || u.Scheme != "https" {
			t.Fatalf("link %q is not under public_url", link)
		}
		return "http://" + m.HTTPAddr + u.Path
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(u string, form url.Values) (int, string) {
		t.Helper()
		resp, err := client.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	answers := func() map[string]string {
		t.Helper()
		r := runCLIClock(t, time.Now, dir, environ, "meeting", "show", "-json", "1")
		if r.code != 0 {
			t.Fatalf("meeting show: %+v", r)
		}
		var shown struct {
			RSVPs []struct{ Name, Answer, Via string } `json:"rsvps"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil {
			t.Fatalf("meeting show -json: %v\n%s", err, r.stdout)
		}
		got := map[string]string{}
		for _, a := range shown.RSVPs {
			got[a.Name] = a.Answer + "/" + a.Via
		}
		return got
	}

	// 1. The invitation's "Přijdu" link: GET asks, POST records.
	msgs, err := smtpSrv.WaitFor(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	text := mailText(t, msgs[0].Data)
	yes := regexp.MustCompile(`Přijdu: (\S+)`).FindStringSubmatch(text)
	if yes == nil {
		t.Fatalf("no one-click link in the invitation:\n%s", text)
	}
	if code, body := get(local(yes[1])); code != http.StatusOK || !strings.Contains(body, "<button") {
		t.Fatalf("GET one-click: %d\n%s", code, body)
	}
	if got := answers(); len(got) != 0 {
		t.Fatalf("GET of a one-click link recorded %v", got)
	}
	if code, body := post(local(yes[1]), url.Values{"answer": {"yes"}}); code != http.StatusOK {
		t.Fatalf("POST one-click: %d\n%s", code, body)
	}
	if got := answers(); got["Jana Nováková"] != "yes/web" {
		t.Fatalf("answers after the click: %v", got)
	}

	// 2. Sign in with a link by mail.
	if code, body := post("http://"+m.HTTPAddr+"/login", url.Values{"email": {"Jana@Obec-Lom.example"}}); code != http.StatusOK {
		t.Fatalf("POST /login: %d\n%s", code, body)
	}
	msgs, err = smtpSrv.WaitFor(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	signIn := regexp.MustCompile(`https://\S+/login/\S+`).FindString(mailText(t, msgs[1].Data))
	if signIn == "" || msgs[1].To[0] != "jana@obec-lom.example" {
		t.Fatalf("sign-in mail to %v:\n%s", msgs[1].To, msgs[1].Data)
	}
	if code, body := get(local(signIn)); code != http.StatusOK || !strings.Contains(body, "<button") {
		t.Fatalf("GET sign-in link: %d\n%s", code, body)
	}
	if code, body := get("http://" + m.HTTPAddr + "/"); strings.Contains(body, "Setkání místních koordinátorů") {
		t.Fatalf("GET of the sign-in link signed in: %d", code)
	}
	if code, body := post(local(signIn), nil); code != http.StatusOK || !strings.Contains(body, "Setkání místních koordinátorů") {
		t.Fatalf("POST sign-in link, then home: %d\n%s", code, body)
	}
	if code, _ := post(local(signIn), nil); code == http.StatusOK {
		t.Errorf("a used sign-in link answered 200")
	}

	// 3. An unknown address: the same page, no sign-in row.
	_, known := post("http://"+m.HTTPAddr+"/login", url.Values{"email": {"jana@obec-lom.example"}})
	_, unknown := post("http://"+m.HTTPAddr+"/login", url.Values{"email": {"nikdo@obec-lom.example"}})
	// The form keeps what was typed; nothing else may differ.
	known = strings.ReplaceAll(known, "jana@obec-lom.example", "ADDRESS")
	unknown = strings.ReplaceAll(unknown, "nikdo@obec-lom.example", "ADDRESS")
	if known != unknown {
		t.Errorf("the login page tells a member's address from a stranger's:\n%s\n---\n%s", known, unknown)
	}
	all, err := m.Store.Notifications(ctx, store.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, n := range all {
		if n.Kind == outbox.KindSignIn {
			rows++
		}
	}
	if rows != 2 {
		t.Errorf("%d sign-in rows, want 2 (Jana twice, the stranger none)", rows)
	}
}
