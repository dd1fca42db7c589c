package mail

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ledongthuc/pdf"
)

// Limits for PDF text extraction. The PDF library trusts its input, so a
// file is first screened for numbers that would make it allocate absurdly
// and for structures known to make it loop (pdfScreen). In a child process
// (ChildExtractor) that is all: the child's deadline and limits handle the
// rest. In process a deeper check guards against the known stack overflow
// and extraction runs with a deadline, but a file that makes the library
// loop or balloon still costs a goroutine and its memory until it ends
// (pdfOperandBomb in the tests: past 20 s and 3.8 GB), which is why
// cmd/coordbot reads PDFs in a child.
const (
	maxPDFSize     = 64 << 20
	maxPDFObjects  = 1 << 22 // xref entries
	maxPDFColumns  = 1 << 16 // predictor columns
	maxPDFPages    = 20000
	maxPDFTreeNode = 100000
	pdfTimeout     = 20 * time.Second
)

// pdfScreen refuses, without the PDF library, a file that is too large,
// declares sizes that would make the library allocate gigabytes, or has a
// structure that makes it loop for ever. It is a few linear scans of the
// bytes, much cheaper than starting a child that would be killed at its
// deadline.
func pdfScreen(data []byte) error {
	if len(data) > maxPDFSize {
		return fmt.Errorf("mail: pdf larger than %d MiB, text not extracted", maxPDFSize>>20)
	}
	if err := pdfSanity(data); err != nil {
		return err
	}
	return pdfLoopScreen(data)
}

// extractPDF reads the text layer of a PDF, in process or in a child
// (where).
func extractPDF(data []byte, out *capWriter, where int) error {
	if err := pdfScreen(data); err != nil {
		return err
	}
	if where == inChild {
		// A stack overflow or a loop here ends this process, which is
		// what it is for.
		pages, err := pdfPages(data, out.max)
		return writePages(out, pages, err)
	}
	if err := pdfNestedObjStm(data); err != nil {
		return err
	}
	type result struct {
		pages []string
		err   error
	}
	done := make(chan result, 1)
	limit := out.max
	go func() {
		var res result
		res.pages, res.err = pdfPages(data, limit)
		done <- res
	}()
	timer := time.NewTimer(pdfTimeout)
	defer timer.Stop()
	select {
	case res := <-done:
		return writePages(out, res.pages, res.err)
	case <-timer.C:
		return errors.New("mail: pdf: text extraction timed out")
	}
}

// pdfPages runs pdfText and turns a panic of the library into an error,
// keeping the pages read before it.
func pdfPages(data []byte, limit int) (pages []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mail: pdf: malformed file: %v", r)
		}
	}()
	return pdfText(data, limit, &pages)
}

// writePages writes the pages' text, a blank line between pages; a file
// that yields no text at all and no error has no text layer.
func writePages(out *capWriter, pages []string, err error) error {
	for i, p := range pages {
		if i > 0 {
			out.WriteString("\n\n")
		}
		out.WriteString(p)
	}
	if err == nil && strings.TrimSpace(strings.Join(pages, "")) == "" {
		return errors.New("mail: pdf has no text layer (scanned?)")
	}
	return err
}

// pdfText extracts the text of each page; partial keeps pages already read
// if the library panics half-way.
func pdfText(data []byte, limit int, partial *[]string) ([]string, error) {
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("mail: pdf: %w", err)
	}
	root := r.Trailer().Key("Root").Key("Pages")
	if root.IsNull() {
		return nil, errors.New("mail: pdf: no page tree")
	}
	total := 0
	nodes := 0
	var firstErr error
	var walk func(v pdf.Value, depth int) bool
	walk = func(v pdf.Value, depth int) bool {
		nodes++
		if depth > 64 || nodes > maxPDFTreeNode || len(*partial) >= maxPDFPages || total > limit {
			return false
		}
		kids := v.Key("Kids")
		if v.Key("Type").Name() == "Page" || kids.IsNull() {
			if !pageParentsEnd(v) {
				if firstErr == nil {
					firstErr = fmt.Errorf("%w (page /Parent chain loops)", errPDFStructure)
				}
				return true
			}
			text, err := pdf.Page{V: v}.GetPlainText(nil)
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("mail: pdf: page %d: %w", len(*partial)+1, err)
			}
			text = strings.ToValidUTF8(text, "\uFFFD")
			total += len(text)
			*partial = append(*partial, text)
			return true
		}
		for i := 0; i < kids.Len(); i++ {
			if !walk(kids.Index(i), depth+1) {
				return false
			}
		}
		return true
	}
	walk(root, 0)
	return *partial, firstErr
}

// pdfSanity rejects files whose declared sizes would make the PDF library
// allocate gigabytes: /Size, /Index and xref subsection headers beyond
// maxPDFObjects, /Columns beyond maxPDFColumns, /W entries over 8 bytes.
func pdfSanity(data []byte) error {
	check := func(key string, max int64, array bool) error {
		k := []byte(key)
		for pos := 0; pos < len(data); {
			i := bytes.Index(data[pos:], k)
			if i < 0 {
				return nil
			}
			pos += i + len(k)
			rest := data[pos:]
			if len(rest) > 0 && isPDFNameChar(rest[0]) {
				continue // "/SizeX"
			}
			rest = bytes.TrimLeft(rest[:min(len(rest), 200)], " \t\r\n\f\x00")
			if array {
				if len(rest) == 0 || rest[0] != '[' {
					continue
				}
				rest = rest[1:]
				end := bytes.IndexByte(rest, ']')
				if end < 0 {
					end = len(rest)
				}
				rest = rest[:end]
			} else {
				end := 0
				for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
					end++
				}
				rest = rest[:end]
			}
			for _, f := range bytes.Fields(rest) {
				if n, ok := pdfInt(f); ok && n > max {
					return fmt.Errorf("mail: pdf: implausible %s %d, text not extracted", key, n)
				}
			}
		}
		return nil
	}
	if err := check("/Size", maxPDFObjects, false); err != nil {
		return err
	}
	if err := check("/Index", maxPDFObjects, true); err != nil {
		return err
	}
	if err := check("/Columns", maxPDFColumns, false); err != nil {
		return err
	}
	if err := check("/W", 8, true); err != nil {
		return err
	}
	return pdfXrefSanity(data)
}

// pdfXrefSanity checks the "start count" lines of classic xref tables.
func pdfXrefSanity(data []byte) error {
	for pos := 0; pos < len(data); {
		i := bytes.Index(data[pos:], []byte("xref"))
		if i < 0 {
			return nil
		}
		pos += i + 4
		rest := data[pos:]
		for lines := 0; lines < 100000 && len(rest) > 0; lines++ {
			line, next := nextLine(rest)
			rest = next
			f := bytes.Fields(line)
			if len(f) == 0 {
				continue
			}
			if len(f) != 2 {
				if len(f) == 3 {
					continue // an entry
				}
				break // "trailer" or something else
			}
			a, ok1 := pdfInt(f[0])
			b, ok2 := pdfInt(f[1])
			if !ok1 || !ok2 {
				break
			}
			if a > maxPDFObjects || b > maxPDFObjects {
				return fmt.Errorf("mail: pdf: implausible xref subsection %d %d, text not extracted", a, b)
			}
		}
	}
	return nil
}

// pdfInt parses a PDF integer (optionally signed); huge values saturate.
func pdfInt(f []byte) (int64, bool) {
	if len(f) > 0 && (f[0] == '+' || f[0] == '-') {
		f = f[1:]
	}
	if len(f) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range f {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > 1<<40 {
			return n, true
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// isPDFNameChar reports bytes that continue a PDF name.
func isPDFNameChar(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune("/[]<>(){}%", rune(c))
}
