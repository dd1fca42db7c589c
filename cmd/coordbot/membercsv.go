package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/store"
)

// MemberRow is one member read from a member list by [parseMemberCSV].
type MemberRow struct {
	// Name is the person's name as written, e.g. "Mgr. Jana Nováková".
	Name string
	// Organisation is the body they represent, or "".
	Organisation string
	// Email is a bare address, lower-cased.
	Email string
	// DiscordID is the person's Discord user ID (digits), or "".
	DiscordID string
	// Role is [store.RoleMember] or [store.RoleCoordinator], or "" when the
	// file gives none; the importer decides what that means.
	Role string
	// Notify is the channel preference ([store.NotifyAuto] and the others),
	// or "" when the file gives none.
	Notify string
	// Line is the line of the file the row starts on; the header is line 1.
	Line int
}

// memberCSVError is one problem in a member list.
type memberCSVError struct {
	File string
	Line int // 0 when the problem concerns the whole file
	Msg  string
}

func (e *memberCSVError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// Columns of a member list.
const (
	colName         = "name"
	colOrganisation = "organisation"
	colEmail        = "email"
	colDiscordID    = "discord_id"
	colRole         = "role"
	colNotify       = "notify"
)

// memberColumns maps a header, lower-cased, to its column: the English
// names and the Czech ones people write in Excel.
var memberColumns = map[string]string{
	"name": colName, "jméno": colName, "jmeno": colName,
	"organisation": colOrganisation, "organization": colOrganisation, "organizace": colOrganisation,
	"email": colEmail, "e-mail": colEmail,
	"discord_id": colDiscordID,
	"role":       colRole,
	"notify":     colNotify, "oznámení": colNotify, "oznameni": colNotify, "kanál": colNotify, "kanal": colNotify,
}

// memberRoles maps a role, lower-cased, to the store's; Czech in both
// genders, since a list of people says "koordinátorka".
var memberRoles = map[string]string{
	"member": store.RoleMember, "člen": store.RoleMember, "clen": store.RoleMember,
	"členka": store.RoleMember, "clenka": store.RoleMember,
	"coordinator": store.RoleCoordinator, "koordinátor": store.RoleCoordinator, "koordinator": store.RoleCoordinator,
	"koordinátorka": store.RoleCoordinator, "koordinatorka": store.RoleCoordinator,
}

// memberNotify maps a channel preference, lower-cased, to the store's:
// the English names and the Czech ones (those of the bot's /member set).
var memberNotify = map[string]string{
	"auto": store.NotifyAuto, "automaticky": store.NotifyAuto,
	"discord": store.NotifyDiscord,
	"email":   store.NotifyEmail, "e-mail": store.NotifyEmail,
	"both": store.NotifyBoth, "oboje": store.NotifyBoth, "obojí": store.NotifyBoth, "oboji": store.NotifyBoth,
}

// parseNotify reads a channel preference as a member list or the -notify
// flag gives it.
func parseNotify(s string) (string, error) {
	if n, ok := memberNotify[strings.ToLower(norm.NFC.String(strings.TrimSpace(s)))]; ok {
		return n, nil
	}
	return "", fmt.Errorf("notify %q: want auto, discord, email or both (automaticky, discord, e-mail, oboje)", s)
}

// utf8BOM is what Excel's "CSV UTF-8" puts at the start of the file.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readMemberCSV reads the member list at path; see [parseMemberCSV].
func readMemberCSV(path string) ([]MemberRow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("member list: %w", err)
	}
	return parseMemberCSV(path, data)
}

// parseMemberCSV parses a member list for `coordbot member import`; name
// is the file name used in errors.
//
// The first line is the header: name, organisation and email (or Czech
// jméno, organizace, e-mail), optionally discord_id, role and notify (the
// channel preference, Czech oznámení or kanál), in any order and any case. The separator is "," or ";", whichever the header uses
// (Czech Excel writes ";"). The text is UTF-8, with or without a byte order
// mark, or else windows-1250, which is what Czech Excel's plain "CSV"
// writes; it is decoded without comment. Fields are quoted as in RFC 4180.
// Blank lines and rows with only empty fields (Excel writes ";;;;" for an
// empty row) are skipped.
//
// Every row is checked, and the error joins one *memberCSVError per
// problem, each naming its line, so the caller imports nothing when the
// error is not nil.
func parseMemberCSV(name string, data []byte) ([]MemberRow, error) {
	text, err := decodeMemberCSV(name, data)
	if err != nil {
		return nil, err
	}
	problem := func(line int, format string, args ...any) error {
		return &memberCSVError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
	}

	r := csv.NewReader(strings.NewReader(text))
	r.Comma = detectSeparator(text)
	r.FieldsPerRecord = -1 // checked below, so that every bad row is reported
	r.LazyQuotes = false

	var (
		errs     []error
		header   []string // the column of each field; "" for one without a header
		rows     []MemberRow
		emails   = map[string]int{} // address -> line
		discords = map[string]int{} // Discord ID -> line
	)
	for {
		offset := r.InputOffset()
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("member list: %w", err) // reading a string cannot fail otherwise
			}
			errs = append(errs, problem(pe.StartLine, "%s", describeCSVError(pe)))
			if header == nil || r.InputOffset() == offset {
				return nil, errors.Join(errs...) // no columns to check rows against, or no progress
			}
			continue
		}
		line, _ := r.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		if header == nil {
			var msgs []string
			if header, msgs = memberHeader(rec); len(msgs) > 0 {
				for _, msg := range msgs {
					errs = append(errs, problem(line, "%s", msg))
				}
				return nil, errors.Join(errs...)
			}
			continue
		}
		if len(rec) != len(header) {
			errs = append(errs, problem(line, "%d fields, but the header has %d (a field that contains %q must be in quotes)",
				len(rec), len(header), string(r.Comma)))
			continue
		}
		row, msgs := memberRow(header, rec)
		row.Line = line
		if first, dup := emails[row.Email]; dup && row.Email != "" {
			msgs = append(msgs, fmt.Sprintf("e-mail %q is already on line %d", row.Email, first))
		} else if row.Email != "" {
			emails[row.Email] = line
		}
		if first, dup := discords[row.DiscordID]; dup && row.DiscordID != "" {
			msgs = append(msgs, fmt.Sprintf("discord_id %s is already on line %d", row.DiscordID, first))
		} else if row.DiscordID != "" {
			discords[row.DiscordID] = line
		}
		for _, msg := range msgs {
			errs = append(errs, problem(line, "%s", msg))
		}
		if len(msgs) == 0 {
			rows = append(rows, row)
		}
	}
	if header == nil {
		errs = append(errs, problem(0, "empty file: the first line must be the header, e.g. name;organisation;email"))
	} else if len(rows) == 0 && len(errs) == 0 {
		errs = append(errs, problem(0, "no members below the header"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rows, nil
}

// decodeMemberCSV returns the text of the file without a byte order mark.
func decodeMemberCSV(name string, data []byte) (string, error) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return "", &memberCSVError{File: name, Msg: `the file is UTF-16 (Excel's "Unicode Text"); save it as "CSV UTF-8"`}
	}
	if rest, ok := bytes.CutPrefix(data, utf8BOM); ok {
		if !utf8.Valid(rest) {
			bad := 0 // the first byte that is not UTF-8
			for bad < len(rest) {
				r, size := utf8.DecodeRune(rest[bad:])
				if r == utf8.RuneError && size == 1 {
					break
				}
				bad += size
			}
			return "", &memberCSVError{File: name, Line: 1 + bytes.Count(rest[:bad], []byte("\n")),
				Msg: "not valid UTF-8, although the file starts with a UTF-8 byte order mark"}
		}
		return string(rest), nil
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	// Czech Excel's plain "CSV" is windows-1250. Every byte decodes (the
	// five unassigned ones to U+FFFD), so a file in yet another encoding
	// shows up as an unknown column in the header or as odd letters.
	text, err := charmap.Windows1250.NewDecoder().Bytes(data)
	if err != nil {
		return "", fmt.Errorf("member list: %s: decode windows-1250: %w", name, err)
	}
	return string(text), nil
}

// detectSeparator returns ';' when the first non-blank line, the header,
// has more semicolons than commas outside quotes, and ',' otherwise.
func detectSeparator(text string) rune {
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		commas, semicolons, quoted := 0, 0, false
		for _, c := range line {
			switch {
			case c == '"':
				quoted = !quoted
			case quoted:
			case c == ',':
				commas++
			case c == ';':
				semicolons++
			}
		}
		if semicolons > commas {
			return ';'
		}
		return ','
	}
	return ','
}

// memberHeader maps the header fields to columns; "" marks an empty
// header, whose column must stay empty. It returns the problems found.
func memberHeader(rec []string) ([]string, []string) {
	cols := make([]string, len(rec))
	seen := map[string]bool{}
	var problems []string
	for i, h := range rec {
		h = strings.ToLower(norm.NFC.String(strings.TrimSpace(h)))
		if h == "" {
			continue
		}
		col, ok := memberColumns[h]
		if !ok {
			problems = append(problems, fmt.Sprintf("unknown column %q: the columns are name, organisation, email, discord_id, role and notify "+
				"(or jméno, organizace, e-mail, oznámení)", rec[i]))
			continue
		}
		if seen[col] {
			problems = append(problems, fmt.Sprintf("column %s appears twice", col))
			continue
		}
		seen[col] = true
		cols[i] = col
	}
	for _, col := range []string{colName, colOrganisation, colEmail} {
		if !seen[col] {
			problems = append(problems, fmt.Sprintf("no column %s in the header (want name, organisation and email; discord_id, role and notify are optional)", col))
		}
	}
	return cols, problems
}

// memberRow converts one record, whose fields match header, and returns
// its problems. Email and DiscordID are set only when they are valid, so
// that the caller checks only valid ones for duplicates.
func memberRow(header, rec []string) (MemberRow, []string) {
	var row MemberRow
	var msgs []string
	var email, discordID, role, notify string
	for i, v := range rec {
		v = strings.TrimSpace(v)
		switch header[i] {
		case colName:
			row.Name = norm.NFC.String(v)
		case colOrganisation:
			row.Organisation = norm.NFC.String(v)
		case colEmail:
			email = v
		case colDiscordID:
			discordID = v
		case colRole:
			role = v
		case colNotify:
			notify = v
		case "":
			if v != "" {
				msgs = append(msgs, fmt.Sprintf("%q is in column %d, which has no header", v, i+1))
			}
		}
	}
	if row.Name == "" {
		msgs = append(msgs, "no name")
	}
	if email == "" {
		msgs = append(msgs, "no e-mail address")
	} else if addr, err := bareAddress(email); err != nil {
		msgs = append(msgs, err.Error())
	} else {
		row.Email = addr
	}
	if discordID != "" {
		if err := checkDiscordID(discordID); err != nil {
			msgs = append(msgs, err.Error())
		} else {
			row.DiscordID = discordID
		}
	}
	if role != "" {
		var ok bool
		if row.Role, ok = memberRoles[strings.ToLower(role)]; !ok {
			msgs = append(msgs, fmt.Sprintf("role %q: want member or coordinator (člen, koordinátor), or nothing", role))
		}
	}
	if notify != "" {
		var err error
		if row.Notify, err = parseNotify(notify); err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	return row, msgs
}

// blankRecord reports whether every field of rec is blank.
func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// bareAddress checks s by the core's rule for a member's address
// ([meeting.CheckEmail]) and returns it lower-cased, so that the whole file
// is checked before anything is imported.
func bareAddress(s string) (string, error) {
	addr, err := meeting.CheckEmail(s)
	if r, ok := meeting.IsRefusal(err); ok {
		return "", errors.New(r.Message(i18n.English))
	}
	return addr, err
}

// checkDiscordID checks that s is a Discord user ID: a snowflake, digits
// that fit in 64 bits.
func checkDiscordID(s string) error {
	if strings.ContainsAny(s, "eE") && strings.ContainsAny(s, "+,.") {
		// Excel shows an 18-digit number as 1,20346E+17 and saves it so,
		// having already dropped digits past the fifteenth.
		return fmt.Errorf("discord_id %q: Excel turned the ID into a number; format the column as Text and enter the IDs again", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("discord_id %q: want a Discord user ID, digits only, e.g. 1203456789012345678", s)
		}
	}
	if _, err := strconv.ParseUint(s, 10, 64); err != nil {
		return fmt.Errorf("discord_id %q: too long for a Discord user ID", s)
	}
	return nil
}

// describeCSVError says what is wrong with a record that encoding/csv
// could not read, for someone who edits the file in Excel or by hand.
func describeCSVError(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return `a " inside a field that does not start with one; put the field in quotes and double the " inside ("Spolek ""Most""")`
	case errors.Is(pe.Err, csv.ErrQuote):
		if pe.Line != pe.StartLine {
			return fmt.Sprintf("a quoted field is not closed (or has text after its closing \") by line %d", pe.Line)
		}
		return `a quoted field has text after its closing " (or is not closed)`
	default:
		return pe.Err.Error()
	}
}
