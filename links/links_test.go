package links_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"coordbot/links"
)

var key = bytes.Repeat([]byte{7}, 32)

func TestAnswerRoundTrip(t *testing.T) {
	s := links.New(key, "https://schuzky.example.cz/")
	if s.Base() != "https://schuzky.example.cz" {
		t.Errorf("Base() = %q, want the address without its trailing slash", s.Base())
	}
	for _, tt := range []struct {
		member, meeting int64
		answer          string
	}{
		{1, 1, "yes"}, {42, 7, "no"}, {123456, 987654, "maybe"}, {math.MaxInt64, math.MaxInt64, "maybe"},
	} {
		tok := s.AnswerToken(tt.member, tt.meeting, tt.answer)
		if len(tok) > 60 || strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q: %d characters or not URL-safe", tok, len(tok))
		}
		member, mt, answer, err := s.ParseAnswer(tok)
		if err != nil || member != tt.member || mt != tt.meeting || answer != tt.answer {
			t.Errorf("ParseAnswer(AnswerToken(%d, %d, %s)) = %d, %d, %q, %v", tt.member, tt.meeting, tt.answer, member, mt, answer, err)
		}
		if u := s.AnswerURL(tt.member, tt.meeting, tt.answer); u != "https://schuzky.example.cz/a/"+tok {
			t.Errorf("AnswerURL = %q", u)
		}
	}
	// A typical token is short enough for a line of mail.
	if tok := s.AnswerToken(250, 1200, "maybe"); len(tok) > 32 {
		t.Errorf("token %q is %d characters, want at most 32", tok, len(tok))
	}
}

func TestSignInRoundTrip(t *testing.T) {
	s := links.New(key, "http://localhost:8080")
	for _, id := range []int64{1, 300, 1 << 40} {
		tok := s.SignInToken(id)
		got, err := s.ParseSignIn(tok)
		if err != nil || got != id {
			t.Errorf("ParseSignIn(SignInToken(%d)) = %d, %v", id, got, err)
		}
		if u := s.SignInURL(id); u != "http://localhost:8080/login/"+tok {
			t.Errorf("SignInURL = %q", u)
		}
	}
}

// TestBadTokens: every altered, cut, extended, foreign or cross-purpose
// token is refused with ErrBadToken.
func TestBadTokens(t *testing.T) {
	s := links.New(key, "https://x.example")
	other := links.New(bytes.Repeat([]byte{8}, 32), "https://x.example")
	answer := s.AnswerToken(5, 9, "yes")
	signin := s.SignInToken(5)

	bad := map[string]string{
		"empty":                   "",
		"garbage":                 "not a token!",
		"padding":                 answer + "==",
		"cut":                     answer[:len(answer)-1],
		"one more character":      answer + "A",
		"other key":               other.AnswerToken(5, 9, "yes"),
		"sign-in token as answer": signin,
		"huge":                    strings.Repeat("A", 500),
	}
	// Every single-character change anywhere in the token.
	for i := range answer {
		for _, c := range []byte("AQgw_-9z") {
			if answer[i] == c {
				continue
			}
			b := []byte(answer)
			b[i] = c
			bad[fmt.Sprintf("character %d changed to %c", i, c)] = string(b)
		}
	}
	for name, tok := range bad {
		if m, mt, a, err := s.ParseAnswer(tok); !errors.Is(err, links.ErrBadToken) {
			t.Errorf("%s: ParseAnswer(%q) = %d, %d, %q, %v; want ErrBadToken", name, tok, m, mt, a, err)
		}
	}
	for name, tok := range map[string]string{
		"answer token as sign-in": answer,
		"other key":               other.SignInToken(5),
		"cut":                     signin[:len(signin)-2],
		"empty":                   "",
	} {
		if id, err := s.ParseSignIn(tok); !errors.Is(err, links.ErrBadToken) {
			t.Errorf("%s: ParseSignIn(%q) = %d, %v; want ErrBadToken", name, tok, id, err)
		}
	}
}

func TestMisuseIsAPanic(t *testing.T) {
	s := links.New(key, "https://x.example")
	for name, f := range map[string]func(){
		"short key":      func() { links.New([]byte("short"), "https://x.example") },
		"unknown answer": func() { s.AnswerToken(1, 1, "ano") },
		"zero member":    func() { s.AnswerToken(0, 1, "yes") },
		"negative link":  func() { s.SignInToken(-1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
