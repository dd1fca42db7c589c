package config

import (
	"strings"
	"testing"
	"time"
)

func TestSMTPSection(t *testing.T) {
	const base = "[mail]\nimap_addr = \"imap.example.cz:993\"\nusername = \"archiv\"\naddress = \"archiv@kr-ustecky.example\"\n"
	t.Run("defaults and environment password", func(t *testing.T) {
		cfg, err := Parse("coordbot.toml", []byte(base+"[smtp]\naddr = \"smtp.example.cz:587\"\nusername = \"archiv\"\n"),
			env(map[string]string{EnvSMTPPassword: "tajne-heslo"}))
		if err != nil {
			t.Fatal(err)
		}
		s := cfg.SMTP
		if s.TLS != "starttls" || s.Password.Reveal() != "tajne-heslo" || s.From != "" {
			t.Errorf("SMTP = %+v", s)
		}
		if err := cfg.RequireSecrets("smtp"); err != nil {
			t.Errorf("RequireSecrets(smtp) = %v", err)
		}
	})
	t.Run("port 465 is implicit TLS, from is parsed", func(t *testing.T) {
		cfg, err := Parse("coordbot.toml", []byte(base+"[smtp]\naddr = \"smtp.example.cz:465\"\n"+
			"from = \"Krajská síť <Koordinace@Example.cz>\"\n"), env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if s := cfg.SMTP; s.TLS != "tls" || s.FromName != "Krajská síť" || s.FromAddress != "koordinace@example.cz" {
			t.Errorf("SMTP = %+v", s)
		}
	})
	t.Run("a relay on loopback needs no password", func(t *testing.T) {
		cfg, err := Parse("coordbot.toml", []byte(base+"[smtp]\naddr = \"127.0.0.1:25\"\ntls = \"none\"\n"), env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.RequireSecrets("smtp"); err != nil {
			t.Errorf("RequireSecrets(smtp) without a username = %v", err)
		}
	})
	t.Run("email_reminders default and none", func(t *testing.T) {
		cfg, err := Parse("coordbot.toml", []byte("[[groups]]\nslug = \"a\"\nname = \"A\"\n[[groups]]\nslug = \"b\"\nname = \"B\"\n"+
			"email_reminders = []\n"), env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Groups[0].EmailReminders; len(got) != 2 || got[0] != 7*24*time.Hour || got[1] != 24*time.Hour {
			t.Errorf("default email_reminders = %v", got)
		}
		if got := cfg.Groups[1].EmailReminders; got == nil || len(got) != 0 {
			t.Errorf("email_reminders off = %#v, want empty", got)
		}
	})
	errs := []struct{ name, toml, want string }{
		{"no address", base + "[smtp]\ntls = \"tls\"\n", "smtp.addr: required"},
		{"none off loopback", base + "[smtp]\naddr = \"smtp.example.cz:25\"\ntls = \"none\"\n", "smtp.tls: \"none\" would send"},
		{"bad from", base + "[smtp]\naddr = \"smtp.example.cz:587\"\nfrom = \"koordinace@\"\n", "smtp.from: must be an address"},
		{"no sender at all", "[smtp]\naddr = \"smtp.example.cz:587\"\n", "smtp.from: required when mail.address is not set"},
		{"unknown key", base + "[smtp]\naddr = \"smtp.example.cz:587\"\nport = 25\n", "smtp.port: unknown key"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("coordbot.toml", []byte(tt.toml), env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("a username without a password is refused by RequireSecrets", func(t *testing.T) {
		cfg, err := Parse("coordbot.toml", []byte(base+"[smtp]\naddr = \"smtp.example.cz:587\"\nusername = \"u\"\n"), env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.RequireSecrets("smtp"); err == nil || !strings.Contains(err.Error(), "COORDBOT_SMTP_PASSWORD") {
			t.Errorf("RequireSecrets(smtp) = %v", err)
		}
	})
}
