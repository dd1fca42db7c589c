package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	day          = 24 * time.Hour
	testToken    = "env-discord-token-0123456789"
	testPassword = "env-imap-password-9876543210"
)

// env returns a getenv backed by a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// bothSecrets is an environment with both secrets set.
func bothSecrets() func(string) string {
	return env(map[string]string{EnvDiscordToken: testToken, EnvIMAPPassword: testPassword})
}

// asError asserts that err is an *Error printing on one line.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *config.Error", err, err)
	}
	if s := ce.Error(); strings.ContainsAny(s, "\r\n") {
		t.Errorf("Error() is not one line: %q", s)
	}
	return ce
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "coordbot.toml")

	t.Run("defaults_when_missing_and_not_explicit", func(t *testing.T) {
		cfg, err := Load(missing, false, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.File != "" {
			t.Errorf("File = %q, want \"\"", cfg.File)
		}
		if cfg.Log != (Log{Level: "info", Format: "text"}) {
			t.Errorf("Log = %+v", cfg.Log)
		}
		if cfg.Database.Path != "coordbot.db" {
			t.Errorf("Database.Path = %q", cfg.Database.Path)
		}
		if cfg.Discord != nil || cfg.Mail != nil || cfg.HTTP != nil || len(cfg.Groups) != 0 {
			t.Errorf("optional parts configured: %+v", cfg)
		}
		if p := cfg.Parts(); len(p) != 0 {
			t.Errorf("Parts() = %v, want none", p)
		}
	})

	t.Run("nil_getenv_is_empty_environment", func(t *testing.T) {
		cfg, err := Load(missing, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Discord != nil {
			t.Errorf("Discord = %+v, want nil", cfg.Discord)
		}
	})

	t.Run("error_when_missing_and_explicit", func(t *testing.T) {
		_, err := Load(missing, true, env(nil))
		ce := asError(t, err)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("errors.Is(err, fs.ErrNotExist) = false for %v", err)
		}
		if ce.File != missing || ce.Line != 0 || ce.Key != "" {
			t.Errorf("error = %#v", ce)
		}
		if want := missing + ": configuration file not found"; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Error() = %q, want prefix %q", err, want)
		}
	})

	t.Run("token_env_without_file_creates_discord", func(t *testing.T) {
		cfg, err := Load(missing, false, env(map[string]string{EnvDiscordToken: testToken, EnvIMAPPassword: testPassword}))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Discord == nil || cfg.Discord.Token.Reveal() != testToken {
			t.Fatalf("Discord = %+v, want token from the environment", cfg.Discord)
		}
		if cfg.Mail != nil {
			t.Errorf("Mail = %+v, want nil: the password alone does not configure mail", cfg.Mail)
		}
		if got, want := cfg.Parts(), []string{"bot", "scheduler"}; !slices.Equal(got, want) {
			t.Errorf("Parts() = %v, want %v", got, want)
		}
	})

	t.Run("reads_existing_file", func(t *testing.T) {
		path := filepath.Join(dir, "present.toml")
		if err := os.WriteFile(path, []byte("[http]\naddr = \":8080\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path, true, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.File != path || cfg.HTTP == nil || cfg.HTTP.Addr != ":8080" {
			t.Errorf("cfg = %+v, HTTP = %+v", cfg, cfg.HTTP)
		}
	})

	t.Run("error_names_file_with_line", func(t *testing.T) {
		path := filepath.Join(dir, "bad.toml")
		if err := os.WriteFile(path, []byte("[log]\nlevel = \"loud\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path, false, env(nil))
		ce := asError(t, err)
		if ce.File != path || ce.Line != 2 || ce.Key != "log.level" {
			t.Errorf("error = %#v", ce)
		}
	})
}

func TestExampleFile(t *testing.T) {
	const path = "../coordbot.example.toml"

	t.Run("loads_with_env_secrets", func(t *testing.T) {
		cfg, err := Load(path, true, bothSecrets())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := cfg.Parts(), []string{"bot", "smtp", "scheduler", "mail", "http"}; !slices.Equal(got, want) {
			t.Errorf("Parts() = %v, want %v", got, want)
		}
		if cfg.Discord.Token.Reveal() != testToken || cfg.Mail.Password.Reveal() != testPassword {
			t.Errorf("secrets not taken from the environment")
		}
		if cfg.Discord.GuildID != "1203456789012345678" {
			t.Errorf("GuildID = %q", cfg.Discord.GuildID)
		}
		m := cfg.Mail
		if m.Address != "archiv@kr-ustecky.example" || m.MaxMessageSize != 25<<20 ||
			m.MatchWindow != 30*day || m.PollInterval != time.Minute || m.TLS != "tls" {
			t.Errorf("Mail = %+v", m)
		}
		if want := []string{"@kr-ustecky.example", "protidrogovy.koordinator@mesto-decin.example", "prevence@mesto-most.example"}; !slices.Equal(m.AllowedSenders, want) {
			t.Errorf("AllowedSenders = %v, want %v", m.AllowedSenders, want)
		}
		if len(cfg.Groups) != 2 {
			t.Fatalf("%d groups, want 2", len(cfg.Groups))
		}
		want := []struct {
			slug, name                          string
			reminders                           []time.Duration
			call, deadline, nudge, minutesNudge time.Duration
		}{
			{"pracovni-skupina", "Pracovní skupina protidrogové politiky",
				[]time.Duration{7 * day, day, time.Hour}, 14 * day, 3 * day, 3 * day, 7 * day},
			{"mistni-koordinatori", "Metodická setkání s místními protidrogovými koordinátory",
				[]time.Duration{14 * day, 2 * day, 2 * time.Hour}, 21 * day, 5 * day, 0, 10 * day},
		}
		for i, w := range want {
			g := cfg.Groups[i]
			if g.Slug != w.slug || g.Name != w.name {
				t.Errorf("groups[%d] = %q %q, want %q %q", i, g.Slug, g.Name, w.slug, w.name)
			}
			if g.TimeZone != "Europe/Prague" || g.Location == nil || g.Location.String() != "Europe/Prague" {
				t.Errorf("groups[%d] zone = %q %v", i, g.TimeZone, g.Location)
			}
			if g.Locale != "cs" {
				t.Errorf("groups[%d].Locale = %q", i, g.Locale)
			}
			if !slices.Equal(g.Reminders, w.reminders) {
				t.Errorf("groups[%d].Reminders = %v, want %v", i, g.Reminders, w.reminders)
			}
			if g.AgendaCall != w.call || g.AgendaDeadline != w.deadline || g.Nudge != w.nudge || g.MinutesNudge != w.minutesNudge {
				t.Errorf("groups[%d] offsets = %v %v %v %v", i, g.AgendaCall, g.AgendaDeadline, g.Nudge, g.MinutesNudge)
			}
			if g.CalendarToken != "" {
				t.Errorf("groups[%d].CalendarToken set", i)
			}
		}
	})

	t.Run("loads_without_secrets_which_are_then_required", func(t *testing.T) {
		// The example has token = "" and password = "": commands that
		// never connect must still load it.
		cfg, err := Load(path, true, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.RequireSecrets("discord", "mail")
		ce := asError(t, err)
		if ce.File != path || ce.Key != "discord.token" || ce.Msg != "required (set COORDBOT_DISCORD_TOKEN)" {
			t.Errorf("error = %#v", ce)
		}
	})
}

func TestEnvironment(t *testing.T) {
	const file = `
[discord]
token = "file-token"
[mail]
imap_addr = "imap.example.cz:993"
username = "archiv@example.cz"
password = "file-password"
`
	tests := []struct {
		name                string
		env                 map[string]string
		wantToken, wantPass string
	}{
		{"env_wins_over_file", map[string]string{EnvDiscordToken: testToken, EnvIMAPPassword: testPassword}, testToken, testPassword},
		{"file_used_without_env", nil, "file-token", "file-password"},
		{"empty_env_is_unset", map[string]string{EnvDiscordToken: "", EnvIMAPPassword: ""}, "file-token", "file-password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("coordbot.toml", []byte(file), env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Discord.Token.Reveal(); got != tt.wantToken {
				t.Errorf("token = %q, want %q", got, tt.wantToken)
			}
			if got := cfg.Mail.Password.Reveal(); got != tt.wantPass {
				t.Errorf("password = %q, want %q", got, tt.wantPass)
			}
		})
	}

	t.Run("token_env_creates_discord_section", func(t *testing.T) {
		cfg, err := Parse("coordbot.toml", []byte("[log]\nlevel = \"debug\"\n"), env(map[string]string{EnvDiscordToken: testToken}))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Discord == nil || *cfg.Discord != (Discord{Token: Secret(testToken)}) {
			t.Errorf("Discord = %+v", cfg.Discord)
		}
	})

	t.Run("password_env_without_mail_is_ignored", func(t *testing.T) {
		cfg, err := Parse("coordbot.toml", nil, env(map[string]string{EnvIMAPPassword: testPassword}))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Mail != nil {
			t.Errorf("Mail = %+v, want nil", cfg.Mail)
		}
	})
}

func TestValid(t *testing.T) {
	tests := []struct {
		name  string
		toml  string
		check func(t *testing.T, cfg *Config)
	}{
		{"group_defaults", "[[groups]]\nslug = \"a\"\nname = \"A\"\n", func(t *testing.T, cfg *Config) {
			g := cfg.Groups[0]
			if g.TimeZone != "Europe/Prague" || g.Location.String() != "Europe/Prague" || g.Locale != "cs" ||
				!slices.Equal(g.Reminders, []time.Duration{7 * day, day, time.Hour}) ||
				g.AgendaCall != 14*day || g.AgendaDeadline != 3*day || g.Nudge != 3*day || g.MinutesNudge != 7*day {
				t.Errorf("group = %+v", g)
			}
		}},
		{"reminders_sorted_longest_first", "[[groups]]\nslug = \"a\"\nname = \"A\"\nreminders = [\"1h\", \"7d\", \"1d12h\"]\n", func(t *testing.T, cfg *Config) {
			if got, want := cfg.Groups[0].Reminders, []time.Duration{7 * day, 36 * time.Hour, time.Hour}; !slices.Equal(got, want) {
				t.Errorf("Reminders = %v, want %v", got, want)
			}
		}},
		{"empty_reminders_means_none", "[[groups]]\nslug = \"a\"\nname = \"A\"\nreminders = []\n", func(t *testing.T, cfg *Config) {
			if r := cfg.Groups[0].Reminders; r == nil || len(r) != 0 {
				t.Errorf("Reminders = %#v, want empty", r)
			}
		}},
		{"off_disables", "[[groups]]\nslug = \"a\"\nname = \"A\"\nagenda_call = \"off\"\nagenda_deadline = \"off\"\nnudge = \"off\"\nminutes_nudge = \"off\"\n", func(t *testing.T, cfg *Config) {
			g := cfg.Groups[0]
			if g.AgendaCall != 0 || g.AgendaDeadline != 0 || g.Nudge != 0 || g.MinutesNudge != 0 {
				t.Errorf("group = %+v", g)
			}
		}},
		{"inline_groups_array", "groups = [{slug = \"a\", name = \"A\", time_zone = \"UTC\"}, {slug = \"b\", name = \"B\", locale = \"en\"}]\n", func(t *testing.T, cfg *Config) {
			if len(cfg.Groups) != 2 || cfg.Groups[0].Location != time.UTC || cfg.Groups[1].Locale != "en" {
				t.Errorf("groups = %+v", cfg.Groups)
			}
		}},
		{"tls_none_on_loopback", "[mail]\nimap_addr = \"127.0.0.1:1143\"\ntls = \"none\"\nusername = \"u\"\npassword = \"p\"\n", func(t *testing.T, cfg *Config) {
			if cfg.Mail.TLS != "none" {
				t.Errorf("TLS = %q", cfg.Mail.TLS)
			}
		}},
		{"tls_none_on_localhost_and_ipv6", "[mail]\nimap_addr = \"[::1]:1143\"\ntls = \"none\"\nusername = \"u\"\npassword = \"p\"\n", func(t *testing.T, cfg *Config) {}},
		{"mail_defaults", "[mail]\nimap_addr = \"imap.example.cz:993\"\nusername = \"u\"\npassword = \"p\"\n", func(t *testing.T, cfg *Config) {
			m := cfg.Mail
			if m.TLS != "tls" || m.Mailbox != "INBOX" || m.ArchiveMailbox != "Archive" || m.QuarantineMailbox != "Quarantine" ||
				m.MaxMessageSize != 25<<20 || m.MatchWindow != 30*day || m.PollInterval != time.Minute || m.AllowedSenders == nil {
				t.Errorf("Mail = %+v", m)
			}
		}},
		{"sizes_and_senders", "[mail]\nimap_addr = \"imap.example.cz:993\"\nusername = \"u\"\npassword = \"p\"\nmax_message_size = 1000\nallowed_senders = [\"Jan.Novak@Example.CZ\", \"@Mesto.Example\"]\n", func(t *testing.T, cfg *Config) {
			if cfg.Mail.MaxMessageSize != 1000 {
				t.Errorf("MaxMessageSize = %d", cfg.Mail.MaxMessageSize)
			}
			if want := []string{"jan.novak@example.cz", "@mesto.example"}; !slices.Equal(cfg.Mail.AllowedSenders, want) {
				t.Errorf("AllowedSenders = %v, want %v", cfg.Mail.AllowedSenders, want)
			}
		}},
		{"api_url_trailing_slash_removed", "[discord]\ntoken = \"t\"\napi_url = \"http://127.0.0.1:5000/\"\n", func(t *testing.T, cfg *Config) {
			if cfg.Discord.APIURL != "http://127.0.0.1:5000" {
				t.Errorf("APIURL = %q", cfg.Discord.APIURL)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("coordbot.toml", []byte(tt.toml), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.File != "coordbot.toml" {
				t.Errorf("File = %q", cfg.File)
			}
			tt.check(t, cfg)
		})
	}
}

// mailOK is a valid [mail] section without the keys tests vary.
const mailOK = "[mail]\nimap_addr = \"imap.example.cz:993\"\nusername = \"u\"\npassword = \"p\"\n"

func TestErrors(t *testing.T) {
	tests := []struct {
		name     string
		toml     string
		env      map[string]string
		wantKey  string
		wantLine int
		wantMsg  string // substring of Msg
		wantErr  string // whole Error(), if set
	}{
		{
			name:     "syntax_error_with_line",
			toml:     "[log]\nlevel = \"info\"\nformat = \n",
			wantLine: 3,
			wantMsg:  "syntax error: ",
		},
		{
			name:     "unknown_key",
			toml:     "[discord]\ntoken = \"t\"\ntokn = \"u\"\n",
			wantKey:  "discord.tokn",
			wantLine: 3,
			wantErr:  "coordbot.toml:3: discord.tokn: unknown key",
		},
		{
			name:     "unknown_top_level_key",
			toml:     "level = \"debug\"\n",
			wantKey:  "level",
			wantLine: 1,
			wantMsg:  "unknown key",
		},
		{
			name:     "unknown_table",
			toml:     "[log]\nlevel = \"info\"\n\n[log.extra]\nx = 1\n",
			wantKey:  "log.extra",
			wantLine: 4,
			wantMsg:  "unknown key",
		},
		{
			name:     "unknown_key_in_second_group",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\n\n[[groups]]\nslug = \"b\"\nname = \"B\"\ntime_zon = \"UTC\"\n",
			wantKey:  "groups[1].time_zon",
			wantLine: 8,
			wantMsg:  "unknown key",
		},
		{
			name:     "unknown_key_in_both_groups_reports_first",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\nx = 1\n[[groups]]\nslug = \"b\"\nname = \"B\"\nx = 2\n",
			wantKey:  "groups[0].x",
			wantLine: 4,
			wantMsg:  "unknown key",
		},
		{
			name:     "key_differing_in_case",
			toml:     "[discord]\nToken = \"t\"\n",
			wantKey:  "discord.Token",
			wantLine: 2,
			wantMsg:  `did you mean "token"?`,
		},
		{
			name:     "section_differing_in_case",
			toml:     "[Discord]\ntoken = \"t\"\n",
			wantKey:  "Discord",
			wantLine: 1,
			wantMsg:  `did you mean "discord"?`,
		},
		{
			name:     "bad_time_zone",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\n\n[[groups]]\nslug = \"b\"\nname = \"B\"\ntime_zone = \"Europe/Prag\"\n",
			wantKey:  "groups[1].time_zone",
			wantLine: 8,
			wantErr:  `coordbot.toml:8: groups[1].time_zone: unknown time zone "Europe/Prag"`,
		},
		{
			name:     "local_time_zone",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\ntime_zone = \"Local\"\n",
			wantKey:  "groups[0].time_zone",
			wantLine: 4,
			wantMsg:  "depends on the machine",
		},
		{
			name:     "bad_offset_in_reminders",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\nreminders = [\n  \"7d\",\n  \"1d\",\n  \"1x\",\n]\n",
			wantKey:  "groups[0].reminders[2]",
			wantLine: 7,
			wantErr:  `coordbot.toml:7: groups[0].reminders[2]: invalid offset "1x": unknown unit 'x' (use d, h, m or s)`,
		},
		{
			name:     "duplicate_reminder",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\nreminders = [\"1d\", \"24h\"]\n",
			wantKey:  "groups[0].reminders[1]",
			wantLine: 4,
			wantMsg:  "duplicate reminder 1d (same as groups[0].reminders[0])",
		},
		{
			name:     "zero_reminder",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\nreminders = [\"0\"]\n",
			wantKey:  "groups[0].reminders[0]",
			wantLine: 4,
			wantMsg:  "must be greater than zero",
		},
		{
			name:     "zero_agenda_call_suggests_off",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\nagenda_call = \"0\"\n",
			wantKey:  "groups[0].agenda_call",
			wantLine: 4,
			wantMsg:  `use "off" to disable`,
		},
		{
			name:     "bad_offset_type",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\nnudge = 3\n",
			wantKey:  "groups[0].nudge",
			wantLine: 4,
			wantMsg:  "must be a string",
		},
		{
			name:     "duplicate_slug",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\n[[groups]]\nslug = \"a\"\nname = \"B\"\n",
			wantKey:  "groups[1].slug",
			wantLine: 5,
			wantMsg:  `duplicate slug "a" (also used by groups[0])`,
		},
		{
			name:     "bad_slug",
			toml:     "[[groups]]\nslug = \"Pracovni_Skupina\"\nname = \"A\"\n",
			wantKey:  "groups[0].slug",
			wantLine: 2,
			wantMsg:  `not "Pracovni_Skupina"`,
		},
		{
			name:    "missing_slug",
			toml:    "[[groups]]\nname = \"A\"\n",
			wantKey: "groups[0].slug",
			wantMsg: "required",
		},
		{
			name:     "wrong_type_in_group",
			toml:     "groups = [{slug = \"a\", name = \"A\"},\n  {slug = \"b\", name = 5}]\n",
			wantKey:  "groups[1].name",
			wantLine: 2,
			wantMsg:  "must be a string, not an integer",
		},
		{
			name:     "groups_not_array_of_tables",
			toml:     "[groups]\nslug = \"a\"\n",
			wantKey:  "groups",
			wantLine: 1,
			wantMsg:  "[[groups]]",
		},
		{
			name:     "section_not_table",
			toml:     "discord = \"token\"\n",
			wantKey:  "discord",
			wantLine: 1,
			wantMsg:  "must be a table",
		},
		{
			name:     "bad_snowflake",
			toml:     "[discord]\ntoken = \"t\"\nguild_id = \"<#12345>\"\n",
			wantKey:  "discord.guild_id",
			wantLine: 3,
			wantMsg:  "must be a Discord ID",
		},
		{
			name:     "tls_none_on_remote_host",
			toml:     mailOK + "tls = \"none\"\n",
			wantKey:  "mail.tls",
			wantLine: 5,
			wantMsg:  `only when mail.imap_addr is a loopback address (localhost, 127.0.0.0/8, ::1), and "imap.example.cz" is not`,
		},
		{
			name:     "bad_tls_value",
			toml:     mailOK + "tls = \"ssl\"\n",
			wantKey:  "mail.tls",
			wantLine: 5,
			wantMsg:  `must be "tls", "starttls" or "none", not "ssl"`,
		},
		{
			name:     "imap_addr_without_port",
			toml:     "[mail]\nimap_addr = \"imap.example.cz\"\nusername = \"u\"\npassword = \"p\"\n",
			wantKey:  "mail.imap_addr",
			wantLine: 2,
			wantMsg:  "must be host:port",
		},
		{
			name:     "quarantine_same_as_inbox",
			toml:     mailOK + "quarantine_mailbox = \"inbox\"\n",
			wantKey:  "mail.quarantine_mailbox",
			wantLine: 5,
			wantMsg:  "must differ from mail.mailbox",
		},
		{
			name:     "quarantine_same_as_archive",
			toml:     mailOK + "archive_mailbox = \"Archiv\"\nquarantine_mailbox = \"Archiv\"\n",
			wantKey:  "mail.quarantine_mailbox",
			wantLine: 6,
			wantMsg:  "must differ from mail.archive_mailbox",
		},
		{
			name:     "bad_allowed_sender",
			toml:     mailOK + "allowed_senders = [\"@kr-ustecky.example\", \"Jan Novák <jan@example.cz>\"]\n",
			wantKey:  "mail.allowed_senders[1]",
			wantLine: 5,
			wantMsg:  "must be a bare e-mail address",
		},
		{
			name:     "bad_allowed_domain",
			toml:     mailOK + "allowed_senders = [\"@-bad..cz\"]\n",
			wantKey:  "mail.allowed_senders[0]",
			wantLine: 5,
			wantMsg:  "invalid domain",
		},
		{
			name:     "bad_mail_address",
			toml:     mailOK + "address = \"archiv\"\n",
			wantKey:  "mail.address",
			wantLine: 5,
			wantMsg:  `invalid e-mail address "archiv"`,
		},
		{
			name:     "bad_max_message_size_unit",
			toml:     mailOK + "max_message_size = \"25XB\"\n",
			wantKey:  "mail.max_message_size",
			wantLine: 5,
			wantMsg:  `invalid size "25XB": unknown unit "XB"`,
		},
		{
			name:     "negative_max_message_size",
			toml:     mailOK + "max_message_size = -1\n",
			wantKey:  "mail.max_message_size",
			wantLine: 5,
			wantMsg:  "must be greater than zero",
		},
		{
			name:     "float_max_message_size",
			toml:     mailOK + "max_message_size = 2.5\n",
			wantKey:  "mail.max_message_size",
			wantLine: 5,
			wantMsg:  "not a float",
		},
		{
			name:     "zero_poll_interval",
			toml:     mailOK + "poll_interval = \"0\"\n",
			wantKey:  "mail.poll_interval",
			wantLine: 5,
			wantMsg:  "must be greater than zero",
		},
		{
			name:     "api_url_not_absolute",
			toml:     "[discord]\ntoken = \"t\"\napi_url = \"127.0.0.1:5000\"\n",
			wantKey:  "discord.api_url",
			wantLine: 3,
			wantMsg:  "must be an absolute http or https URL",
		},
		{
			name:     "api_url_bad_scheme",
			toml:     "[discord]\ntoken = \"t\"\napi_url = \"ftp://discord.example\"\n",
			wantKey:  "discord.api_url",
			wantLine: 3,
			wantMsg:  "must be an absolute http or https URL",
		},
		{
			name:     "bad_log_level",
			toml:     "[log]\nlevel = \"verbose\"\n",
			wantKey:  "log.level",
			wantLine: 2,
			wantErr:  `coordbot.toml:2: log.level: must be "debug", "info", "warn" or "error", not "verbose"`,
		},
		{
			name:     "bad_log_format",
			toml:     "[log]\nformat = \"xml\"\n",
			wantKey:  "log.format",
			wantLine: 2,
			wantMsg:  `must be "text" or "json", not "xml"`,
		},
		{
			name:     "dotted_key",
			toml:     "log.level = \"verbose\"\n",
			wantKey:  "log.level",
			wantLine: 1,
			wantMsg:  "must be",
		},
		{
			name:     "empty_database_path",
			toml:     "[database]\npath = \"\"\n",
			wantKey:  "database.path",
			wantLine: 2,
			wantMsg:  "must not be empty",
		},
		{
			name:    "http_without_addr",
			toml:    "[http]\n",
			wantKey: "http.addr",
			wantMsg: "required",
		},
		{
			name:     "http_bad_port",
			toml:     "[http]\naddr = \"127.0.0.1:http\"\n",
			wantKey:  "http.addr",
			wantLine: 2,
			wantMsg:  "invalid port",
		},
		{
			name:     "http_public_url_relative",
			toml:     "[http]\naddr = \"127.0.0.1:8080\"\npublic_url = \"porady.example\"\n",
			wantKey:  "http.public_url",
			wantLine: 3,
			wantMsg:  "https://porady.kr-ustecky.example",
		},
		{
			name:     "http_public_url_query",
			toml:     "[http]\naddr = \"127.0.0.1:8080\"\npublic_url = \"https://porady.example/?x=1\"\n",
			wantKey:  "http.public_url",
			wantLine: 3,
			wantMsg:  "must not contain a query",
		},
		{
			name:     "http_client_ip_header_bad",
			toml:     "[http]\naddr = \"127.0.0.1:8080\"\nclient_ip_header = \"X Forwarded\"\n",
			wantKey:  "http.client_ip_header",
			wantLine: 3,
			wantMsg:  "must be a header name",
		},
		{
			name:     "short_calendar_token",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\ncalendar_token = \"short-secret\"\n",
			wantKey:  "groups[0].calendar_token",
			wantLine: 4,
			wantMsg:  "at least 16 characters",
		},
		{
			name:     "first_problem_by_line",
			toml:     "[[groups]]\nslug = \"a\"\nname = \"A\"\ntime_zone = \"Mars/Base\"\n\n[log]\nlevel = \"loud\"\n",
			wantKey:  "groups[0].time_zone",
			wantLine: 4,
			wantMsg:  "unknown time zone",
		},
		{
			// mail.username is missing too, and has no line.
			name:     "positioned_problem_before_missing_key",
			toml:     "[mail]\nimap_addr = \"imap.example.cz\"\n",
			wantKey:  "mail.imap_addr",
			wantLine: 2,
			wantMsg:  "must be host:port",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("coordbot.toml", []byte(tt.toml), env(tt.env))
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("config returned with error")
			}
			ce := asError(t, err)
			if ce.File != "coordbot.toml" || ce.Key != tt.wantKey || ce.Line != tt.wantLine {
				t.Errorf("got file %q line %d key %q, want line %d key %q (error: %v)", ce.File, ce.Line, ce.Key, tt.wantLine, tt.wantKey, err)
			}
			if !strings.Contains(ce.Msg, tt.wantMsg) {
				t.Errorf("Msg = %q, want it to contain %q", ce.Msg, tt.wantMsg)
			}
			if tt.wantErr != "" && err.Error() != tt.wantErr {
				t.Errorf("Error() = %q, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{"file_line_key", Error{File: "c.toml", Line: 3, Key: "a.b", Msg: "bad"}, "c.toml:3: a.b: bad"},
		{"no_line", Error{File: "c.toml", Key: "a.b", Msg: "bad"}, "c.toml: a.b: bad"},
		{"no_key", Error{File: "c.toml", Line: 2, Msg: "syntax error: x"}, "c.toml:2: syntax error: x"},
		{"no_file", Error{Line: 2, Key: "k", Msg: "m"}, "line 2: k: m"},
		{"newlines_flattened", Error{File: "c.toml", Msg: "a\nb\r\nc"}, "c.toml: a b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	const value = "hunter2-very-secret"
	s := Secret(value)
	d := Discord{Token: s, GuildID: "1"}
	g := Group{Slug: "a", CalendarToken: s}
	formats := []string{"%v", "%s", "%+v", "%#v", "%q", "%x", "%X", "%d", "%10s", "%-20v"}
	for _, f := range formats {
		for _, arg := range []any{s, d, &d, g, []Secret{s}, map[string]Secret{"k": s}} {
			t.Run(fmt.Sprintf("fmt_%s_%T", f, arg), func(t *testing.T) {
				out := fmt.Sprintf(f, arg)
				if strings.Contains(out, value) || strings.Contains(strings.ToLower(out), fmt.Sprintf("%x", value)) {
					t.Errorf("%s of %T printed the secret: %s", f, arg, out)
				}
			})
		}
	}

	t.Run("print_and_println", func(t *testing.T) {
		if out := fmt.Sprint(s, d) + fmt.Sprintln(s, g); strings.Contains(out, value) {
			t.Errorf("printed the secret: %s", out)
		}
	})

	t.Run("string_methods", func(t *testing.T) {
		if s.String() != "[redacted]" || s.GoString() != `"[redacted]"` || s.LogValue().String() != "[redacted]" {
			t.Errorf("String %q GoString %q LogValue %q", s.String(), s.GoString(), s.LogValue())
		}
		if s.Reveal() != value {
			t.Errorf("Reveal() = %q", s.Reveal())
		}
	})

	t.Run("empty_prints_empty", func(t *testing.T) {
		var e Secret
		if e.String() != "" || fmt.Sprintf("%v|%s", e, e) != "|" || e.LogValue().String() != "" {
			t.Errorf("empty secret printed %q", fmt.Sprintf("%v|%s", e, e))
		}
	})

	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"slog_text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		{"slog_json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	} {
		t.Run(h.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(h.new(&buf))
			log.Info("connecting", "token", s, slog.Any("discord", d), slog.Any("group", g), slog.Any("ptr", &d))
			log.With("password", s).Info("again")
			out := buf.String()
			if strings.Contains(out, value) {
				t.Errorf("slog printed the secret: %s", out)
			}
			if !strings.Contains(out, "[redacted]") {
				t.Errorf("slog output lacks [redacted]: %s", out)
			}
		})
	}

	t.Run("json_marshal", func(t *testing.T) {
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), value) {
			t.Errorf("json printed the secret: %s", out)
		}
	})

	t.Run("errors_do_not_contain_secrets", func(t *testing.T) {
		_, err := Parse("c.toml", []byte("[[groups]]\nslug = \"a\"\nname = \"A\"\ncalendar_token = \"has space and is long\"\n"), nil)
		if err == nil || strings.Contains(err.Error(), "has space") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestOffsets(t *testing.T) {
	valid := []struct {
		in        string
		want      time.Duration
		canonical string
	}{
		{"0", 0, "0"},
		{"14d", 14 * day, "14d"},
		{"1d", day, "1d"},
		{"1h", time.Hour, "1h"},
		{"30m", 30 * time.Minute, "30m"},
		{"45s", 45 * time.Second, "45s"},
		{"1d12h", 36 * time.Hour, "1d12h"},
		{"1d2h3m4s", day + 2*time.Hour + 3*time.Minute + 4*time.Second, "1d2h3m4s"},
		{"90m", 90 * time.Minute, "1h30m"},
		{"336h", 14 * day, "14d"},
		{"0d", 0, "0"},
	}
	for _, tt := range valid {
		t.Run("parses_"+tt.in, func(t *testing.T) {
			got, err := ParseOffset(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ParseOffset(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if f := FormatOffset(got); f != tt.canonical {
				t.Errorf("FormatOffset(%v) = %q, want %q", got, f, tt.canonical)
			}
		})
	}

	invalid := []struct{ in, msg string }{
		{"", "empty"},
		{"1x", "unknown unit 'x'"},
		{"-1d", "negative"},
		{"1.5h", "fractions"},
		{"1h1d", "order"},
		{"1h1h", "order"},
		{"12", "missing unit"},
		{"d", "expected a number"},
		{" 1d", "expected a number"},
		{"1d ", "expected a number"},
		{"1D", "unknown unit"},
		{"99999999999999999999d", "too large"},
		{"106752d", "too large"},
	}
	for _, tt := range invalid {
		t.Run("rejects_"+tt.in, func(t *testing.T) {
			_, err := ParseOffset(tt.in)
			if err == nil {
				t.Fatalf("ParseOffset(%q) succeeded", tt.in)
			}
			if want := fmt.Sprintf("invalid offset %q: ", tt.in); !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %q, want prefix %q and %q", err, want, tt.msg)
			}
		})
	}

	t.Run("round_trip", func(t *testing.T) {
		for _, d := range []time.Duration{0, time.Second, 59 * time.Second, time.Minute + time.Second, 25 * time.Hour,
			400 * day, 3*day + 23*time.Hour + 59*time.Minute + 59*time.Second, 106751 * day} {
			s := FormatOffset(d)
			got, err := ParseOffset(s)
			if err != nil || got != d {
				t.Errorf("ParseOffset(FormatOffset(%v) = %q) = %v, %v", d, s, got, err)
			}
		}
	})

	t.Run("format_outside_parse_range", func(t *testing.T) {
		if got := FormatOffset(-time.Hour); got != "-1h0m0s" {
			t.Errorf("FormatOffset(-1h) = %q", got)
		}
		if got := FormatOffset(1500 * time.Millisecond); got != "1.5s" {
			t.Errorf("FormatOffset(1.5s) = %q", got)
		}
	})
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   any
		want int64
	}{
		{int64(1), 1},
		{"25MiB", 25 << 20},
		{"25 MiB", 25 << 20},
		{"10MB", 10_000_000},
		{"500KiB", 500 << 10},
		{"1kB", 1000},
		{"2GiB", 2 << 30},
		{"123", 123},
		{"7B", 7},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.in), func(t *testing.T) {
			got, err := parseSize(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("parseSize(%v) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
	for _, in := range []any{int64(0), "0MiB", "MiB", "1.5MiB", "25mib", "99999999999GiB", true} {
		t.Run(fmt.Sprintf("rejects_%v", in), func(t *testing.T) {
			if got, err := parseSize(in); err == nil {
				t.Errorf("parseSize(%v) = %d, want error", in, got)
			}
		})
	}
}

func TestParts(t *testing.T) {
	tests := []struct {
		name string
		cfg  *Config
		want []string
	}{
		{"nil_config", nil, nil},
		{"nothing", &Config{}, nil},
		{"discord_only", &Config{Discord: &Discord{}}, []string{"bot", "scheduler"}},
		{"mail_and_http", &Config{Mail: &Mail{}, HTTP: &HTTP{}}, []string{"mail", "http"}},
		{"all", &Config{Discord: &Discord{}, Mail: &Mail{}, HTTP: &HTTP{}}, []string{"bot", "scheduler", "mail", "http"}},
		{"smtp_without_discord", &Config{SMTP: &SMTP{}, Mail: &Mail{}}, []string{"smtp", "scheduler", "mail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.Parts(); !slices.Equal(got, tt.want) {
				t.Errorf("Parts() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLocate(t *testing.T) {
	src := "\ufeff# comment\n" +
		"[log] # trailing\n" +
		"level = \"info\"\n" +
		"s = \"\"\"\nmulti\nline = 1\n\"\"\"\n" +
		"l = '''\nx'''\n" +
		"\"quoted key\" = { a = 1, b = [1, 2] }\n" +
		"[[groups]]\n" +
		"slug = \"a\"\n" +
		"[[groups]]\n" +
		"slug = \"b\" # c\n" +
		"[groups.sub]\n" +
		"x = 1979-05-27 07:32:00\n" +
		"y.z = 'lit'\n"
	lines := locate(src)
	want := map[string]int{
		"log":                   2,
		"log.level":             3,
		"log.s":                 4,
		"log.l":                 8,
		`log."quoted key"`:      10,
		`log."quoted key".b[1]`: 10,
		"groups":                11,
		"groups[0]":             11,
		"groups[0].slug":        12,
		"groups[1]":             13,
		"groups[1].slug":        14,
		"groups[1].sub":         15,
		"groups[1].sub.x":       16,
		"groups[1].sub.y.z":     17,
	}
	for k, w := range want {
		if lines[k] != w {
			t.Errorf("line of %s = %d, want %d", k, lines[k], w)
		}
	}
	if _, ok := lines["log.line"]; ok {
		t.Errorf("key inside a multi-line string was located")
	}
}

func FuzzParse(f *testing.F) {
	if example, err := os.ReadFile("../coordbot.example.toml"); err == nil {
		f.Add(string(example))
	}
	for _, s := range []string{
		"", "[log]\nlevel = 1\n", "groups = [{slug = 'a', name = 'A', x = [1, {y = 2}]}]\n",
		"[[groups]]\nslug = \"a\"\n[groups.x]\ny = \"\"\"\n\"\"\"\"\n",
		"a.\"b.c\".'d' = { e = [ [1], [], {f = 1} ] }\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cfg, err := Parse("f.toml", []byte(src), bothSecrets())
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("bad error %q (%T)", err, err)
			}
			if cfg != nil {
				t.Fatal("config returned with error")
			}
			return
		}
		if cfg == nil {
			t.Fatal("nil config without error")
		}
		_ = locate(src)
	})
}

func TestMissingSecretsLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coordbot.toml")
	data := "[discord]\nguild_id = \"123\"\n" + mailOK[:strings.Index(mailOK, "password")]
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, true, env(nil))
	if err != nil {
		t.Fatalf("Load without secrets: %v", err)
	}
	if cfg.Discord == nil || cfg.Discord.Token != "" || cfg.Mail == nil || cfg.Mail.Password != "" {
		t.Fatalf("Discord = %+v, Mail = %+v; want both configured without secrets", cfg.Discord, cfg.Mail)
	}
	err = cfg.RequireSecrets("discord")
	ce := asError(t, err)
	if want := path + ": discord.token: required (set COORDBOT_DISCORD_TOKEN)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	if ce.Key != "discord.token" || ce.Line != 0 {
		t.Errorf("error = %#v", ce)
	}
}

func TestRequireSecrets(t *testing.T) {
	const (
		discordNoToken = "[discord]\nguild_id = \"123\"\n"
		discordToken   = "[discord]\ntoken = \"file-token\"\n"
		mailNoPassword = "[mail]\nimap_addr = \"imap.example.cz:993\"\nusername = \"u\"\n"
	)
	tests := []struct {
		name    string
		toml    string
		env     map[string]string
		parts   []string
		wantErr string // whole Error(); "" for no error
	}{
		{"no_parts", discordNoToken + mailNoPassword, nil, nil, ""},
		{"discord_without_token", discordNoToken, nil, []string{"discord"},
			"coordbot.toml: discord.token: required (set COORDBOT_DISCORD_TOKEN)"},
		{"discord_empty_token_in_file", "[discord]\ntoken = \"\"\n", nil, []string{"discord"},
			"coordbot.toml: discord.token: required (set COORDBOT_DISCORD_TOKEN)"},
		{"discord_token_from_env", discordNoToken, map[string]string{EnvDiscordToken: testToken}, []string{"discord"}, ""},
		{"discord_token_from_file", discordToken, nil, []string{"discord"}, ""},
		{"mail_without_password", mailNoPassword, nil, []string{"mail"},
			"coordbot.toml: mail.password: required (set COORDBOT_IMAP_PASSWORD)"},
		{"mail_password_from_env", mailNoPassword, map[string]string{EnvIMAPPassword: testPassword}, []string{"mail"}, ""},
		{"mail_password_from_file", mailOK, nil, []string{"mail"}, ""},
		{"only_named_parts_checked", discordToken + mailNoPassword, nil, []string{"discord"}, ""},
		{"mail_alone_ignores_discord", discordNoToken + mailOK, nil, []string{"mail"}, ""},
		{"unconfigured_parts_skipped", "[log]\nlevel = \"info\"\n", nil, []string{"discord", "mail"}, ""},
		{"first_missing_in_part_order", discordNoToken + mailNoPassword, nil, []string{"mail", "discord"},
			"coordbot.toml: mail.password: required (set COORDBOT_IMAP_PASSWORD)"},
		{"second_part_missing", discordToken + mailNoPassword, nil, []string{"discord", "mail"},
			"coordbot.toml: mail.password: required (set COORDBOT_IMAP_PASSWORD)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("coordbot.toml", []byte(tt.toml), env(tt.env))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = cfg.RequireSecrets(tt.parts...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("RequireSecrets(%q) = %v, want nil", tt.parts, err)
				}
				return
			}
			asError(t, err)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("RequireSecrets(%q) = %v, want %q", tt.parts, err, tt.wantErr)
			}
		})
	}

	t.Run("unknown_part_is_not_a_config_error", func(t *testing.T) {
		cfg, err := Parse("coordbot.toml", []byte(discordToken), nil)
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.RequireSecrets("discord", "smtp-typo")
		var ce *Error
		if err == nil || errors.As(err, &ce) || !strings.Contains(err.Error(), `unknown part "smtp-typo"`) {
			t.Errorf("RequireSecrets = %v (%T), want a plain error naming the part", err, err)
		}
	})

	t.Run("never_prints_the_secret", func(t *testing.T) {
		cfg, err := Parse("coordbot.toml", []byte(discordToken+mailNoPassword), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.RequireSecrets("discord", "mail"); err == nil || strings.Contains(err.Error(), "file-token") {
			t.Errorf("RequireSecrets = %v", err)
		}
	})
}

func TestHTTPPublicURL(t *testing.T) {
	cfg, err := Parse("coordbot.toml", []byte("[http]\naddr = \"127.0.0.1:8080\"\npublic_url = \"https://porady.kr-ustecky.example/\"\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.PublicURL != "https://porady.kr-ustecky.example" {
		t.Errorf("public_url %q, want it without the trailing slash", cfg.HTTP.PublicURL)
	}
	cfg, err = Parse("coordbot.toml", []byte("[http]\naddr = \"127.0.0.1:8080\"\n"), env(nil))
	if err != nil || cfg.HTTP.PublicURL != "" {
		t.Errorf("without public_url: %q %v", cfg.HTTP.PublicURL, err)
	}
}
