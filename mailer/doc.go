// Package mailer is coordbot's e-mail sender: the scheduler's Sender for
// rows of channel "email" with a member (one recipient per row). It renders
// each row from the store's state at delivery time (the meeting, its
// agenda, the answer counts) in the group's language, and submits it over
// SMTP with github.com/emersion/go-smtp.
//
// # Messages
//
// The invitation and the cancellation are iMIP messages (RFC 6047):
// multipart/alternative with text/plain, text/html and text/calendar with
// METHOD:REQUEST or METHOD:CANCEL (package calendar writes the object,
// with the feed's UID and the meeting's SEQUENCE). The other kinds (call
// for agenda items, agenda, reminder, nudges, coordinator notices) are
// multipart/alternative text and HTML. Reply-To is mail.address, so
// answers come back to the archive mailbox, where the intake matches them
// by In-Reply-To/References to the Message-ID sent here.
//
// With [Sender.Links] set (http.public_url configured), invitations,
// reminders and nudges also carry one-click answer links
// ("Přijdu / Nepřijdu / Možná", <public_url>/a/<token>, signed per member,
// meeting and answer by package links; the web page asks for a click on a
// button before it records anything, because mail scanners open every
// link). The sign-in mail (outbox.KindSignIn) carries
// <public_url>/login/<token>, valid 15 minutes and once; it goes to the
// address the member asked with, and a failed one is not reported to the
// coordinators (that would tell the group who tried to sign in).
//
// # Message-ID and duplicates
//
// The Message-ID is derived from the row's idempotency key ([MessageID]):
// the same row always gets the same Message-ID, and Deliver returns it
// (without angle brackets) for the scheduler to store on the row. The
// scheduler commits the row as sent after Deliver returns, so a crash
// between the server's acceptance of DATA and that commit sends the
// message once more when the row's lease runs out: at most one duplicate
// per recipient, and it carries the same Message-ID, so mail clients and
// the intake recognise it.
//
// # Connection reuse
//
// One SMTP connection carries a whole fan-out: the scheduler delivers rows
// one after the other, and the Sender keeps its client open between them
// (RSET before each further message, which also finds a connection the
// server has dropped; then it dials once more), closing it after an idle
// period ([Sender.IdleTimeout]) or at [Sender.Close]. Dialling and every
// command are bounded by [Sender.Timeout], and the connection is closed
// when the delivery's context ends, so a stalled server cannot hang the
// scheduler. After a failed connection attempt, deliveries fail at once for
// [Sender.DownPause] (the scheduler retries them with backoff), so a server
// that is down delays the scheduler's other channels by one Timeout, not
// one per recipient.
//
// # Errors
//
// A 4xx reply or a network error is returned as an ordinary error: the
// scheduler retries the row with backoff. A 5xx reply to RCPT TO is a hard
// bounce: the address is marked bouncing and the coordinators are told
// (meeting.Service.AddressBounced), and the error wraps
// scheduler.ErrPermanent, so the row fails without retry. A 5xx reply to
// MAIL FROM or DATA fails that row for good too (logged; the message, not
// the recipient, was refused). Passwords and message bodies are never
// logged.
package mailer
