// Package mail files incoming minutes: it reads mail from an IMAP mailbox or
// from files, parses MIME robustly (Czech charsets), extracts attachment text
// and hands the result to the store.
package mail
