// Package config loads, validates and defaults the coordbot configuration.
//
// The configuration is one TOML file (see coordbot.example.toml in the
// repository root). The optional tables "discord", "mail" and "http" switch
// the corresponding parts of the service on: a table that is absent from the
// file leaves its pointer in [Config] nil and that part is not started.
//
// Secrets may come from the environment, which wins over the file:
// COORDBOT_DISCORD_TOKEN for discord.token and COORDBOT_IMAP_PASSWORD for
// mail.password. Secrets are held in [Secret], which never prints its value.
// A missing secret is not a load error, because most commands never talk to
// the server it is for; the commands that do call [Config.RequireSecrets].
//
// Every error returned by [Load] and [Parse] is an [*Error] naming the file,
// the line when it is known, and the offending key.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	// The time zone database is embedded so that group time zones load on
	// machines without one (Windows, scratch containers): coordbot ships as
	// a single binary.
	_ "time/tzdata"
)

// Environment variables read by [Load] and [Parse].
const (
	// EnvDiscordToken overrides discord.token. When set and the file has no
	// [discord] section, a [discord] section with this token is created.
	EnvDiscordToken = "COORDBOT_DISCORD_TOKEN"
	// EnvIMAPPassword overrides mail.password. It is ignored when the file
	// has no [mail] section.
	EnvIMAPPassword = "COORDBOT_IMAP_PASSWORD"
	// EnvSMTPPassword overrides smtp.password. It is ignored when the file
	// has no [smtp] section.
	EnvSMTPPassword = "COORDBOT_SMTP_PASSWORD"
)

// Defaults of the [mail] section. They are the source of truth: the
// commands that file mail without a [mail] section use them too.
const (
	// DefaultMaxMessageSize is the default mail.max_message_size, 25 MiB.
	DefaultMaxMessageSize int64 = 25 << 20
	// DefaultMatchWindow is the default mail.match_window, 30 days.
	DefaultMatchWindow = 30 * 24 * time.Hour
)

// Config is the complete, validated coordbot configuration.
type Config struct {
	// File is the path (or, for [Parse], the name) the configuration was
	// read from; it is "" when Load returned the defaults because there was
	// no file.
	File string `toml:"-"`
	// Log configures logging ([log]).
	Log Log `toml:"log"`
	// Database configures the SQLite database ([database]).
	Database Database `toml:"database"`
	// Discord configures the Discord bot and the scheduler that delivers
	// through it ([discord]); nil when the bot is not configured.
	Discord *Discord `toml:"discord"`
	// Mail configures the IMAP archive of meeting minutes ([mail]); nil when
	// the archive is not configured.
	Mail *Mail `toml:"mail"`
	// SMTP configures the mail coordbot sends (invitations, reminders,
	// answers' receipts) ([smtp]); nil when members are not reached by
	// e-mail.
	SMTP *SMTP `toml:"smtp"`
	// HTTP configures the HTTP server ([http]); nil when it is not
	// configured.
	HTTP *HTTP `toml:"http"`
	// Groups are the coordinator groups ([[groups]]) in file order.
	Groups []Group `toml:"groups"`
}

// Log holds the settings of the "log" table.
type Log struct {
	// Level is log.level: "debug", "info" (default), "warn" or "error".
	Level string `toml:"level"`
	// Format is log.format: "text" (default) or "json".
	Format string `toml:"format"`
}

// Database holds the settings of the "database" table.
type Database struct {
	// Path is database.path, the SQLite file (default "coordbot.db"). A
	// relative path is relative to the working directory, not to the
	// configuration file.
	Path string `toml:"path"`
}

// Discord holds the settings of the "discord" table.
type Discord struct {
	// Token is discord.token, the bot token; COORDBOT_DISCORD_TOKEN wins
	// over the file. It is empty when neither sets it: commands that
	// connect to Discord check it with [Config.RequireSecrets].
	Token Secret `toml:"token"`
	// GuildID is discord.guild_id: the server whose commands are
	// registered, or "" for global commands.
	GuildID string `toml:"guild_id"`
	// ApplicationID is discord.application_id, or "" to take it from the
	// READY event.
	ApplicationID string `toml:"application_id"`
	// APIURL is discord.api_url, the base URL of a Discord-compatible API
	// such as "http://127.0.0.1:5000" (trailing slashes removed); "" means
	// Discord itself.
	APIURL string `toml:"api_url"`
}

// Mail holds the settings of the "mail" table: the IMAP mailbox that meeting
// minutes are sent to.
type Mail struct {
	// IMAPAddr is mail.imap_addr, the server as host:port.
	IMAPAddr string `toml:"imap_addr"`
	// TLS is mail.tls: "tls" (default, implicit TLS), "starttls" or "none".
	// "none" is accepted only when the IMAPAddr host is a loopback address.
	TLS string `toml:"tls"`
	// Username is mail.username, the IMAP login.
	Username string `toml:"username"`
	// Password is mail.password; COORDBOT_IMAP_PASSWORD wins over the file.
	// It is empty when neither sets it: commands that log in to the IMAP
	// server check it with [Config.RequireSecrets].
	Password Secret `toml:"password"`
	// Mailbox is mail.mailbox, where new messages arrive (default "INBOX").
	Mailbox string `toml:"mailbox"`
	// ArchiveMailbox is mail.archive_mailbox, where archived messages are
	// moved (default "Archive").
	ArchiveMailbox string `toml:"archive_mailbox"`
	// QuarantineMailbox is mail.quarantine_mailbox, where messages that
	// cannot be archived are moved (default "Quarantine"). It differs from
	// Mailbox and ArchiveMailbox.
	QuarantineMailbox string `toml:"quarantine_mailbox"`
	// AllowedSenders is mail.allowed_senders: lower-case bare e-mail
	// addresses, or "@domain" entries that allow a whole domain.
	AllowedSenders []string `toml:"allowed_senders"`
	// Address is mail.address, the archive address people send minutes
	// to, used in messages that tell them where to send; "" if not given.
	Address string `toml:"address"`
	// MaxMessageSize is mail.max_message_size in bytes (default 25 MiB).
	MaxMessageSize int64 `toml:"max_message_size"`
	// MatchWindow is mail.match_window, how far from a meeting a message
	// may be dated and still be matched to it (default 30 days).
	MatchWindow time.Duration `toml:"match_window"`
	// PollInterval is mail.poll_interval, how often the mailbox is polled
	// when the server lacks IDLE (default 1 minute).
	PollInterval time.Duration `toml:"poll_interval"`
}

// SMTP holds the settings of the "smtp" table: the server coordbot sends
// its mail through.
type SMTP struct {
	// Addr is smtp.addr, the server as host:port.
	Addr string `toml:"addr"`
	// TLS is smtp.tls: "tls" (implicit TLS, default when the port is
	// 465), "starttls" (default otherwise) or "none" (loopback only).
	TLS string `toml:"tls"`
	// Username is smtp.username, "" for a server that needs no login (a
	// relay on loopback).
	Username string `toml:"username"`
	// Password is smtp.password; COORDBOT_SMTP_PASSWORD wins over the
	// file.
	Password Secret `toml:"password"`
	// From is smtp.from, the sender as "Name <address>" or a bare
	// address; "" means each group's name at mail.address.
	From string `toml:"from"`
	// FromName and FromAddress are From, parsed ("" when From is "").
	FromName    string `toml:"-"`
	FromAddress string `toml:"-"`
}

// HTTP holds the settings of the "http" table.
type HTTP struct {
	// Addr is http.addr, the listen address as host:port; the host may be
	// empty to listen on all interfaces.
	Addr string `toml:"addr"`
	// PublicURL is http.public_url, the address people reach the server
	// at (behind a proxy, the proxy's), such as
	// "https://porady.kr-ustecky.example", without a trailing slash. When
	// set, serve also serves the web pages and e-mails carry sign-in and
	// one-click answer links under it; "" serves only the calendar feeds.
	PublicURL string `toml:"public_url"`
	// ClientIPHeader is http.client_ip_header, the header a reverse proxy
	// in front writes the client's address into ("X-Forwarded-For",
	// "X-Real-IP"), or "" to take the peer's address. The web pages cap
	// sign-in requests per client with it; set it only behind a proxy that
	// writes it, since a client can send any header itself.
	ClientIPHeader string `toml:"client_ip_header"`
}

// Group is one element of the "groups" array of tables: a coordinator group
// that meets.
type Group struct {
	// Slug is the unique identifier of the group (^[a-z0-9][a-z0-9-]*$).
	Slug string `toml:"slug"`
	// Name is the human-readable name of the group.
	Name string `toml:"name"`
	// DiscordChannelID is the channel the group's meetings are announced
	// in, or "".
	DiscordChannelID string `toml:"discord_channel_id"`
	// CoordinatorRoleID is the Discord role of the group's coordinators,
	// or "".
	CoordinatorRoleID string `toml:"coordinator_role_id"`
	// MemberRoleID is the Discord role of the group's members, or "" when
	// everyone who can use the group's channel counts as a member.
	MemberRoleID string `toml:"member_role_id"`
	// TimeZone is the IANA time zone of the group's meetings (default
	// "Europe/Prague").
	TimeZone string `toml:"time_zone"`
	// Location is TimeZone, loaded.
	Location *time.Location `toml:"-"`
	// Locale is the language of the group's messages: "cs" (default) or
	// "en".
	Locale string `toml:"locale"`
	// Reminders are how long before a meeting reminders are sent, longest
	// first, without duplicates; empty (not nil) when reminders are off.
	// Default 7 days, 1 day, 1 hour.
	Reminders []time.Duration `toml:"reminders"`
	// AgendaCall is how long before a meeting the call for agenda items is
	// sent (default 14 days); 0 when disabled ("off").
	AgendaCall time.Duration `toml:"agenda_call"`
	// AgendaDeadline is how long before a meeting agenda items close
	// (default 3 days); 0 when disabled ("off").
	AgendaDeadline time.Duration `toml:"agenda_deadline"`
	// Nudge is how long before a meeting members who have not answered
	// the RSVP are nudged (default 3 days); 0 when disabled ("off").
	Nudge time.Duration `toml:"nudge"`
	// MinutesNudge is how long after a meeting the organizer is nudged if
	// no minutes have arrived (default 7 days); 0 when disabled ("off").
	MinutesNudge time.Duration `toml:"minutes_nudge"`
	// EmailReminders are how long before a meeting e-mail reminders are
	// sent, longest first (default 7 days, 1 day); empty when off.
	EmailReminders []time.Duration `toml:"email_reminders"`
	// CalendarToken is the secret in the group's HTTP calendar URL, or ""
	// when the group has no calendar URL. When set it has at least 16
	// characters, all of them URL-safe (letters, digits, "-", "_", ".",
	// "~").
	CalendarToken Secret `toml:"calendar_token"`
}

// Parts returns the names of the configured parts of the service, in this
// order: "bot" (when Discord is configured), "smtp" (when SMTP is), then
// "scheduler" (when either is: it delivers through them), "mail" (when Mail
// is configured) and "http" (when HTTP is configured).
func (c *Config) Parts() []string {
	if c == nil {
		return nil
	}
	var parts []string
	if c.Discord != nil {
		parts = append(parts, "bot")
	}
	if c.SMTP != nil {
		parts = append(parts, "smtp")
	}
	if c.Discord != nil || c.SMTP != nil {
		parts = append(parts, "scheduler")
	}
	if c.Mail != nil {
		parts = append(parts, "mail")
	}
	if c.HTTP != nil {
		parts = append(parts, "http")
	}
	return parts
}

// RequireSecrets reports whether the secrets of the named parts are set,
// so that a command fails before it connects rather than being refused
// by the server. The parts are "discord" (discord.token), "mail"
// (mail.password) and "smtp" (smtp.password, when smtp.username is
// set). A part whose section is not configured has no secret to require
// and is skipped: a command that needs the section itself checks that it
// is there. The error for the first missing secret is an
// [*Error] naming the key and the environment variable that sets it; an
// unknown part name is a programming error and gets a plain error.
func (c *Config) RequireSecrets(parts ...string) error {
	for _, part := range parts {
		key, envVar, value, configured, err := c.secret(part)
		if err != nil {
			return err
		}
		if configured && value == "" {
			return &Error{File: c.File, Key: key, Msg: "required (set " + envVar + ")"}
		}
	}
	return nil
}

// secret returns the key, the environment variable and the value of the
// one secret of part, and whether the part is configured. A new part with
// a secret is one more case here.
func (c *Config) secret(part string) (key, envVar string, value Secret, configured bool, err error) {
	switch part {
	case "discord":
		if c.Discord != nil {
			value, configured = c.Discord.Token, true
		}
		return "discord.token", EnvDiscordToken, value, configured, nil
	case "mail":
		if c.Mail != nil {
			value, configured = c.Mail.Password, true
		}
		return "mail.password", EnvIMAPPassword, value, configured, nil
	case "smtp":
		// A relay on loopback may need no login; a username needs its
		// password.
		if c.SMTP != nil && c.SMTP.Username != "" {
			value, configured = c.SMTP.Password, true
		}
		return "smtp.password", EnvSMTPPassword, value, configured, nil
	default:
		return "", "", "", false, fmt.Errorf("config: RequireSecrets: unknown part %q", part)
	}
}

// Error is the error returned by [Load], [Parse] and [Config.RequireSecrets].
// It describes the first problem found in the configuration.
type Error struct {
	// File is the path or name of the configuration file.
	File string
	// Line is the 1-based line of the problem, or 0 when it is not known
	// (for example for a required key that is missing).
	Line int
	// Key is the offending key, such as "groups[1].time_zone", or "" when
	// the problem concerns the whole file (syntax errors, unreadable file).
	Key string
	// Msg describes the problem.
	Msg string

	err error // underlying error, for Unwrap
}

// Error returns the problem on one line: "file:line: key: message", leaving
// out the line when it is 0 and the key when it is "".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if e.File == "" {
			b.WriteString("line ")
		} else {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(e.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return oneLine(b.String())
}

// Unwrap returns the underlying error, such as [fs.ErrNotExist] when the
// file is missing, or nil.
func (e *Error) Unwrap() error { return e.err }

// oneLine replaces line breaks so that s prints on one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", " ")
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// Load reads the file at path. If explicit is false and the file does not
// exist, Load returns the defaults (no file needed for a first run), with
// the environment applied; if explicit is true a missing file is an error.
// getenv supplies the environment (os.Getenv in production, a map in
// tests); nil means an empty environment.
func Load(path string, explicit bool, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			cfg, perr := Parse(path, nil, getenv)
			if perr != nil {
				return nil, perr
			}
			cfg.File = ""
			return cfg, nil
		}
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		if errors.Is(err, fs.ErrNotExist) {
			msg = "configuration file not found"
		} else {
			msg = "cannot read the configuration file: " + msg
		}
		return nil, &Error{File: path, Msg: msg, err: err}
	}
	return Parse(path, data, getenv)
}

// Parse is [Load] without the file system: data is the TOML text and name
// is used in errors and stored in [Config.File].
func Parse(name string, data []byte, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return parse(name, data, getenv)
}
