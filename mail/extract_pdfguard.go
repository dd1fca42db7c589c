package mail

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/ledongthuc/pdf"
)

// The PDF library (github.com/ledongthuc/pdf) follows references without
// cycle checks. Most of its failures are panics, which extractPDF recovers,
// but a few structures make it loop for ever (a /Prev chain of
// cross-reference sections that cycles, an /Extends chain of object
// streams, a /Parent chain of pages that cycles) or recurse until the Go
// runtime aborts the whole process (an object stream stored in an object
// stream, including itself).
//
// pdfLoopScreen finds the loops with linear scans; it runs before every
// extraction, also before a child is started, because a child caught in a
// loop would only be killed at its deadline. The /Parent chain is checked
// page by page in pdfText.
//
// pdfNestedObjStm finds the recursion, which needs the cross-reference
// streams decoded (zlib and PNG predictors). It is needed only in process:
// a child that overflows its stack just dies (see ChildExtractor), so with
// a child the parent never decodes these streams of a hostile file.

// maxXRefStreamData caps the decompressed size of one cross-reference stream.
const maxXRefStreamData = 64 << 20

// errPDFStructure is wrapped by the structure checks' errors.
var errPDFStructure = errors.New("mail: pdf: unsafe structure, text not extracted")

// pdfLoopScreen rejects PDFs whose structure would make the PDF library
// loop for ever.
func pdfLoopScreen(data []byte) error {
	if bytes.Contains(data, []byte("/Extends")) {
		return fmt.Errorf("%w (object stream extensions)", errPDFStructure)
	}
	if pdfPrevCycle(data) {
		return fmt.Errorf("%w (cross-reference chain loops)", errPDFStructure)
	}
	return nil
}

// pdfNestedObjStm rejects PDFs with an object stored in an object stream
// that is itself in an object stream: the library recurses on it until the
// runtime aborts the process.
func pdfNestedObjStm(data []byte) error {
	inStream := map[int64]int64{} // object number -> object stream number
	for _, x := range findXRefStreams(data) {
		if err := x.entries(func(obj, typ, f2 int64) {
			if typ == 2 {
				if _, dup := inStream[obj]; !dup {
					inStream[obj] = f2
				}
			}
		}); err != nil {
			return fmt.Errorf("%w (%v)", errPDFStructure, err)
		}
	}
	for obj, strm := range inStream {
		if _, nested := inStream[strm]; nested {
			return fmt.Errorf("%w (object %d in nested object stream %d)", errPDFStructure, obj, strm)
		}
	}
	return nil
}

// xrefStream is a cross-reference stream found in the raw file.
type xrefStream struct {
	dict []byte // from "obj" to "stream"
	raw  []byte // the (still encoded) stream data
}

// findXRefStreams locates every stream whose dictionary says /Type /XRef.
func findXRefStreams(data []byte) []xrefStream {
	var out []xrefStream
	for pos := 0; pos < len(data) && len(out) < 1000; {
		i := bytes.Index(data[pos:], []byte("/XRef"))
		if i < 0 {
			break
		}
		at := pos + i
		pos = at + 5
		if pos < len(data) && isPDFNameChar(data[pos]) {
			continue // /XRefStm
		}
		lo := max(0, at-4096)
		o := bytes.LastIndex(data[lo:at], []byte("obj"))
		if o < 0 {
			continue
		}
		start := lo + o
		s := bytes.Index(data[at:min(len(data), at+4096)], []byte("stream"))
		if s < 0 {
			continue
		}
		dictEnd := at + s
		body := dictEnd + len("stream")
		if body < len(data) && data[body] == '\r' {
			body++
		}
		if body < len(data) && data[body] == '\n' {
			body++
		}
		dict := data[start:dictEnd]
		end := -1
		if n, ok := pdfDictInt(dict, "/Length"); ok && n >= 0 && n <= int64(len(data)-body) && !pdfDictIsRef(dict, "/Length") {
			end = body + int(n)
		} else if e := bytes.Index(data[body:], []byte("endstream")); e >= 0 {
			end = body + e
		}
		if end < body {
			continue
		}
		out = append(out, xrefStream{dict: dict, raw: data[body:end]})
	}
	return out
}

// entries decodes the stream and calls fn for each entry.
func (x xrefStream) entries(fn func(obj, typ, f2 int64)) error {
	w := pdfDictInts(x.dict, "/W")
	if len(w) < 3 {
		return errors.New("xref stream without /W")
	}
	total := 0
	for _, n := range w[:3] {
		if n < 0 || n > 8 {
			return errors.New("bad /W")
		}
		total += int(n)
	}
	if total == 0 {
		return nil
	}
	data, err := x.decode()
	if err != nil {
		return err
	}
	index := pdfDictInts(x.dict, "/Index")
	if len(index) == 0 {
		size, _ := pdfDictInt(x.dict, "/Size")
		index = []int64{0, size}
	}
	field := func(b []byte) int64 {
		var v int64
		for _, c := range b {
			v = v<<8 | int64(c)
		}
		return v
	}
	off := 0
	for i := 0; i+1 < len(index); i += 2 {
		start, count := index[i], index[i+1]
		for j := int64(0); j < count; j++ {
			if off+total > len(data) {
				return nil // the library stops here too
			}
			e := data[off : off+total]
			off += total
			typ := int64(1)
			if w[0] > 0 {
				typ = field(e[:w[0]])
			}
			fn(start+j, typ, field(e[w[0]:w[0]+w[1]]))
		}
	}
	return nil
}

// decode undoes /FlateDecode and PNG predictors of a cross-reference stream.
func (x xrefStream) decode() ([]byte, error) {
	raw := x.raw
	if bytes.Contains(x.dict, []byte("/Filter")) {
		if !bytes.Contains(x.dict, []byte("/FlateDecode")) {
			return nil, errors.New("xref stream with an unsupported filter")
		}
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("xref stream: %w", err)
		}
		raw, err = io.ReadAll(io.LimitReader(zr, maxXRefStreamData))
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("xref stream: %w", err)
		}
	}
	pred, _ := pdfDictInt(x.dict, "/Predictor")
	if pred < 10 {
		if pred > 1 {
			return nil, errors.New("xref stream with an unsupported predictor")
		}
		return raw, nil
	}
	cols, ok := pdfDictInt(x.dict, "/Columns")
	if !ok {
		cols = 1
	}
	if cols < 1 || cols > maxPDFColumns {
		return nil, errors.New("bad /Columns")
	}
	return unPNG(raw, int(cols)), nil
}

// unPNG reverses PNG row filters (one byte per pixel).
func unPNG(raw []byte, cols int) []byte {
	out := make([]byte, 0, len(raw))
	prev := make([]byte, cols)
	for len(raw) >= cols+1 {
		ft, row := raw[0], bytes.Clone(raw[1:cols+1])
		raw = raw[cols+1:]
		for i := range row {
			var left, up, ul byte
			if i > 0 {
				left, ul = row[i-1], prev[i-1]
			}
			up = prev[i]
			switch ft {
			case 1:
				row[i] += left
			case 2:
				row[i] += up
			case 3:
				row[i] += byte((int(left) + int(up)) / 2)
			case 4:
				row[i] += paeth(left, up, ul)
			}
		}
		out = append(out, row...)
		prev = row
	}
	return out
}

// paeth is the PNG Paeth predictor.
func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// pdfPrevCycle reports whether following /Prev from startxref revisits a
// cross-reference section. Each section is taken to own the first direct
// /Prev after its offset (before the next section).
func pdfPrevCycle(data []byte) bool {
	sx := bytes.LastIndex(data, []byte("startxref"))
	if sx < 0 {
		return false
	}
	first, ok := pdfIntAfter(data[sx+len("startxref"):])
	if !ok {
		return false
	}
	type prev struct{ pos, val int64 }
	var prevs []prev
	for pos := 0; pos < len(data) && len(prevs) < 10000; {
		i := bytes.Index(data[pos:], []byte("/Prev"))
		if i < 0 {
			break
		}
		at := pos + i + len("/Prev")
		pos = at
		if at < len(data) && isPDFNameChar(data[at]) {
			continue
		}
		if v, ok := pdfIntAfter(data[at:min(len(data), at+64)]); ok && !isPDFRef(data[at:min(len(data), at+64)]) {
			prevs = append(prevs, prev{int64(at), v})
		}
	}
	if len(prevs) == 0 {
		return false
	}
	offsets := []int64{first}
	for _, p := range prevs {
		offsets = append(offsets, p.val)
	}
	sort.Slice(offsets, func(i, j int) bool { return offsets[i] < offsets[j] })
	owner := func(pos int64) int64 {
		i := sort.Search(len(offsets), func(i int) bool { return offsets[i] > pos })
		if i == 0 {
			return -1
		}
		return offsets[i-1]
	}
	next := map[int64]int64{}
	for _, p := range prevs {
		if o := owner(p.pos); o >= 0 {
			if _, dup := next[o]; !dup {
				next[o] = p.val
			}
		}
	}
	seen := map[int64]bool{}
	for cur := first; ; {
		if seen[cur] {
			return true
		}
		seen[cur] = true
		n, ok := next[cur]
		if !ok {
			return false
		}
		cur = n
	}
}

// pdfIntAfter parses the first integer in b after whitespace.
func pdfIntAfter(b []byte) (int64, bool) {
	b = bytes.TrimLeft(b, " \t\r\n\f\x00")
	end := 0
	for end < len(b) && (b[end] >= '0' && b[end] <= '9' || end == 0 && (b[end] == '-' || b[end] == '+')) {
		end++
	}
	return pdfInt(b[:end])
}

// isPDFRef reports whether b starts with "N G R" (an indirect reference).
func isPDFRef(b []byte) bool {
	f := bytes.Fields(b)
	return len(f) >= 3 && bytes.HasPrefix(f[2], []byte("R"))
}

// pdfDictInt returns the integer value of key in a raw dictionary.
func pdfDictInt(dict []byte, key string) (int64, bool) {
	at := pdfDictKey(dict, key)
	if at < 0 {
		return 0, false
	}
	return pdfIntAfter(dict[at:])
}

// pdfDictIsRef reports whether key's value is an indirect reference.
func pdfDictIsRef(dict []byte, key string) bool {
	at := pdfDictKey(dict, key)
	return at >= 0 && isPDFRef(dict[at:min(len(dict), at+64)])
}

// pdfDictInts returns the integers of key's array value.
func pdfDictInts(dict []byte, key string) []int64 {
	at := pdfDictKey(dict, key)
	if at < 0 {
		return nil
	}
	rest := bytes.TrimLeft(dict[at:], " \t\r\n\f\x00")
	if len(rest) == 0 || rest[0] != '[' {
		return nil
	}
	end := bytes.IndexByte(rest, ']')
	if end < 0 {
		return nil
	}
	var out []int64
	for _, f := range bytes.Fields(rest[1:end]) {
		n, ok := pdfInt(f)
		if !ok || len(out) >= 2000 {
			return out
		}
		out = append(out, n)
	}
	return out
}

// pdfDictKey returns the index just after key (as a whole name) in dict.
func pdfDictKey(dict []byte, key string) int {
	for pos := 0; pos < len(dict); {
		i := bytes.Index(dict[pos:], []byte(key))
		if i < 0 {
			return -1
		}
		at := pos + i + len(key)
		if at >= len(dict) || !isPDFNameChar(dict[at]) {
			return at
		}
		pos = at
	}
	return -1
}

// pageParentsEnd reports whether the library's lookup of inherited page
// attributes (which walks /Parent without a cycle check) ends.
func pageParentsEnd(v pdf.Value) bool {
	for i := 0; i < 64; i++ {
		if v.IsNull() || !v.Key("Resources").IsNull() {
			return true
		}
		v = v.Key("Parent")
	}
	return false
}
