package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	gomail "github.com/emersion/go-message/mail"

	"coordbot/calendar"
	"coordbot/config"
	"coordbot/internal/smtptest"
	"coordbot/internal/testutil"
	"coordbot/store"
)

// The e-mail group of these tests: municipal coordinators who live in
// Outlook, with no Discord channel.
const (
	mailArchive = "archiv@kr-ustecky.example"
	mailGroup   = "mistni-koordinatori"
)

// emailTOML is the configuration of a service that reads its mailbox on
// the Dovecot dv and sends through the SMTP server at smtpAddr.
func emailTOML(dir, imapAddr, imapUser, smtpAddr, smtpUser, smtpTLS string) string {
	return fmt.Sprintf(`
[database]
path = %q

[mail]
imap_addr = %q
tls = "none"
username = %q
address = %q
allowed_senders = ["@kr-ustecky.example"]
poll_interval = "1s"

[smtp]
addr = %q
tls = %q
username = %q

[[groups]]
slug = %q
name = "Místní protidrogoví koordinátoři"
`, filepath.Join(dir, "coordbot.db"), imapAddr, imapUser, mailArchive, smtpAddr, smtpTLS, smtpUser, mailGroup)
}

// invitation is what a mail client sees of one message coordbot sent.
type invitation struct {
	messageID, to, subject string
	method, uid, attendee  string
	partstat, rsvp         string
	sequence               int
}

// readInvitation parses a message and its calendar part with go-message
// and go-ical.
func readInvitation(t *testing.T, raw []byte) invitation {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var inv invitation
	inv.messageID, _ = r.Header.MessageID()
	inv.subject, _ = r.Header.Subject()
	if to, err := r.Header.AddressList("To"); err == nil && len(to) == 1 {
		inv.to = to[0].Address
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		h, ok := p.Header.(*gomail.InlineHeader)
		if !ok {
			continue
		}
		mt, params, _ := h.ContentType()
		if mt != "text/calendar" {
			continue
		}
		cal, err := ical.NewDecoder(p.Body).Decode()
		if err != nil {
			t.Fatalf("calendar part of %s: %v", inv.messageID, err)
		}
		inv.method = cal.Props.Get(ical.PropMethod).Value
		if params["method"] != inv.method {
			t.Errorf("%s: method=%q on the part, METHOD:%s inside", inv.messageID, params["method"], inv.method)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("%s: %d events", inv.messageID, len(events))
		}
		ev := events[0]
		inv.uid, _ = ev.Props.Text(ical.PropUID)
		if inv.sequence, err = ev.Props.Get(ical.PropSequence).Int(); err != nil {
			t.Fatal(err)
		}
		att := ev.Props.Get(ical.PropAttendee)
		inv.attendee = strings.TrimPrefix(strings.ToLower(att.Value), "mailto:")
		inv.partstat, inv.rsvp = att.Params.Get(ical.ParamParticipationStatus), att.Params.Get(ical.ParamRSVP)
	}
	return inv
}

// calendarReply is a REPLY as Thunderbird sends it when Accept is
// pressed: the calendar part inline with method=REPLY and an invite.ics
// attachment, CRLF line ends.
func calendarReply(from, partstat, comment string, meetingID int64, sequence int) []byte {
	cal := strings.Join([]string{
		"BEGIN:VCALENDAR", "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN", "VERSION:2.0", "METHOD:REPLY",
		"BEGIN:VEVENT", "UID:" + calendar.UID(meetingID), fmt.Sprintf("SEQUENCE:%d", sequence),
		"DTSTAMP:20261203T120000Z", "ORGANIZER;CN=Místní protidrogoví koordinátoři:mailto:" + mailArchive,
		"ATTENDEE;PARTSTAT=" + partstat + ";CN=Jana Nováková:mailto:" + from,
		"COMMENT:" + comment, "END:VEVENT", "END:VCALENDAR", ""}, "\r\n")
	return []byte(strings.Join([]string{
		"From: Jana Nováková <" + from + ">", "To: " + mailArchive,
		"Subject: =?UTF-8?Q?P=C5=99ijato=3A_pozv=C3=A1nka?=", "Date: Thu, 03 Dec 2026 12:00:00 +0100",
		"Message-ID: <reply-1@obec-lom.example>", "MIME-Version: 1.0",
		"Content-Type: multipart/mixed; boundary=\"b1\"", "",
		"--b1", "Content-Type: text/calendar; charset=UTF-8; method=REPLY", "Content-Transfer-Encoding: 8bit", "", cal,
		"--b1", "Content-Type: application/ics; name=\"invite.ics\"", "Content-Disposition: attachment; filename=\"invite.ics\"",
		"Content-Transfer-Encoding: 8bit", "", cal, "--b1--", ""}, "\r\n"))
}

// plainReply is a reply typed above the quoted invitation, as Outlook
// writes it.
func plainReply(from, name, inReplyTo, text string) []byte {
	return []byte(strings.Join([]string{
		"From: " + name + " <" + from + ">", "To: " + mailArchive, "Subject: RE: Pozvánka",
		"Date: Thu, 03 Dec 2026 12:05:00 +0100", "Message-ID: <reply-2@mesto-most.example>",
		"In-Reply-To: <" + inReplyTo + ">", "References: <" + inReplyTo + ">", "MIME-Version: 1.0",
		"Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit", "",
		text, "", "-----Original Message-----", "From: Místní protidrogoví koordinátoři <" + mailArchive + ">",
		"Subject: Pozvánka", "", "> Odpovězte prosím Přijdu / Nepřijdu / Možná.", ""}, "\r\n"))
}

// TestEmailChannelRoundTrip runs serve with [smtp] and [mail]: a meeting
// planned on the shell reaches two e-mail members as iMIP invitations
// (read back over IMAP from the Dovecot the SMTP server delivers into),
// Jana accepts with the calendar button and Petr replies "Nepřijdu" in
// plain text, both recorded as answers by e-mail; moving the meeting sends
// a new REQUEST with a higher SEQUENCE and cancelling it a CANCEL above
// that.
func TestEmailChannelRoundTrip(t *testing.T) {
	dv := testutil.Dovecot(t)
	smtpSrv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer smtpSrv.Close()
	// Members' mail lands in their own folder; the intake reads INBOX,
	// the archive address.
	smtpSrv.Deliver = func(m smtptest.Message) error { return dv.Deliver("Members", m.Data) }

	dir := t.TempDir()
	environ := map[string]string{config.EnvIMAPPassword: dv.Password, config.EnvSMTPPassword: smtpSrv.Password}
	writeFile(t, dir, "coordbot.toml", emailTOML(dir, dv.Addr, dv.User, smtpSrv.Addr, smtpSrv.User, "starttls"))
	start := time.Now().Add(10 * 24 * time.Hour).In(time.UTC).Format("2006-01-02T15:04")
	for _, args := range [][]string{
		{"migrate"},
		{"member", "add", "-group", mailGroup, "-name", "Jana Nováková", "-email", "jana@obec-lom.example", "-notify", "email"},
		{"member", "add", "-group", mailGroup, "-name", "Petr Dvořák", "-email", "petr@mesto-most.example"},
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
	sig := &logSignal{Handler: slog.NewTextHandler(logs, nil), msgs: make(chan string, 10000)}
	m := NewMain(cfg, slog.New(sig))
	m.SMTPTLS = smtpSrv.ClientTLS
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// 1. Two invitations, one connection.
	if _, err := smtpSrv.WaitFor(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if n := smtpSrv.Connections(); n != 1 {
		t.Errorf("%d SMTP connections for a fan-out of 2, want 1; logs:\n%s", n, logs.String())
	}
	invs := map[string]invitation{}
	for _, raw := range testutil.Mailbox(t, dv, "Members") {
		inv := readInvitation(t, raw)
		invs[inv.to] = inv
	}
	jana, petr := invs["jana@obec-lom.example"], invs["petr@mesto-most.example"]
	for _, inv := range []invitation{jana, petr} {
		if inv.method != "REQUEST" || inv.uid != calendar.UID(1) || inv.sequence != 0 || inv.attendee != inv.to ||
			inv.partstat != "NEEDS-ACTION" || inv.rsvp != "TRUE" || !strings.HasPrefix(inv.subject, "Pozvánka: ") {
			t.Errorf("invitation read over IMAP: %+v", inv)
		}
	}
	if len(invs) != 2 {
		t.Fatalf("invitations to %d members, want 2: %+v", len(invs), invs)
	}

	// 2. Jana accepts with the calendar button, Petr replies in words.
	waitFiled := func() {
		t.Helper()
		for {
			select {
			case msg := <-sig.msgs:
				if strings.Contains(msg, "imap message filed") {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no message filed; logs:\n%s", logs.String())
			}
		}
	}
	if err := dv.Deliver("INBOX", calendarReply("jana@obec-lom.example", "ACCEPTED", "Přijdu s kolegyní", 1, 0)); err != nil {
		t.Fatal(err)
	}
	waitFiled()
	if err := dv.Deliver("INBOX", plainReply("petr@mesto-most.example", "Petr Dvořák", petr.messageID,
		"Nepřijdu, omlouvám se. Jsem na dovolené.")); err != nil {
		t.Fatal(err)
	}
	waitFiled()
	r := runCLIClock(t, time.Now, dir, environ, "meeting", "show", "-json", "1")
	if r.code != 0 {
		t.Fatalf("meeting show: %+v", r)
	}
	var shown struct {
		RSVPs []struct {
			Name, Answer, Note, Via string
		} `json:"rsvps"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil {
		t.Fatalf("meeting show -json: %v\n%s", err, r.stdout)
	}
	answers := map[string]string{}
	for _, a := range shown.RSVPs {
		answers[a.Name] = a.Answer + "/" + a.Via + "/" + a.Note
	}
	if got := answers["Jana Nováková"]; got != "yes/email/Přijdu s kolegyní" {
		t.Errorf("Jana's answer = %q, want yes by e-mail with her comment; show: %s", got, r.stdout)
	}
	if got := answers["Petr Dvořák"]; !strings.HasPrefix(got, "no/email/") || !strings.Contains(got, "dovolené") {
		t.Errorf("Petr's answer = %q, want no by e-mail with his note", got)
	}

	// 3. A new place: a new REQUEST of sequence 1 to both; then the
	// cancellation: a CANCEL of sequence 2 to both.
	if r := runCLIClock(t, time.Now, dir, environ, "meeting", "edit", "1", "-place", "Magistrát Most, zasedačka 2"); r.code != 0 {
		t.Fatalf("meeting edit: %+v", r)
	}
	if _, err := smtpSrv.WaitFor(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if r := runCLIClock(t, time.Now, dir, environ, "meeting", "cancel", "1"); r.code != 0 {
		t.Fatalf("meeting cancel: %+v", r)
	}
	if _, err := smtpSrv.WaitFor(ctx, 6); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	perMember := map[string][]string{}
	for _, raw := range testutil.Mailbox(t, dv, "Members") {
		inv := readInvitation(t, raw)
		if seen[inv.messageID] {
			t.Errorf("Message-ID %s twice", inv.messageID)
		}
		seen[inv.messageID] = true
		perMember[inv.to] = append(perMember[inv.to], fmt.Sprintf("%s:%d", inv.method, inv.sequence))
	}
	for _, who := range []string{"jana@obec-lom.example", "petr@mesto-most.example"} {
		if got := strings.Join(perMember[who], " "); got != "REQUEST:0 REQUEST:1 CANCEL:2" {
			t.Errorf("%s received %q, want REQUEST:0 REQUEST:1 CANCEL:2", who, got)
		}
	}
	// The replies are kept, but they are not minutes.
	hits, err := m.Store.ArchiveMessages(context.Background(), store.ArchiveFilter{})
	if err != nil || len(hits) != 0 {
		t.Errorf("minutes after two replies: %d, %v; want none", len(hits), err)
	}
	replies, err := m.Store.ArchiveMessages(context.Background(), store.ArchiveFilter{Kind: store.ArchiveReply})
	if err != nil || len(replies) != 2 {
		t.Errorf("replies kept: %d, %v; want 2", len(replies), err)
	}
}
