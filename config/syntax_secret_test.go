package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestSyntaxErrorHidesSecrets feeds files whose secret lines do not parse
// and checks that no part of the secret reaches the error, its wrapped
// chain or any formatting of it.
func TestSyntaxErrorHidesSecrets(t *testing.T) {
	tests := []struct {
		name     string
		toml     string
		secret   string
		wantLine int
		wantMsg  string
	}{
		{"unquoted_token", "[discord]\ntoken = MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnop\n", "MTIzNDU", 2, "discord.token"},
		{"unquoted_password", "[mail]\nhost = \"imap.example.cz\"\npassword = hunter2secret\n", "hunter2", 3, "mail.password"},
		{"password_with_spaces", "[mail]\npassword = correct horse battery\n", "correct", 2, "mail.password"},
		{"unclosed_password", "[mail]\npassword = \"s3cr3tvalue\n", "s3cr3t", 2, "mail.password"},
		{"password_trailing_garbage", "[mail]\npassword = \"ok\" s3cr3tvalue\n", "s3cr3t", 2, "mail.password"},
		{"calendar_token_in_group", "[[groups]]\nslug = \"a\"\ncalendar_token = Abcdefghijklmnop123\n", "Abcdefgh", 3, "calendar_token"},
		{"inline_table", "discord = { token = MTIzNDU2Nzg5 }\n", "MTIzNDU", 1, "token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.toml", []byte(tt.toml), nil)
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			var texts []string
			for e := err; e != nil; e = errors.Unwrap(e) {
				texts = append(texts, e.Error(), fmt.Sprintf("%#v", e), fmt.Sprintf("%+v", e))
			}
			for _, s := range texts {
				if strings.Contains(s, tt.secret) {
					t.Errorf("error shows the secret: %s", s)
				}
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not *Error", err)
			}
			if ce.Line != tt.wantLine {
				t.Errorf("line %d, want %d (%v)", ce.Line, tt.wantLine, err)
			}
			if !strings.Contains(err.Error(), "syntax error") || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say it is a syntax error in %s", err, tt.wantMsg)
			}
		})
	}
}
