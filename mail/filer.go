package mail

import (
	"context"
	"fmt"
)

// Incoming is one message handed to a Filer: from IMAP, an .eml file, an
// mbox or a Maildir.
type Incoming struct {
	// Raw is the whole message byte for byte, or only its header section
	// when the message is larger than the size limit (Size says how large).
	Raw []byte
	// Size is the full size of the message in bytes.
	Size int64
	// Source says where it came from, for the operator: "imap:INBOX/1234",
	// a file path, "mbox:PATH#12".
	Source string
	// RawFile, when Raw is only the header section, is the file that keeps
	// the whole message (an import's spool, see Importer.SpoolDir).
	RawFile string
	// QuarantineMailbox is, for a message from IMAP, the mailbox where it
	// goes when quarantined and stays whole.
	QuarantineMailbox string
}

// Disposition is what filing did with a message.
type Disposition int

// Dispositions.
const (
	// Archived: stored and indexed for search.
	Archived Disposition = iota + 1
	// Quarantined: stored (raw bytes kept) but set aside, with a reason.
	Quarantined
)

// String names the disposition for logs and summaries.
func (d Disposition) String() string {
	switch d {
	case Archived:
		return "archived"
	case Quarantined:
		return "quarantined"
	}
	return "unknown"
}

// Outcome is the result of filing one message.
type Outcome struct {
	// ID is the archive row (new, or the existing one for a duplicate).
	ID int64
	// Disposition says whether the message (or, for a duplicate, the copy
	// stored before) is archived or quarantined; an IMAP intake moves the
	// message to the matching mailbox.
	Disposition Disposition
	// Duplicate is true when the message was stored before (same
	// Message-ID, or same bytes when it has none) and nothing was written.
	Duplicate bool
	// Reason says why a message is quarantined.
	Reason string
	// MeetingID is the meeting the minutes were matched to, 0 if none.
	MeetingID int64
}

// Filer files one message into the archive. File returns an error only
// when the message could not be stored at all (the database failed); the
// caller then leaves the message where it is, to be tried again.
type Filer interface {
	File(ctx context.Context, in Incoming) (Outcome, error)
}

// Summary counts what a pass or an import did. It is shared by every
// intake (IMAP, files).
type Summary struct {
	// Archived and Quarantined count new messages; Duplicates counts
	// messages stored before (they are not counted again above).
	Archived, Quarantined, Duplicates int
	// Failed counts messages that could not be stored and were left where
	// they were, and paths named to an import that could not be read.
	Failed int
	// Unreadable counts files and directories an import found while
	// walking a directory but could not read (each is logged); Skipped
	// counts files it read past as not mail (neither .eml, .mbox, a Maildir
	// message nor an extensionless mbox).
	Unreadable, Skipped int
}

// Add counts one outcome.
func (s *Summary) Add(o Outcome) {
	switch {
	case o.Duplicate:
		s.Duplicates++
	case o.Disposition == Quarantined:
		s.Quarantined++
	default:
		s.Archived++
	}
}

// String is the one-line summary printed by import and fetch-mail.
func (s Summary) String() string {
	line := fmt.Sprintf("archived %d, duplicates %d, quarantined %d, failed %d", s.Archived, s.Duplicates, s.Quarantined, s.Failed)
	// Only imports have unreadable paths; the line stays as it was
	// without them. Skipped files (often many, such as Thunderbird's .msf
	// indexes) are logged by the caller instead.
	if s.Unreadable > 0 {
		line += fmt.Sprintf(", unreadable %d", s.Unreadable)
	}
	return line
}

// BatchFiler files several messages at once: their outcomes align with ins,
// and either all of them were stored (one database transaction) or, on
// error, none was. An intake uses it when its Filer has it; filing one
// message per transaction costs a commit each.
type BatchFiler interface {
	Filer
	FileBatch(ctx context.Context, ins []Incoming) ([]Outcome, error)
}
