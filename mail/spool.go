package mail

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// spoolFile receives the whole raw bytes of a message too large for the
// database while an import reads it, so that memory never holds it. keep
// names it by its SHA-256: the same message imported twice is one file.
type spoolFile struct {
	dir string
	f   *os.File
	// tail holds the last bytes written, to find the blank line that
	// separates mbox messages.
	tail []byte
}

// newSpoolFile creates a temporary file in dir (made 0700 if missing);
// os.CreateTemp makes it 0600.
func newSpoolFile(dir string) (*spoolFile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail: spool: %w", err)
	}
	f, err := os.CreateTemp(dir, ".incoming-*")
	if err != nil {
		return nil, fmt.Errorf("mail: spool: %w", err)
	}
	return &spoolFile{dir: dir, f: f}, nil
}

// Write implements io.Writer.
func (s *spoolFile) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	s.tail = append(s.tail, p[:n]...)
	if len(s.tail) > 4 {
		s.tail = append(s.tail[:0], s.tail[len(s.tail)-4:]...)
	}
	if err != nil {
		return n, fmt.Errorf("mail: spool: %w", err)
	}
	return n, nil
}

// keep drops the last cut bytes (an mbox separator), syncs the file and
// renames it to DIR/<sha256>.eml, returning that path.
func (s *spoolFile) keep(cut int64) (string, error) {
	path, err := s.finish(cut)
	if err != nil {
		s.discard()
		return "", fmt.Errorf("mail: spool: %w", err)
	}
	return path, nil
}

func (s *spoolFile) finish(cut int64) (string, error) {
	size, err := s.f.Seek(0, io.SeekEnd)
	if err != nil {
		return "", err
	}
	if cut > 0 {
		if err := s.f.Truncate(size - cut); err != nil {
			return "", err
		}
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	// Hashing the file once written is simpler than keeping the hash in
	// step with the separator cut, and costs one read of a file just
	// written (in the page cache).
	h := sha256.New()
	if _, err := io.Copy(h, s.f); err != nil {
		return "", err
	}
	if err := s.f.Sync(); err != nil {
		return "", err
	}
	if err := s.f.Close(); err != nil {
		return "", err
	}
	path := filepath.Join(s.dir, hex.EncodeToString(h.Sum(nil))+".eml")
	if err := os.Rename(s.f.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

// discard removes the temporary file.
func (s *spoolFile) discard() {
	_ = s.f.Close()
	_ = os.Remove(s.f.Name()) // gone already after a rename
}

// mboxSeparator returns how many bytes at the end of a message whose last
// bytes are tail are the blank line that separates it from the next mbox
// message (not part of the message): 1 after "\n\n", 2 after "\r\n\r\n".
func mboxSeparator(tail []byte) int64 {
	switch s := string(tail); {
	case len(s) >= 2 && s[len(s)-2:] == "\n\n":
		return 1
	case len(s) >= 4 && s[len(s)-4:] == "\r\n\r\n":
		return 2
	}
	return 0
}
