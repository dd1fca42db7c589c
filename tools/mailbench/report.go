package main

import (
	"fmt"
	"strings"
	"time"
)

// report collects the figures of one run.
type report struct {
	n              int
	loadBefore     string
	gen            genStats
	genTime        time.Duration
	deliveredTwice bool

	fetch        measurement
	fetchSummary string
	// After fetch-mail: the archive and the mailboxes.
	storeArchived, storeOther, withAttText int
	dbBytes                                int64
	inbox, archive                         uint32

	mbsync      measurement
	mbsyncFiles int
	notmuch     measurement

	searches    []searchRow
	comparisons []comparison
	machine     machine
	notes       []string
}

// seconds formats a duration as seconds (or milliseconds when short).
func seconds(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func yesNo(ok bool) string {
	if ok {
		return "**yes**"
	}
	return "**no**"
}

// markdown renders the report.
func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	m := r.machine
	compared := r.mbsync.wall > 0 && r.notmuch.wall > 0

	w("# mailbench: coordbot fetch-mail on %s mails", thousands(int64(r.n)))
	w("")
	w("Machine: %d CPUs (%s), %s RAM, %s, Linux %s, %s; %s. Load average (1, 5, 15 min) at the start %s, at the end %s.",
		m.cpus, m.cpuModel, m.memTotal, m.os, m.kernel, m.goVersion, strings.Join(m.versions, ", "), m.loadBefore, m.loadAfter)
	w("")
	w("coordbot is built as the README says to install it: `CGO_ENABLED=0 go build` (a static binary).")
	w("")
	g := r.gen
	twice := ""
	if r.deliveredTwice {
		twice = ", delivered twice: to INBOX for coordbot and to a second mailbox for mbsync"
	}
	w("Mails: %s generated minutes (%.1f MB, %s per mail on average): %s in windows-1250 quoted-printable, %s in UTF-8 base64, %s with a DOCX attachment; Czech text of 5–8 KB each, dates 2020–2027. Generated and delivered into Dovecot's Maildir in %s%s.",
		thousands(int64(g.Messages)), float64(g.Bytes)/1e6, thousands(g.Bytes/int64(max(g.Messages, 1)))+" B",
		thousands(int64(g.CP1250)), thousands(int64(g.Messages-g.CP1250)), thousands(int64(g.WithDOCX)), seconds(r.genTime), twice)
	w("")
	w("## Fetching and indexing (each a whole process, wall clock)")
	w("")
	w("| step | wall | CPU user + sys | peak RSS |")
	w("|---|---:|---:|---:|")
	row := func(name string, x measurement) {
		w("| %s | %s | %s + %s | %s |", name, seconds(x.wall), seconds(x.user), seconds(x.sys), mib(x.maxRSSKiB))
	}
	row("`coordbot fetch-mail`: fetch over IMAP, parse, extract DOCX text, store + FTS5 index, MOVE to Archive", r.fetch)
	if compared {
		row("`mbsync`: pull the same mails into a Maildir", r.mbsync)
		row("`notmuch new`: index that Maildir", r.notmuch)
		w("| mbsync + notmuch new | %s | %s + %s | |", seconds(r.mbsync.wall+r.notmuch.wall),
			seconds(r.mbsync.user+r.notmuch.user), seconds(r.mbsync.sys+r.notmuch.sys))
	}
	w("")
	w("After fetch-mail: `%s`; the archive holds %s archived and %d other messages, %s with extracted attachment text; database %.1f MB; INBOX %d, %s %d messages.",
		r.fetchSummary, thousands(int64(r.storeArchived)), r.storeOther, thousands(int64(r.withAttText)), float64(r.dbBytes)/1e6, r.inbox, archiveMailbox, r.archive)
	w("")

	w("## Targets")
	w("")
	w("| target | measured | met |")
	w("|---|---|---|")
	// Issue 14's targets for the intake: at most 0.35 × mbsync + notmuch
	// new, under 64 MiB.
	if compared {
		both := r.mbsync.wall + r.notmuch.wall
		limit := both * 35 / 100
		w("| fetch-mail at most 0.35 × mbsync + notmuch new | %s vs 0.35 × %s = %s (%.2f ×) | %s |", seconds(r.fetch.wall),
			seconds(both), seconds(limit), float64(r.fetch.wall)/float64(both), yesNo(r.fetch.wall <= limit))
	}
	w("| fetch-mail peak RSS under 64 MiB | %s | %s |", mib(r.fetch.maxRSSKiB), yesNo(r.fetch.maxRSSKiB < 64*1024))
	for _, c := range r.comparisons {
		w("| %s: `%s` at most `%s` (median of %d) | %s vs %s | %s |", c.what, c.coordbot.command, c.notmuch.command,
			len(c.coordbot.runs), seconds(c.coordbot.median()), seconds(c.notmuch.median()),
			yesNo(c.coordbot.median() <= c.notmuch.median()))
	}
	w("")

	if len(r.comparisons) > 0 {
		w("## Search: coordbot beside notmuch (median and minimum of %d runs each after a warm-up run; whole processes, run alternately)",
			len(r.comparisons[0].coordbot.runs))
		w("")
		w("| search | word | coordbot median | coordbot min | notmuch median | notmuch min | coordbot hits | notmuch messages | mails with the word |")
		w("|---|---|---:|---:|---:|---:|---:|---:|---:|")
		for _, c := range r.comparisons {
			w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |", c.what, c.word, seconds(c.coordbot.median()), seconds(minOf(c.coordbot.runs)),
				seconds(c.notmuch.median()), seconds(minOf(c.notmuch.runs)), thousands(int64(c.coordbot.hits)),
				thousands(int64(c.notmuch.hits)), thousands(int64(c.coordbot.expected)))
		}
		w("")
		w("Commands:")
		w("")
		for _, c := range r.comparisons {
			w("- %s: `%s` beside `%s`", c.what, c.coordbot.command, c.notmuch.command)
		}
		w("")
		w("Every run (ms), coordbot / notmuch:")
		w("")
		for _, c := range r.comparisons {
			w("- %s %s: %s / %s", c.what, c.word, millis(c.coordbot.runs), millis(c.notmuch.runs))
		}
		w("")
		w("coordbot lists a message's hits newest first; notmuch lists threads newest first (here one message each). \"Mails with the word\" is the generator's count (subject, body or DOCX).")
		w("")
	}

	w("## Searches (median and minimum of %d runs after a warm-up run; each a whole process)", len(firstRuns(r.searches)))
	w("")
	w("| command | hits | mails containing the word | median | min |")
	w("|---|---:|---:|---:|---:|")
	for _, s := range r.searches {
		hits, exp := "–", "–"
		if s.hits >= 0 {
			hits = thousands(int64(s.hits))
		}
		if s.expected >= 0 {
			exp = thousands(int64(s.expected))
		}
		w("| `%s` | %s | %s | %s | %s |", s.command, hits, exp, seconds(s.median()), seconds(minOf(s.runs)))
	}
	w("")
	w("Hits: coordbot's counted with `search -json -limit <all>`, notmuch's with `notmuch count` (messages). `coordbot search` prints the 20 newest matches by default; `notmuch search` prints every matching thread. \"Mails containing the word\" is counted by the generator: for coordbot in subject, body or DOCX; for notmuch in subject or body, except for %q, which occurs only inside the DOCX attachments. `financovani` and `veznicich` are the words typed without diacritics.", docxOnlyWord)
	for _, n := range r.notes {
		w("")
		w("Note: %s", n)
	}
	return b.String()
}

// millis lists durations in milliseconds.
func millis(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
	}
	return strings.Join(parts, " ")
}

func firstRuns(rows []searchRow) []time.Duration {
	if len(rows) == 0 {
		return nil
	}
	return rows[0].runs
}

func minOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	m := ds[0]
	for _, d := range ds[1:] {
		m = min(m, d)
	}
	return m
}
