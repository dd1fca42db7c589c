package mail

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// childModeEnv makes the test binary act as `coordbot extract` (see
// TestMain).
const childModeEnv = "COORDBOT_TEST_EXTRACT_CHILD"

// TestMain lets the test binary act as `coordbot extract`: the tests run
// ChildExtractor against the test binary itself.
func TestMain(m *testing.M) {
	if os.Getenv(childModeEnv) != "1" {
		os.Exit(m.Run())
	}
	if err := ExtractChildMain(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "coordbot: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// pdfOperandBomb is a 66 KB PDF that passes every guard: its page's content
// stream inflates to 64 MiB of "1 ", and the library pushes each number on
// its operand stack. In process it ran past the 20 s timeout and grew to
// 3.8 GB, and its goroutine went on after the timeout.
func pdfOperandBomb(t testing.TB) []byte {
	t.Helper()
	data, err := operandBomb()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// operandBomb builds pdfOperandBomb's file once per test binary (deflating
// 64 MiB takes seconds under the race detector).
var operandBomb = sync.OnceValues(func() ([]byte, error) {
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	if err != nil {
		return nil, err
	}
	zw.Write([]byte("BT /F1 12 Tf (zacatek) Tj\n"))
	chunk := bytes.Repeat([]byte("1 "), 1<<19)
	for range 64 {
		zw.Write(chunk)
	}
	zw.Write([]byte(" ET\n"))
	if err := zw.Close(); err != nil {
		return nil, err
	}
	content := fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.String())
	page := "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
	return pdfWithTable([]string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		page, content, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}, false), nil
})

// goroutinesSettle waits until no more goroutines run than before: exec's
// goroutines have reported to Wait but may not have returned yet. A
// goroutine left running an extraction never settles.
func goroutinesSettle(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

// testChild returns a ChildExtractor that runs the test binary as the child.
func testChild(t testing.TB) *ChildExtractor {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := NewChildExtractor(exe)
	// The race detector would sleep a second at every exit.
	c.Env = []string{childModeEnv + "=1", "GORACE=atexit_sleep_ms=0"}
	return c
}

func TestChildExtractorGivesTheSameText(t *testing.T) {
	page := "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
	content := "<< /Length 32 >>\nstream\nBT /F1 12 Tf (vezenstvi) Tj ET\n\nendstream"
	inputs := map[string][]byte{
		"fixture":       readFixture(t, "attachments/financovani-sluzeb.pdf"),
		"object stream": pdfWithObjStm(t, false),
		"table": pdfWithTable([]string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			page, content, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}, false),
		"damaged": readFixture(t, "attachments/financovani-sluzeb.pdf")[:900],
	}
	c := testChild(t)
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			want, wantTrunc, wantErr := extractText("a.pdf", mediaPDF, "", data, 1<<20)
			got, gotTrunc, gotErr := extractAttachment(c, "a.pdf", mediaPDF, "", data, 1<<20)
			if got != want || gotTrunc != wantTrunc || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("child: %q, %v, %v\nin process: %q, %v, %v", got, gotTrunc, gotErr, want, wantTrunc, wantErr)
			}
			if name != "damaged" && want == "" {
				t.Error("no text at all")
			}
		})
	}
	// The cap applies in the child as in process.
	got, trunc, err := extractAttachment(c, "a.pdf", mediaPDF, "", inputs["fixture"], 20)
	if len(got) > 20 || !trunc || err != nil {
		t.Errorf("capped: %q, %v, %v", got, trunc, err)
	}
}

func TestChildExtractorSurvivesStackOverflow(t *testing.T) {
	// In process, only the deep guard keeps this file from killing the
	// process; the child is not guarded and dies instead.
	before := runtime.NumGoroutine()
	data := pdfWithObjStm(t, true)
	// The stack limit, not the address-space cap, ends this child: under
	// the race detector the shadow memory of a 64 MiB stack sometimes
	// passed the cap first (ThreadSanitizer "failed to allocate", 1 run
	// in 10), which is a crash too but not the one this test is about.
	c := testChild(t)
	c.MemoryLimit = -1
	_, _, err := extractAttachment(c, "a.pdf", mediaPDF, "", data, 1<<20)
	if !errors.Is(err, ErrExtractCrashed) || !strings.Contains(err.Error(), "stack") {
		t.Errorf("err = %v, want ErrExtractCrashed with the stack overflow", err)
	}
	goroutinesSettle(t, before)

	// Parse keeps the message and notes why the file has no text.
	raw := "From: a@b.cz\r\nSubject: Zapis\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n" +
		"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZápis v příloze.\r\n" +
		"--XX\r\nContent-Type: application/pdf; name=zapis.pdf\r\nContent-Transfer-Encoding: binary\r\n\r\n" + string(data) + "\r\n--XX--\r\n"
	p, err := Parse([]byte(raw), ParseOptions{Extractor: c})
	if err != nil {
		t.Fatal(err)
	}
	if p.Body != "Zápis v příloze." || len(p.Attachments) != 1 {
		t.Fatalf("body %q, %d attachments", p.Body, len(p.Attachments))
	}
	if a := p.Attachments[0]; a.Text != "" || !strings.Contains(a.TextError, "crashed in the child process") {
		t.Errorf("attachment text %q, error %q", a.Text, a.TextError)
	}
}

func TestChildExtractorKilledAtDeadline(t *testing.T) {
	before := runtime.NumGoroutine()
	c := testChild(t)
	c.Timeout = time.Second
	c.MemoryLimit = -1 // the deadline, not the memory limit, ends it
	data := pdfOperandBomb(t)
	start := time.Now()
	_, _, err := extractAttachment(c, "a.pdf", mediaPDF, "", data, 1<<20)
	if !errors.Is(err, ErrExtractTimeout) {
		t.Errorf("err = %v, want ErrExtractTimeout", err)
	}
	if d := time.Since(start); d > c.Timeout+childWaitDelay {
		t.Errorf("took %v", d)
	}
	goroutinesSettle(t, before)
}

func TestChildExtractorCPULimit(t *testing.T) {
	c := testChild(t)
	c.CPULimit = time.Second
	c.MemoryLimit = -1
	c.Timeout = time.Minute
	start := time.Now()
	_, _, err := extractAttachment(c, "a.pdf", mediaPDF, "", pdfOperandBomb(t), 1<<20)
	if !errors.Is(err, ErrExtractCrashed) || !strings.Contains(err.Error(), "signal: killed") {
		t.Errorf("err = %v, want the child killed", err)
	}
	t.Logf("killed after %v: %v", time.Since(start), err)
}

func TestChildExtractorMemoryLimit(t *testing.T) {
	c := testChild(t)
	c.MemoryLimit = 128 << 20
	c.Timeout = time.Minute
	start := time.Now()
	_, _, err := extractAttachment(c, "a.pdf", mediaPDF, "", pdfOperandBomb(t), 1<<20)
	// The race detector's runtime reports it in its own words.
	if !errors.Is(err, ErrExtractCrashed) || !strings.Contains(err.Error(), "out of memory") && !strings.Contains(err.Error(), "ThreadSanitizer failed to allocate") {
		t.Errorf("err = %v, want the child out of memory", err)
	}
	t.Logf("ended after %v: %v", time.Since(start), err)
}

func TestChildExtractorStopsWithItsCaller(t *testing.T) {
	c := testChild(t)
	c.MemoryLimit = -1
	c.Timeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, err := c.ExtractText(ctx, "a.pdf", mediaPDF, pdfOperandBomb(t), 1000)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrExtractTimeout) {
		t.Errorf("err = %v, want the caller's deadline", err)
	}
}

// BenchmarkExtract compares reading a file in process with reading it in a
// child (the test binary as `coordbot extract`): the child's cost is mostly
// starting a process. Set COORDBOT_BENCH_EXTRACTOR to a coordbot binary to
// measure the real command instead.
func BenchmarkExtract(b *testing.B) {
	files := []struct{ name, mediaType, fixture string }{
		{"f.pdf", mediaPDF, "attachments/financovani-sluzeb.pdf"},
		{"z.docx", mediaDOCX, "attachments/zapis-2027-03-23.docx"},
	}
	child := testChild(b)
	if exe := os.Getenv("COORDBOT_BENCH_EXTRACTOR"); exe != "" {
		child = NewChildExtractor(exe, "extract")
	}
	for _, f := range files {
		data := readFixture(b, f.fixture)
		b.Run(f.name+"/in-process", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := extractText(f.name, f.mediaType, "", data, 1<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(f.name+"/child", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := child.ExtractText(context.Background(), f.name, f.mediaType, data, 1<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPipelineFilesWhatKillsItsChild files, in one batch (prepared in
// parallel), a normal PDF, one that overflows the reader's stack and one
// that exhausts its memory: all three messages are archived, the first
// with its text, the others without, and nothing is left running.
func TestPipelineFilesWhatKillsItsChild(t *testing.T) {
	f := newPipeFixture(t)
	f.p.MaxMessageSize = 0
	child := testChild(t)
	child.MemoryLimit = 128 << 20
	f.p.ParseOptions.Extractor = child
	withPDF := func(id string, pdf []byte) Incoming {
		raw := "From: koordinator@kr-ustecky.example\r\nTo: archiv@kr-ustecky.example\r\nSubject: Zápis\r\n" +
			"Date: Thu, 25 Mar 2027 10:00:00 +0100\r\nMessage-ID: <" + id + "@x>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZápis v příloze.\r\n" +
			"--XX\r\nContent-Type: application/pdf; name=zapis.pdf\r\nContent-Transfer-Encoding: binary\r\n\r\n" + string(pdf) + "\r\n--XX--\r\n"
		return Incoming{Raw: []byte(raw), Size: int64(len(raw)), Source: id}
	}
	ins := []Incoming{
		withPDF("ok", readFixture(t, "attachments/financovani-sluzeb.pdf")),
		withPDF("overflow", pdfWithObjStm(t, true)),
		withPDF("bomb", pdfOperandBomb(t)),
	}
	before := runtime.NumGoroutine()
	outs, err := f.p.FileBatch(context.Background(), ins)
	if err != nil {
		t.Fatal(err)
	}
	for i, out := range outs {
		if out.Disposition != Archived {
			t.Errorf("%s: %+v, want archived", ins[i].Source, out)
			continue
		}
		m, err := f.s.ArchiveMessageByID(context.Background(), out.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Attachments) != 1 {
			t.Fatalf("%s: %d attachments", ins[i].Source, len(m.Attachments))
		}
		text := m.Attachments[0].Text
		if (i == 0) != strings.Contains(text, "Financování služeb 2027") {
			t.Errorf("%s: attachment text %q", ins[i].Source, text)
		}
		// The note stays with the attachment: why its words are not found.
		if note := m.Attachments[0].TextError; (i == 0) != (note == "") {
			t.Errorf("%s: stored text error %q", ins[i].Source, note)
		}
	}
	goroutinesSettle(t, before)
}

// TestChildExtractorParallelBound: with Parallel 1, two files that each
// run until their 1 s deadline take at least 2 s together.
func TestChildExtractorParallelBound(t *testing.T) {
	c := testChild(t)
	c.Parallel = 1
	c.Timeout = time.Second
	c.MemoryLimit = -1
	data := pdfOperandBomb(t)
	start := time.Now()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, _, err := c.ExtractText(context.Background(), "a.pdf", mediaPDF, data, 1000)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; !errors.Is(err, ErrExtractTimeout) {
			t.Errorf("err = %v, want ErrExtractTimeout", err)
		}
	}
	if d := time.Since(start); d < 2*c.Timeout {
		t.Errorf("two children took %v together: they ran at once", d)
	}
}
