package main

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"coordbot/mail"
)

// cmdExtract is the hidden `coordbot extract`: the child process that
// reads one attachment on stdin and answers its text on stdout (see
// mail.ExtractChildMain). It needs no configuration and no database; the
// parent (serve, fetch-mail, import) starts it through
// mail.ChildExtractor, so a hostile PDF can only kill this process.
func (e *env) cmdExtract(args []string, stdin io.Reader) error {
	return mail.ExtractChildMain(args, stdin, e.stdout)
}

// newExtractor returns the extractor for the risky attachments (PDFs):
// this executable run as `coordbot extract`. In a test binary, or when the
// executable cannot be found, it returns nil and Parse reads PDFs in
// process (guarded): a test binary run with "extract" would run the tests
// again instead.
func newExtractor(logger *slog.Logger) mail.Extractor {
	if testing.Testing() {
		return nil
	}
	// /proc/self/exe is the running binary even after an upgrade has
	// replaced the file, so parent and child always speak the same
	// protocol.
	exe := "/proc/self/exe"
	if _, err := os.Stat(exe); err != nil {
		if exe, err = os.Executable(); err != nil {
			logger.Warn("own executable not found: PDF attachments are read in process", "err", err)
			return nil
		}
	}
	return mail.NewChildExtractor(exe, "extract")
}
