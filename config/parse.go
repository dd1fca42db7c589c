package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// raw holds one TOML value as parsed, whatever its type, so that type
// errors are reported by this package with the full key (including array
// indices) rather than by the TOML decoder.
type raw struct {
	v   any
	set bool
}

// UnmarshalTOML implements toml.Unmarshaler.
func (r *raw) UnmarshalTOML(v any) error {
	r.v, r.set = v, true
	return nil
}

// The raw* types mirror the file. Their toml tags are the accepted keys.
type (
	rawFile struct {
		Log      *rawLog      `toml:"log"`
		Database *rawDatabase `toml:"database"`
		Discord  *rawDiscord  `toml:"discord"`
		Mail     *rawMail     `toml:"mail"`
		SMTP     *rawSMTP     `toml:"smtp"`
		HTTP     *rawHTTP     `toml:"http"`
		Groups   []rawGroup   `toml:"groups"`
	}
	rawSMTP struct {
		Addr     raw `toml:"addr"`
		TLS      raw `toml:"tls"`
		Username raw `toml:"username"`
		Password raw `toml:"password"`
		From     raw `toml:"from"`
	}
	rawLog struct {
		Level  raw `toml:"level"`
		Format raw `toml:"format"`
	}
	rawDatabase struct {
		Path raw `toml:"path"`
	}
	rawDiscord struct {
		Token         raw `toml:"token"`
		GuildID       raw `toml:"guild_id"`
		ApplicationID raw `toml:"application_id"`
		APIURL        raw `toml:"api_url"`
	}
	rawMail struct {
		IMAPAddr          raw `toml:"imap_addr"`
		TLS               raw `toml:"tls"`
		Username          raw `toml:"username"`
		Password          raw `toml:"password"`
		Mailbox           raw `toml:"mailbox"`
		ArchiveMailbox    raw `toml:"archive_mailbox"`
		QuarantineMailbox raw `toml:"quarantine_mailbox"`
		AllowedSenders    raw `toml:"allowed_senders"`
		Address           raw `toml:"address"`
		MaxMessageSize    raw `toml:"max_message_size"`
		MatchWindow       raw `toml:"match_window"`
		PollInterval      raw `toml:"poll_interval"`
	}
	rawHTTP struct {
		Addr           raw `toml:"addr"`
		PublicURL      raw `toml:"public_url"`
		ClientIPHeader raw `toml:"client_ip_header"`
	}
	rawGroup struct {
		Slug              raw `toml:"slug"`
		Name              raw `toml:"name"`
		DiscordChannelID  raw `toml:"discord_channel_id"`
		CoordinatorRoleID raw `toml:"coordinator_role_id"`
		MemberRoleID      raw `toml:"member_role_id"`
		TimeZone          raw `toml:"time_zone"`
		Locale            raw `toml:"locale"`
		Reminders         raw `toml:"reminders"`
		AgendaCall        raw `toml:"agenda_call"`
		AgendaDeadline    raw `toml:"agenda_deadline"`
		Nudge             raw `toml:"nudge"`
		MinutesNudge      raw `toml:"minutes_nudge"`
		EmailReminders    raw `toml:"email_reminders"`
		CalendarToken     raw `toml:"calendar_token"`
	}
)

// checker collects problems; the first one by position is reported.
type checker struct {
	errs []*Error
}

// add records a problem with key.
func (c *checker) add(key, format string, args ...any) {
	c.errs = append(c.errs, &Error{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// first returns the first problem: the one on the lowest line, problems
// without a line last, ties in the order they were found.
func (c *checker) first(name string, data []byte) error {
	if len(c.errs) == 0 {
		return nil
	}
	lines := locate(string(data))
	for _, e := range c.errs {
		e.File = name
		e.Line = lines[e.Key]
	}
	sort.SliceStable(c.errs, func(i, j int) bool {
		a, b := c.errs[i].Line, c.errs[j].Line
		if (a == 0) != (b == 0) {
			return b == 0
		}
		return a < b
	})
	return c.errs[0]
}

// parse implements Parse.
func parse(name string, data []byte, getenv func(string) string) (*Config, error) {
	// Pass 1: syntax, and the generic tree used for structure checks and
	// for locating unknown keys inside [[groups]].
	var tree map[string]any
	if _, err := toml.Decode(string(data), &tree); err != nil {
		return nil, syntaxError(name, data, err)
	}
	groups, err := checkStructure(tree)
	if err != nil {
		err.File = name
		err.Line = locate(string(data))[err.Key]
		return nil, err
	}

	// Pass 2: decode into the raw structs; MetaData tells which keys are
	// unknown.
	var rf rawFile
	md, derr := toml.Decode(string(data), &rf)
	if derr != nil {
		// checkStructure should have caught everything the decoder can
		// reject; report it as it comes.
		return nil, syntaxError(name, data, derr)
	}
	c := &checker{}
	seen := make(map[string]int)
	for _, k := range md.Undecoded() {
		c.add(unknownKeyPath(k, groups, seen), "unknown key")
	}
	checkCase(c, tree, reflect.TypeFor[rawFile](), "")

	cfg := build(c, &rf, getenv)
	if err := c.first(name, data); err != nil {
		return nil, err
	}
	cfg.File = name
	return cfg, nil
}

// syntaxError converts an error from the TOML decoder. The decoder's
// messages quote the text they stumbled on, and its ParseError carries the
// whole input, so neither is kept: the message is rewritten when the line
// holds a secret key and scrubbed of anything a secret line holds
// otherwise (see secret.go).
func syntaxError(name string, data []byte, err error) *Error {
	e := &Error{File: name, Msg: "syntax error: " + strings.TrimPrefix(err.Error(), "toml: ")}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		e.Line = pe.Position.Line
		e.Msg = "syntax error: " + pe.Message
		if key, ok := secretOnLine(data, e.Line, pe.LastKey); ok {
			e.Msg = fmt.Sprintf("syntax error: the value of %s cannot be read; write it in double quotes, "+
				"like %s = \"...\" (not shown here because it is a secret)", key, lastSegment(key))
		}
	}
	e.Msg = scrubSecrets(e.Msg, data)
	e.err = errors.New(e.Msg)
	return e
}

// checkStructure checks that the sections are tables and groups an array
// of tables, so that decoding into rawFile cannot fail, and returns the
// groups.
func checkStructure(tree map[string]any) ([]map[string]any, *Error) {
	keys := make([]string, 0, len(tree))
	for k := range tree {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t := reflect.TypeFor[rawFile]()
	for _, k := range keys {
		for i := 0; i < t.NumField(); i++ {
			name := t.Field(i).Tag.Get("toml")
			if k != name && strings.EqualFold(k, name) {
				return nil, &Error{Key: quoteKey(k), Msg: fmt.Sprintf("unknown key (keys are case-sensitive: did you mean %q?)", name)}
			}
		}
	}
	for _, k := range []string{"log", "database", "discord", "mail", "smtp", "http"} {
		if v, ok := tree[k]; ok {
			if _, ok := v.(map[string]any); !ok {
				return nil, &Error{Key: k, Msg: fmt.Sprintf("must be a table ([%s]), not %s", k, typeName(v))}
			}
		}
	}
	const groupsMsg = "must be an array of tables: write each group as [[groups]]"
	switch v := tree["groups"].(type) {
	case nil:
		return nil, nil
	case []map[string]any:
		return v, nil
	case []any:
		groups := make([]map[string]any, 0, len(v))
		for i, g := range v {
			m, ok := g.(map[string]any)
			if !ok {
				return nil, &Error{Key: indexKey("groups", i), Msg: fmt.Sprintf("must be a table, not %s", typeName(g))}
			}
			groups = append(groups, m)
		}
		return groups, nil
	default:
		return nil, &Error{Key: "groups", Msg: groupsMsg}
	}
}

// unknownKeyPath returns the path of an undecoded key. Keys inside
// [[groups]] get the index of their group: the n-th occurrence of a key
// belongs to the n-th group that has it.
func unknownKeyPath(k toml.Key, groups []map[string]any, seen map[string]int) string {
	path := ""
	start := 0
	if len(k) >= 2 && k[0] == "groups" {
		full := k.String()
		n := seen[full]
		seen[full] = n + 1
		for i, g := range groups {
			if hasPath(g, k[1:]) {
				if n == 0 {
					path, start = indexKey("groups", i), 1
					break
				}
				n--
			}
		}
	}
	for _, seg := range k[start:] {
		path = joinKey(path, seg)
	}
	return path
}

// hasPath reports whether the nested tables m hold the key path k, as far
// as tables go.
func hasPath(m map[string]any, k []string) bool {
	var v any = m
	for _, seg := range k {
		t, ok := v.(map[string]any)
		if !ok {
			return true
		}
		if v, ok = t[seg]; !ok {
			return false
		}
	}
	return true
}

// checkCase reports keys that differ from a known key only in case: the
// TOML decoder matches struct fields case-insensitively, so they are not
// among MetaData.Undecoded.
func checkCase(c *checker, m map[string]any, t reflect.Type, prefix string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := joinKey(prefix, k)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := f.Tag.Get("toml")
			if k != name {
				if strings.EqualFold(k, name) {
					c.add(path, "unknown key (keys are case-sensitive: did you mean %q?)", name)
				}
				continue
			}
			ft := f.Type
			switch {
			case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
				if sub, ok := m[k].(map[string]any); ok {
					checkCase(c, sub, ft.Elem(), path)
				}
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				switch v := m[k].(type) {
				case []map[string]any:
					for j, sub := range v {
						checkCase(c, sub, ft.Elem(), indexKey(path, j))
					}
				case []any:
					for j, e := range v {
						if sub, ok := e.(map[string]any); ok {
							checkCase(c, sub, ft.Elem(), indexKey(path, j))
						}
					}
				}
			}
		}
	}
}

// typeName names the TOML type of a decoded value.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// build converts the raw file into a Config with defaults, environment and
// validation, recording problems in c.
func build(c *checker, rf *rawFile, getenv func(string) string) *Config {
	cfg := &Config{
		Log:      Log{Level: "info", Format: "text"},
		Database: Database{Path: "coordbot.db"},
	}
	if rf.Log != nil {
		c.str("log.level", rf.Log.Level, &cfg.Log.Level)
		c.str("log.format", rf.Log.Format, &cfg.Log.Format)
	}
	c.oneOf("log.level", cfg.Log.Level, "debug", "info", "warn", "error")
	c.oneOf("log.format", cfg.Log.Format, "text", "json")
	if rf.Database != nil {
		c.str("database.path", rf.Database.Path, &cfg.Database.Path)
	}
	if cfg.Database.Path == "" {
		c.add("database.path", "must not be empty")
	}

	token := getenv(EnvDiscordToken)
	switch {
	case rf.Discord != nil:
		cfg.Discord = buildDiscord(c, rf.Discord, token)
	case token != "":
		cfg.Discord = &Discord{Token: Secret(token)}
	}
	if rf.Mail != nil {
		cfg.Mail = buildMail(c, rf.Mail, getenv(EnvIMAPPassword))
	}
	if rf.SMTP != nil {
		cfg.SMTP = buildSMTP(c, rf.SMTP, getenv(EnvSMTPPassword), cfg.Mail)
	}
	if rf.HTTP != nil {
		cfg.HTTP = &HTTP{}
		if c.str("http.addr", rf.HTTP.Addr, &cfg.HTTP.Addr) {
			if _, err := splitHostPort(cfg.HTTP.Addr, false, 0); err != nil {
				c.add("http.addr", "%v", err)
			}
		} else if !rf.HTTP.Addr.set {
			c.add("http.addr", "required when [http] is present, e.g. \"127.0.0.1:8080\"")
		}
		if c.str("http.public_url", rf.HTTP.PublicURL, &cfg.HTTP.PublicURL) && cfg.HTTP.PublicURL != "" {
			if err := checkAPIURL(cfg.HTTP.PublicURL); err != nil {
				c.add("http.public_url", "%v", strings.Replace(err.Error(), "\"http://127.0.0.1:5000\"", "\"https://porady.kr-ustecky.example\"", 1))
			} else {
				cfg.HTTP.PublicURL = strings.TrimRight(cfg.HTTP.PublicURL, "/")
			}
		}
		if c.str("http.client_ip_header", rf.HTTP.ClientIPHeader, &cfg.HTTP.ClientIPHeader) && cfg.HTTP.ClientIPHeader != "" {
			if !validHeaderName(cfg.HTTP.ClientIPHeader) {
				c.add("http.client_ip_header", "must be a header name such as \"X-Forwarded-For\", not %q", cfg.HTTP.ClientIPHeader)
			}
		}
	}

	cfg.Groups = make([]Group, 0, len(rf.Groups))
	slugs := make(map[string]int)
	for i := range rf.Groups {
		g := buildGroup(c, &rf.Groups[i], indexKey("groups", i))
		if isSlug(g.Slug) {
			if j, dup := slugs[g.Slug]; dup {
				c.add(indexKey("groups", i)+".slug", "duplicate slug %q (also used by groups[%d])", g.Slug, j)
			} else {
				slugs[g.Slug] = i
			}
		}
		cfg.Groups = append(cfg.Groups, g)
	}
	return cfg
}

// str stores the string value r of key in dst if it is set. It reports
// whether it did; a value that is not a string is a problem.
func (c *checker) str(key string, r raw, dst *string) bool {
	if !r.set {
		return false
	}
	s, ok := r.v.(string)
	if !ok {
		c.add(key, "must be a string, not %s", typeName(r.v))
		return false
	}
	*dst = s
	return true
}

// oneOf checks that v is one of allowed.
func (c *checker) oneOf(key, v string, allowed ...string) bool {
	if slices.Contains(allowed, v) {
		return true
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	c.add(key, "must be %s or %s, not %q", strings.Join(quoted[:len(quoted)-1], ", "), quoted[len(quoted)-1], v)
	return false
}

// offset stores the offset value r of key in dst if it is set. With
// allowOff, "off" stores 0; otherwise the offset must be greater than zero.
func (c *checker) offset(key string, r raw, dst *time.Duration, allowOff bool) {
	if !r.set {
		return
	}
	s, ok := r.v.(string)
	if !ok {
		c.add(key, "must be a string such as \"3d\" or \"12h\", not %s", typeName(r.v))
		return
	}
	if allowOff && s == "off" {
		*dst = 0
		return
	}
	d, err := ParseOffset(s)
	if err != nil {
		c.add(key, "%v", err)
		return
	}
	if d == 0 {
		if allowOff {
			c.add(key, "must be greater than zero; use \"off\" to disable")
		} else {
			c.add(key, "must be greater than zero")
		}
		return
	}
	*dst = d
}

// snowflake stores the Discord ID r of key in dst if it is set: digits, or
// "" for none.
func (c *checker) snowflake(key string, r raw, dst *string) {
	if c.str(key, r, dst) && *dst != "" && !isSnowflake(*dst) {
		c.add(key, "must be a Discord ID (digits only, e.g. \"1203456789012345678\"), not %q", *dst)
	}
}

// isSnowflake reports whether s is a Discord ID.
func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		d := uint64(s[i] - '0')
		if s[i] < '0' || s[i] > '9' || n > (1<<64-1-d)/10 {
			return false
		}
		n = n*10 + d
	}
	return true
}

// validHeaderName reports whether s is an HTTP header name (an RFC 9110
// token).
func validHeaderName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return s != ""
}
