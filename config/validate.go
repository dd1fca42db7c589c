package config

import (
	"cmp"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"coordbot/i18n"
)

// minCalendarToken is the minimum length of groups[].calendar_token.
const minCalendarToken = 16

// buildDiscord converts and checks [discord]; envToken, when non-empty,
// wins over discord.token.
func buildDiscord(c *checker, r *rawDiscord, envToken string) *Discord {
	d := &Discord{}
	var token string
	c.str("discord.token", r.Token, &token)
	if envToken != "" {
		token = envToken
	}
	// A missing token is not an error here: only the commands that connect
	// need it, and they call RequireSecrets.
	d.Token = Secret(token)
	c.snowflake("discord.guild_id", r.GuildID, &d.GuildID)
	c.snowflake("discord.application_id", r.ApplicationID, &d.ApplicationID)
	if c.str("discord.api_url", r.APIURL, &d.APIURL) && d.APIURL != "" {
		if err := checkAPIURL(d.APIURL); err != nil {
			c.add("discord.api_url", "%v", err)
		}
		d.APIURL = strings.TrimRight(d.APIURL, "/")
	}
	return d
}

// checkAPIURL checks discord.api_url.
func checkAPIURL(s string) error {
	const want = "must be an absolute http or https URL such as \"http://127.0.0.1:5000\""
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%s, not %q", want, s)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%s, not %q", want, s)
	}
	if u.User != nil {
		return fmt.Errorf("must not contain a user name or password")
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#") {
		return fmt.Errorf("must not contain a query or fragment, not %q", s)
	}
	return nil
}

// buildSMTP converts and checks [smtp]; envPassword, when non-empty, wins
// over smtp.password. Without smtp.from the sender is mail.address, so one
// of them is required.
func buildSMTP(c *checker, r *rawSMTP, envPassword string, mc *Mail) *SMTP {
	s := &SMTP{}
	var host, port string
	hostOK := false
	if c.str("smtp.addr", r.Addr, &s.Addr) {
		h, err := splitHostPort(s.Addr, true, 1)
		if err != nil {
			c.add("smtp.addr", "%v", err)
		} else {
			host, hostOK = h, true
			_, port, _ = net.SplitHostPort(s.Addr)
		}
	} else if !r.Addr.set {
		c.add("smtp.addr", "required, e.g. \"smtp.example.cz:587\"")
	}
	s.TLS = "starttls"
	if port == "465" {
		s.TLS = "tls"
	}
	c.str("smtp.tls", r.TLS, &s.TLS)
	if c.oneOf("smtp.tls", s.TLS, "tls", "starttls", "none") && s.TLS == "none" && hostOK && !isLoopback(host) {
		c.add("smtp.tls", "\"none\" would send mail and any password unencrypted, so it is allowed only when "+
			"smtp.addr is a loopback address (localhost, 127.0.0.0/8, ::1), and %q is not; use \"tls\" or \"starttls\"", host)
	}
	c.str("smtp.username", r.Username, &s.Username)
	var password string
	c.str("smtp.password", r.Password, &password)
	if envPassword != "" {
		password = envPassword
	}
	s.Password = Secret(password)
	if c.str("smtp.from", r.From, &s.From) && s.From != "" {
		a, err := mail.ParseAddress(s.From)
		if err != nil {
			c.add("smtp.from", "must be an address such as \"Krajská síť <koordinace@example.cz>\": %v", err)
		} else {
			s.FromName, s.FromAddress = a.Name, strings.ToLower(a.Address)
		}
	}
	if s.From == "" && (mc == nil || mc.Address == "") {
		c.add("smtp.from", "required when mail.address is not set: the address mail is sent from")
	}
	return s
}

// buildMail converts and checks [mail]; envPassword, when non-empty, wins
// over mail.password.
func buildMail(c *checker, r *rawMail, envPassword string) *Mail {
	m := &Mail{
		TLS:               "tls",
		Mailbox:           "INBOX",
		ArchiveMailbox:    "Archive",
		QuarantineMailbox: "Quarantine",
		AllowedSenders:    []string{},
		MaxMessageSize:    DefaultMaxMessageSize,
		MatchWindow:       DefaultMatchWindow,
		PollInterval:      time.Minute,
	}

	var host string
	hostOK := false
	if c.str("mail.imap_addr", r.IMAPAddr, &m.IMAPAddr) {
		h, err := splitHostPort(m.IMAPAddr, true, 1)
		if err != nil {
			c.add("mail.imap_addr", "%v", err)
		} else {
			host, hostOK = h, true
		}
	} else if !r.IMAPAddr.set {
		c.add("mail.imap_addr", "required, e.g. \"imap.example.cz:993\"")
	}

	c.str("mail.tls", r.TLS, &m.TLS)
	if c.oneOf("mail.tls", m.TLS, "tls", "starttls", "none") && m.TLS == "none" && hostOK && !isLoopback(host) {
		c.add("mail.tls", "\"none\" would send the password unencrypted, so it is allowed only when "+
			"mail.imap_addr is a loopback address (localhost, 127.0.0.0/8, ::1), and %q is not; use \"tls\" or \"starttls\"", host)
	}

	if c.str("mail.username", r.Username, &m.Username); m.Username == "" {
		c.add("mail.username", "required")
	}

	var password string
	c.str("mail.password", r.Password, &password)
	if envPassword != "" {
		password = envPassword
	}
	// A missing password is not an error here: only the commands that log
	// in need it, and they call RequireSecrets.
	m.Password = Secret(password)

	boxes := []struct {
		key string
		r   raw
		dst *string
	}{
		{"mail.mailbox", r.Mailbox, &m.Mailbox},
		{"mail.archive_mailbox", r.ArchiveMailbox, &m.ArchiveMailbox},
		{"mail.quarantine_mailbox", r.QuarantineMailbox, &m.QuarantineMailbox},
	}
	boxesOK := true
	for _, b := range boxes {
		c.str(b.key, b.r, b.dst)
		if *b.dst == "" {
			c.add(b.key, "must not be empty")
			boxesOK = false
		}
	}
	if boxesOK {
		if sameMailbox(m.ArchiveMailbox, m.Mailbox) {
			c.add("mail.archive_mailbox", "must differ from mail.mailbox (%q)", m.Mailbox)
		}
		if sameMailbox(m.QuarantineMailbox, m.Mailbox) {
			c.add("mail.quarantine_mailbox", "must differ from mail.mailbox (%q)", m.Mailbox)
		} else if sameMailbox(m.QuarantineMailbox, m.ArchiveMailbox) {
			c.add("mail.quarantine_mailbox", "must differ from mail.archive_mailbox (%q)", m.ArchiveMailbox)
		}
	}

	if r.AllowedSenders.set {
		list, ok := r.AllowedSenders.v.([]any)
		if !ok {
			c.add("mail.allowed_senders", "must be an array of strings, not %s", typeName(r.AllowedSenders.v))
		}
		for i, v := range list {
			key := indexKey("mail.allowed_senders", i)
			s, ok := v.(string)
			if !ok {
				c.add(key, "must be a string, not %s", typeName(v))
				continue
			}
			sender, err := parseSender(s)
			if err != nil {
				c.add(key, "%v", err)
				continue
			}
			m.AllowedSenders = append(m.AllowedSenders, sender)
		}
	}

	if c.str("mail.address", r.Address, &m.Address) && m.Address != "" {
		if err := checkBareAddress(m.Address); err != nil {
			c.add("mail.address", "%v", err)
		}
	}

	if r.MaxMessageSize.set {
		n, err := parseSize(r.MaxMessageSize.v)
		if err != nil {
			c.add("mail.max_message_size", "%v", err)
		} else {
			m.MaxMessageSize = n
		}
	}
	c.offset("mail.match_window", r.MatchWindow, &m.MatchWindow, false)
	c.offset("mail.poll_interval", r.PollInterval, &m.PollInterval, false)
	return m
}

// sameMailbox reports whether a and b name the same IMAP mailbox: names are
// case-sensitive except INBOX.
func sameMailbox(a, b string) bool {
	return a == b || strings.EqualFold(a, "INBOX") && strings.EqualFold(b, "INBOX")
}

// splitHostPort checks a host:port address and returns the host. needHost
// requires a non-empty host; the port must be a number from minPort to
// 65535.
func splitHostPort(s string, needHost bool, minPort int) (string, error) {
	example := "\"127.0.0.1:8080\""
	if needHost {
		example = "\"imap.example.cz:993\""
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("must be host:port such as %s, not %q", example, s)
	}
	if needHost && host == "" {
		return "", fmt.Errorf("missing host in %q (write host:port such as %s)", s, example)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < minPort || n > 65535 || port[0] == '+' {
		return "", fmt.Errorf("invalid port %q in %q (must be a number from %d to 65535)", port, s, minPort)
	}
	return host, nil
}

// isLoopback reports whether host is "localhost" or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// parseSender parses one mail.allowed_senders entry: a bare address or
// "@domain". The result is lower-case.
func parseSender(s string) (string, error) {
	if domain, ok := strings.CutPrefix(s, "@"); ok {
		if !isDomain(domain) {
			return "", fmt.Errorf("invalid domain in %q (write \"@example.cz\" to allow a whole domain)", s)
		}
		return "@" + strings.ToLower(domain), nil
	}
	if err := checkBareAddress(s); err != nil {
		return "", err
	}
	return strings.ToLower(s), nil
}

// checkBareAddress checks that s is an e-mail address without a display
// name or angle brackets.
func checkBareAddress(s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "mail: ")
		return fmt.Errorf("invalid e-mail address %q: %s", s, msg)
	}
	if a.Name != "" || a.Address != s {
		return fmt.Errorf("must be a bare e-mail address such as \"jan.novak@example.cz\", not %q", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 || !isDomain(s[at+1:]) {
		return fmt.Errorf("invalid domain in e-mail address %q", s)
	}
	return nil
}

// isDomain reports whether s is a syntactically valid domain name (letters,
// including non-ASCII ones, digits and inner hyphens in dot-separated
// labels).
func isDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

// isSlug reports whether s matches ^[a-z0-9][a-z0-9-]*$.
func isSlug(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isURLSafe reports whether s consists of unreserved URL characters.
func isURLSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isBare(c) || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// buildGroup converts and checks one [[groups]] entry; key is its path,
// such as "groups[1]".
func buildGroup(c *checker, r *rawGroup, key string) Group {
	g := Group{
		TimeZone:       i18n.DefaultTimeZone,
		Locale:         "cs",
		Reminders:      []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour},
		AgendaCall:     14 * 24 * time.Hour,
		AgendaDeadline: 3 * 24 * time.Hour,
		Nudge:          3 * 24 * time.Hour,
		MinutesNudge:   7 * 24 * time.Hour,
		EmailReminders: []time.Duration{7 * 24 * time.Hour, 24 * time.Hour},
	}
	k := func(name string) string { return key + "." + name }

	if c.str(k("slug"), r.Slug, &g.Slug); g.Slug == "" {
		c.add(k("slug"), "required (lower-case letters, digits and hyphens, e.g. \"pracovni-skupina\")")
	} else if !isSlug(g.Slug) {
		c.add(k("slug"), "must be lower-case letters, digits and hyphens, starting with a letter or digit (e.g. \"pracovni-skupina\"), not %q", g.Slug)
	}
	if c.str(k("name"), r.Name, &g.Name); strings.TrimSpace(g.Name) == "" {
		c.add(k("name"), "required")
	}
	c.snowflake(k("discord_channel_id"), r.DiscordChannelID, &g.DiscordChannelID)
	c.snowflake(k("coordinator_role_id"), r.CoordinatorRoleID, &g.CoordinatorRoleID)
	c.snowflake(k("member_role_id"), r.MemberRoleID, &g.MemberRoleID)

	c.str(k("time_zone"), r.TimeZone, &g.TimeZone)
	switch g.TimeZone {
	case "":
		c.add(k("time_zone"), "must not be empty (e.g. \"Europe/Prague\")")
	case "Local":
		c.add(k("time_zone"), "\"Local\" depends on the machine; name a zone such as \"Europe/Prague\"")
	default:
		loc, err := time.LoadLocation(g.TimeZone)
		if err != nil {
			c.add(k("time_zone"), "unknown time zone %q", g.TimeZone)
		} else {
			g.Location = loc
		}
	}

	c.str(k("locale"), r.Locale, &g.Locale)
	c.oneOf(k("locale"), g.Locale, "cs", "en")

	if r.EmailReminders.set {
		g.EmailReminders = buildReminders(c, r.EmailReminders, k("email_reminders"))
	}
	if r.Reminders.set {
		g.Reminders = buildReminders(c, r.Reminders, k("reminders"))
	}
	c.offset(k("agenda_call"), r.AgendaCall, &g.AgendaCall, true)
	c.offset(k("agenda_deadline"), r.AgendaDeadline, &g.AgendaDeadline, true)
	c.offset(k("nudge"), r.Nudge, &g.Nudge, true)
	c.offset(k("minutes_nudge"), r.MinutesNudge, &g.MinutesNudge, true)

	var token string
	if c.str(k("calendar_token"), r.CalendarToken, &token) && token != "" {
		switch {
		case utf8.RuneCountInString(token) < minCalendarToken:
			c.add(k("calendar_token"), "must be at least %d characters long (generate one with \"openssl rand -hex 16\")", minCalendarToken)
		case !isURLSafe(token):
			c.add(k("calendar_token"), "may contain only letters, digits, \"-\", \"_\", \".\" and \"~\" (it is part of a URL)")
		}
	}
	g.CalendarToken = Secret(token)
	return g
}

// buildReminders converts groups[].reminders: offsets greater than zero,
// without duplicates, returned longest first.
func buildReminders(c *checker, r raw, key string) []time.Duration {
	list, ok := r.v.([]any)
	if !ok {
		c.add(key, "must be an array of offsets such as [\"7d\", \"1d\", \"1h\"], not %s", typeName(r.v))
		return []time.Duration{}
	}
	out := make([]time.Duration, 0, len(list))
	index := make(map[time.Duration]int, len(list))
	for i, v := range list {
		ek := indexKey(key, i)
		var d time.Duration
		c.offset(ek, raw{v: v, set: true}, &d, false)
		if d == 0 {
			continue // reported by offset
		}
		if j, dup := index[d]; dup {
			c.add(ek, "duplicate reminder %s (same as %s)", FormatOffset(d), indexKey(key, j))
			continue
		}
		index[d] = i
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	return out
}
