package mail

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Importer files messages from the file system through the same Filer as
// the IMAP intake: .eml files, mbox files and Maildir folders. Files are
// only read, never moved or deleted.
type Importer struct {
	filer Filer
	// MaxMessageSize: larger messages are read only up to their header and
	// handed on with their full size (the Filer quarantines them). 0: no limit.
	MaxMessageSize int64
	// SpoolDir is where the whole raw bytes of larger messages are kept,
	// each in a file named by its SHA-256 (created 0700 when first
	// needed, files 0600); "" keeps only their header.
	SpoolDir string
	Logger   *slog.Logger

	// fsys is what is read; nil means the operating system's. Tests
	// inject failures that permissions cannot cause when run as root.
	fsys fileSystem

	// pending messages are filed together, see flush.
	pending      []Incoming
	pendingBytes int64
}

// NewImporter returns an importer that files through filer.
func NewImporter(filer Filer, logger *slog.Logger) *Importer {
	return &Importer{filer: filer, Logger: logger}
}

// Import files every message under paths: a file that starts with an mbox
// "From " line is an mbox; any other file is one message; a directory with
// cur/ and new/ is a Maildir; any other directory is walked for .eml and
// .mbox files, extensionless files that start with a "From " line (mbox
// folders as Thunderbird keeps them) and Maildirs. It stops at the first
// database failure, keeping the summary so far. A path in paths that
// cannot be read is counted as failed; a file or directory found while
// walking that cannot be read is counted as unreadable, one that is not
// mail as skipped; each is logged and the walk goes on.
func (im *Importer) Import(ctx context.Context, paths []string) (Summary, error) {
	var sum Summary
	for _, p := range paths {
		if _, err := im.fs().Stat(p); err != nil {
			// A path that cannot be read is reported and skipped; the
			// others are still imported.
			im.Logger.Error("cannot read path", "path", p, "err", err)
			sum.Failed++
			continue
		}
		if err := im.importPath(ctx, p, &sum); err != nil {
			// File what was read before the failure; flush clears the
			// queue, so a failed flush is not retried here.
			return sum, errors.Join(err, im.flush(ctx, &sum))
		}
	}
	return sum, im.flush(ctx, &sum)
}

func (im *Importer) fs() fileSystem {
	if im.fsys == nil {
		return osFS{}
	}
	return im.fsys
}

func (im *Importer) importPath(ctx context.Context, path string, sum *Summary) error {
	fi, err := im.fs().Stat(path)
	if err != nil {
		return fmt.Errorf("mail: import: %w", err)
	}
	if !fi.IsDir() {
		return im.importFile(ctx, path, sum)
	}
	if im.isMaildir(path) {
		return im.importMaildir(ctx, path, sum)
	}
	return im.walk(ctx, path, sum)
}

// walk imports what dir holds, in name order, descending into
// subdirectories (symbolic links are not followed into directories).
func (im *Importer) walk(ctx context.Context, dir string, sum *Summary) error {
	entries, err := im.fs().ReadDir(dir)
	if err != nil {
		// Entries read before the failure are still imported.
		im.unreadable(dir, err, sum)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			if im.isMaildir(p) {
				err = im.importMaildir(ctx, p, sum)
			} else {
				err = im.walk(ctx, p, sum)
			}
		} else {
			err = im.importFound(ctx, p, sum)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// importFound imports a file found while walking: .eml and .mbox files,
// and extensionless files that start with an mbox "From " line; other
// files are skipped.
func (im *Importer) importFound(ctx context.Context, path string, sum *Summary) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".eml" && ext != ".mbox" && ext != "" {
		im.skipped(path, sum)
		return nil
	}
	f, err := im.fs().Open(path)
	if err != nil {
		im.unreadable(path, err, sum)
		return nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		if err == nil {
			err = fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
		}
		im.unreadable(path, err, sum)
		return nil
	}
	br := bufio.NewReaderSize(f, 64<<10)
	head, err := br.Peek(5)
	if err != nil && !errors.Is(err, io.EOF) {
		im.unreadable(path, err, sum)
		return nil
	}
	if string(head) == "From " {
		return im.importMbox(ctx, path, br, sum)
	}
	if ext == "" {
		im.skipped(path, sum)
		return nil
	}
	f.Close()
	return im.importMessageFile(ctx, path, sum)
}

// unreadable logs and counts a path found while walking that cannot be
// read.
func (im *Importer) unreadable(path string, err error, sum *Summary) {
	im.Logger.Error("mail: import: cannot read, skipped", "path", path, "err", err)
	sum.Unreadable++
}

// skipped logs and counts a file that is not mail.
func (im *Importer) skipped(path string, sum *Summary) {
	im.Logger.Info("mail: import: not a mail file, skipped", "path", path)
	sum.Skipped++
}

// fileSystem is the part of the file system the importer reads, by
// operating-system paths.
type fileSystem interface {
	Open(name string) (fs.File, error)
	Stat(name string) (fs.FileInfo, error)
	ReadDir(name string) ([]fs.DirEntry, error)
}

// osFS is the operating system's file system.
type osFS struct{}

func (osFS) Open(name string) (fs.File, error)          { return os.Open(name) }
func (osFS) Stat(name string) (fs.FileInfo, error)      { return os.Stat(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }

func (im *Importer) isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if fi, err := im.fs().Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// importMaildir files the messages in cur/ and new/, in name order (Maildir
// names start with the delivery time).
func (im *Importer) importMaildir(ctx context.Context, dir string, sum *Summary) error {
	var files []string
	for _, sub := range []string{"cur", "new"} {
		entries, err := im.fs().ReadDir(filepath.Join(dir, sub))
		if err != nil {
			im.unreadable(filepath.Join(dir, sub), err, sum)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
				files = append(files, filepath.Join(dir, sub, e.Name()))
			}
		}
	}
	sort.Strings(files)
	for _, f := range files {
		if err := im.importMessageFile(ctx, f, sum); err != nil {
			return err
		}
	}
	return nil
}

// importFile files one .eml or an mbox.
func (im *Importer) importFile(ctx context.Context, path string, sum *Summary) error {
	f, err := im.fs().Open(path)
	if err != nil {
		im.Logger.Error("cannot read file", "path", path, "err", err)
		sum.Failed++
		return nil
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(5)
	if string(head) == "From " {
		return im.importMbox(ctx, path, br, sum)
	}
	f.Close()
	return im.importMessageFile(ctx, path, sum)
}

// importMessageFile files a file that holds exactly one message.
func (im *Importer) importMessageFile(ctx context.Context, path string, sum *Summary) error {
	f, err := im.fs().Open(path)
	if err != nil {
		im.Logger.Error("cannot read file", "path", path, "err", err)
		sum.Failed++
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		sum.Failed++
		return nil
	}
	var raw []byte
	var rawFile string
	if im.MaxMessageSize > 0 && fi.Size() > im.MaxMessageSize {
		raw, err = readHeaderSection(bufio.NewReader(f))
		if err == nil && im.SpoolDir != "" {
			rawFile, err = im.spoolCopy(path)
		}
	} else {
		raw, err = io.ReadAll(f)
	}
	if err != nil {
		im.Logger.Error("cannot read file", "path", path, "err", err)
		sum.Failed++
		return nil
	}
	return im.file(ctx, Incoming{Raw: raw, Size: fi.Size(), Source: path, RawFile: rawFile}, sum)
}

// spoolCopy copies the file at path whole into the spool, returning where
// it is kept.
func (im *Importer) spoolCopy(path string) (string, error) {
	f, err := im.fs().Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sp, err := newSpoolFile(im.SpoolDir)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(sp, f); err != nil {
		sp.discard()
		return "", err
	}
	return sp.keep(0)
}

// file queues one message; a full batch is filed at once.
func (im *Importer) file(ctx context.Context, in Incoming, sum *Summary) error {
	im.pending = append(im.pending, in)
	im.pendingBytes += int64(len(in.Raw))
	if len(im.pending) >= importBatchCount || im.pendingBytes >= importBatchBytes {
		return im.flush(ctx, sum)
	}
	return nil
}

// Batch bounds: the messages of a batch are in memory together and are
// stored in one transaction.
const (
	importBatchCount = 100
	importBatchBytes = 32 << 20
)

// flush files the queued messages: in one transaction when the filer can,
// else one by one.
func (im *Importer) flush(ctx context.Context, sum *Summary) error {
	batch := im.pending
	im.pending, im.pendingBytes = nil, 0
	if len(batch) == 0 {
		return nil
	}
	var outs []Outcome
	if bf, ok := im.filer.(BatchFiler); ok {
		var err error
		if outs, err = bf.FileBatch(ctx, batch); err != nil {
			sum.Failed += len(batch)
			return err
		}
	} else {
		for _, in := range batch {
			out, err := im.filer.File(ctx, in)
			if err != nil {
				sum.Failed++
				return err
			}
			outs = append(outs, out)
		}
	}
	for i, out := range outs {
		sum.Add(out)
		im.Logger.Info("filed", "source", batch[i].Source, "disposition", out.Disposition.String(),
			"duplicate", out.Duplicate, "archive_id", out.ID, "meeting_id", out.MeetingID)
	}
	return nil
}

// readHeaderSection reads up to and including the blank line that ends a header.
func readHeaderSection(br *bufio.Reader) ([]byte, error) {
	var buf bytes.Buffer
	for {
		line, err := br.ReadBytes('\n')
		buf.Write(line)
		if len(bytes.TrimRight(line, "\r\n")) == 0 && len(line) > 0 || err == io.EOF {
			return buf.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
		if buf.Len() > 1<<20 {
			return buf.Bytes(), nil // a header this long is cut: it is only kept as evidence
		}
	}
}

// importMbox splits an mbox into messages, one at a time, so memory holds
// at most one message. A message starts at a "From " line that follows a
// blank line (or starts the file); ">From " quoting (mboxrd and mboxo) is
// undone by removing one ">" from lines that match ^>+From .
func (im *Importer) importMbox(ctx context.Context, path string, br *bufio.Reader, sum *Summary) error {
	var (
		msg      bytes.Buffer
		size     int64
		n        int
		inHeader bool
		started  bool
		// headerLen is where the header section ends in msg.
		headerLen int
		prevLine  = true // "blank line before" for the first From line
	)
	// An oversized message goes whole into a spool file once it crosses
	// the limit (when SpoolDir is set); msg then keeps only its start.
	var (
		spool    *spoolFile
		spoolErr error
		tail     []byte // last bytes of the message, for the separator
	)
	defer func() {
		if spool != nil {
			spool.discard()
		}
	}()
	oversized := func() bool { return im.MaxMessageSize > 0 && size > im.MaxMessageSize }
	startSpool := func() {
		if im.SpoolDir == "" || spool != nil || spoolErr != nil {
			return
		}
		// msg holds every line so far: lines are dropped only once a
		// spool would have taken them.
		if spool, spoolErr = newSpoolFile(im.SpoolDir); spoolErr == nil {
			_, spoolErr = spool.Write(msg.Bytes())
		}
	}
	flush := func() error {
		if !started {
			return nil
		}
		if inHeader {
			headerLen = msg.Len() // a message without a body
		}
		n++
		source := fmt.Sprintf("%s#%d", path, n)
		// The blank line before the next "From " line (or the end of the
		// file) separates messages; it is not part of the message.
		cut := mboxSeparator(tail)
		raw := bytes.Clone(msg.Bytes())
		var rawFile string
		if oversized() {
			raw = raw[:headerLen] // too large: the header is kept as evidence
			startSpool()
			if spoolErr == nil && spool != nil {
				rawFile, spoolErr = spool.keep(cut)
				spool = nil
			}
			if spoolErr != nil {
				if spool != nil {
					spool.discard()
					spool = nil
				}
				// Not filed: with only its header stored, a later import
				// would find it a duplicate and never keep it whole.
				im.Logger.Error("mail: import: cannot keep an oversized message, not filed", "source", source, "err", spoolErr)
				sum.Failed++
				return nil
			}
		} else {
			raw = raw[:len(raw)-int(cut)]
		}
		size -= cut
		return im.file(ctx, Incoming{Raw: raw, Size: size, Source: source, RawFile: rawFile}, sum)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			switch {
			case prevLine && bytes.HasPrefix(line, []byte("From ")):
				if err := flush(); err != nil {
					return err
				}
				msg.Reset()
				size, started, inHeader, headerLen = 0, true, true, 0
				tail, spoolErr = tail[:0], nil
			case started:
				if q := bytes.TrimLeft(line, ">"); len(q) < len(line) && bytes.HasPrefix(q, []byte("From ")) {
					line = line[1:]
				}
				size += int64(len(line))
				tail = append(tail, line...)
				if len(tail) > 4 {
					tail = append(tail[:0], tail[len(tail)-4:]...)
				}
				switch {
				case spool != nil:
					if inHeader {
						msg.Write(line) // the header is still wanted
					}
					if spoolErr == nil {
						_, spoolErr = spool.Write(line)
					}
				case inHeader || !oversized():
					msg.Write(line)
				default:
					// Crossing the limit: msg holds every line before this.
					startSpool()
					if spool != nil && spoolErr == nil {
						_, spoolErr = spool.Write(line)
					}
				}
				if inHeader && len(bytes.TrimRight(line, "\r\n")) == 0 {
					inHeader, headerLen = false, msg.Len()
				}
			}
			prevLine = len(bytes.TrimRight(line, "\r\n")) == 0
		}
		if errors.Is(err, io.EOF) {
			return flush()
		}
		if err != nil {
			sum.Failed++
			im.Logger.Error("cannot read mbox", "path", path, "err", err)
			return nil
		}
	}
}
