package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Extractor reads the text of the attachments whose reader is risky:
// today PDFs, read by a third-party library that trusts its input and can
// loop or overflow the stack (which no recover catches). Parse hands such
// files to ParseOptions.Extractor when it is set, and reads them in
// process (guarded, see extract_pdfguard.go) when it is not.
//
// DOCX, XLSX, PPTX, ODF, HTML, text and winmail.dat stay in process: their
// readers are ours, stream with caps (maxZipRead, the text cap, TNEF
// limits) and recover from panics, and a child per file would cost more
// than reading it (a quarter of the mails in the benchmark corpus carry a
// DOCX).
type Extractor interface {
	// ExtractText returns the text of one file as the in-process readers
	// would: at most limit bytes, whether it was truncated, and on a
	// damaged file what could be read together with the error.
	ExtractText(ctx context.Context, name, mediaType string, data []byte, limit int) (text string, truncated bool, err error)
}

// Errors of a child extraction; the attachment keeps them as TextError.
var (
	// ErrExtractTimeout: the child did not finish by its deadline and was killed.
	ErrExtractTimeout = errors.New("mail: text extraction timed out, child process killed")
	// ErrExtractCrashed: the child could not be started, died (stack
	// overflow, out of memory, CPU limit, signal) or answered nonsense.
	ErrExtractCrashed = errors.New("mail: text extraction crashed in the child process")
)

// Defaults of a ChildExtractor.
const (
	defaultChildTimeout = 20 * time.Second
	defaultChildMemory  = 512 << 20
	defaultChildCPU     = 20 * time.Second
	// childMaxStack is the goroutine stack limit in the child: a runaway
	// recursion in the PDF library dies at 64 MiB in milliseconds instead
	// of growing toward the runtime's 1 GB.
	childMaxStack = 64 << 20
	// childWaitDelay bounds the wait for the child's pipes after it was
	// killed.
	childWaitDelay = 2 * time.Second
)

// ChildExtractor is the Extractor that runs each extraction in a child
// process, `coordbot extract` (see ExtractChildMain), started with a
// deadline, a memory limit and a CPU limit: a hostile file costs one killed
// child and a note on the attachment, never the caller. The child gets no
// environment from the parent beyond Env (no secrets), reads the file on
// stdin and answers one JSON object on stdout.
type ChildExtractor struct {
	// Path is the executable (cmd/coordbot uses os.Executable) and Args the
	// arguments before the extract flags (cmd/coordbot: "extract").
	Path string
	Args []string
	// Env is the child's whole environment (tests set the variable that
	// makes a test binary act as the child).
	Env []string
	// Timeout is the wall-clock deadline of one child (0: 20 s).
	Timeout time.Duration
	// MemoryLimit caps how far the child's address space may grow beyond
	// its size at start (RLIMIT_AS) and is its soft Go memory limit
	// (0: 512 MiB; negative: no limit).
	MemoryLimit int64
	// CPULimit is the child's RLIMIT_CPU, rounded up to seconds (0: 20 s;
	// negative: no limit). It kills a child that spins even if the parent
	// is gone and cannot enforce the deadline.
	CPULimit time.Duration
	// Parallel bounds the children running at once (0: GOMAXPROCS, as many
	// as the pipeline's prepare step has goroutines).
	Parallel int

	once sync.Once
	sem  chan struct{}
}

// NewChildExtractor returns a ChildExtractor that runs path with args
// followed by the extract flags, with the default limits.
func NewChildExtractor(path string, args ...string) *ChildExtractor {
	return &ChildExtractor{Path: path, Args: args}
}

// ExtractText implements Extractor. It waits for a free slot (at most
// Parallel children), starts the child, and turns a timeout or a crash into
// an error wrapping ErrExtractTimeout or ErrExtractCrashed. No goroutine
// outlives the call: exec's copying goroutines end in Wait, and a killed
// child's pipes are closed after childWaitDelay at the latest.
func (c *ChildExtractor) ExtractText(ctx context.Context, name, mediaType string, data []byte, limit int) (string, bool, error) {
	c.once.Do(func() {
		n := c.Parallel
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		c.sem = make(chan struct{}, n)
	})
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		return "", false, fmt.Errorf("mail: text extraction not started: %w", ctx.Err())
	}
	if limit <= 0 {
		limit = defaultMaxAttachmentText
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultChildTimeout
	}
	mem := c.MemoryLimit
	if mem == 0 {
		mem = defaultChildMemory
	}
	cpu := c.CPULimit
	if cpu == 0 {
		cpu = defaultChildCPU
	}
	cpuSeconds := int64(0)
	if cpu > 0 {
		cpuSeconds = int64((cpu + time.Second - 1) / time.Second)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()

	args := append(append([]string{}, c.Args...),
		"-type="+mediaType, "-name="+name, "-limit="+strconv.Itoa(limit),
		"-mem="+strconv.FormatInt(max(mem, 0), 10), "-cpu="+strconv.FormatInt(cpuSeconds, 10))
	cmd := exec.CommandContext(ctx, c.Path, args...)
	cmd.Env = append([]string{}, c.Env...) // never nil: nil would pass the parent's environment
	cmd.Stdin = bytes.NewReader(data)
	// JSON escapes at most 6 bytes per byte of text; anything longer is
	// not an answer of ours.
	stdout := &boundedBuffer{max: 6*limit + 4096}
	stderr := &boundedBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = childWaitDelay
	if runErr := cmd.Run(); runErr != nil {
		switch {
		case parent.Err() != nil:
			return "", false, fmt.Errorf("mail: text extraction stopped: %w", parent.Err())
		case ctx.Err() != nil:
			return "", false, fmt.Errorf("%w (after %v)", ErrExtractTimeout, timeout)
		}
		return "", false, fmt.Errorf("%w (%v%s)", ErrExtractCrashed, runErr, childReason(stderr.Bytes()))
	}
	if stdout.overflow {
		return "", false, fmt.Errorf("%w (answer longer than %d bytes)", ErrExtractCrashed, stdout.max)
	}
	var res childResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return "", false, fmt.Errorf("%w (unreadable answer: %v)", ErrExtractCrashed, err)
	}
	text := res.Text
	truncated := res.Truncated
	if len(text) > limit {
		text, truncated = truncateUTF8(text, limit), true
	}
	if res.Error != "" {
		return text, truncated, childError(res.Error)
	}
	return text, truncated, nil
}

// childError is an extraction error reported by the child: its message is
// kept as it was (it already has the mail: prefix).
type childError string

func (e childError) Error() string { return string(e) }

// childReason picks the line of a dead child's stderr that says why: the Go
// runtime's "fatal error: ..." (stack overflow, out of memory) or our own
// "coordbot: ..." line.
func childReason(stderr []byte) string {
	var first string
	for _, line := range strings.Split(string(stderr), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if first == "" {
			first = line
		}
		if strings.HasPrefix(line, "fatal error:") || strings.HasPrefix(line, "runtime: out of memory") {
			first = line
			break
		}
	}
	if first == "" {
		return ""
	}
	return ": " + truncateUTF8(strings.ToValidUTF8(first, "?"), 200)
}

// boundedBuffer keeps the first max bytes written to it and swallows the
// rest, so a child cannot make the parent buffer without bound.
type boundedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

// Write implements io.Writer; it never fails, so the child is not killed
// by a broken pipe before its exit status is known.
func (b *boundedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - b.buf.Len(); len(p) > room {
		p = p[:max(room, 0)]
		b.overflow = true
	}
	b.buf.Write(p)
	return n, nil
}

// Bytes returns what was kept.
func (b *boundedBuffer) Bytes() []byte { return b.buf.Bytes() }

// childResult is the child's answer on stdout.
type childResult struct {
	Text      string `json:"text"`
	Truncated bool   `json:"truncated,omitempty"`
	Error     string `json:"error,omitempty"`
}

// ExtractChildMain is `coordbot extract`, the child side of
// ChildExtractor: it parses its flags, sets its own limits (stack, memory,
// CPU) before it reads anything, reads the file from stdin, extracts its
// text with the in-process readers, minus the guards that only protect a
// long-lived process, and writes one JSON object to stdout:
// {"text": ..., "truncated": true, "error": "mail: ..."}. A damaged file is
// an answer (exit 0, with error), not a failure; a nonzero exit means the
// command line was wrong or the child died.
func ExtractChildMain(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	mediaType := fs.String("type", "", "media type of the file (may carry a charset parameter)")
	name := fs.String("name", "", "file name (its extension decides when the type says nothing)")
	limit := fs.Int("limit", defaultMaxAttachmentText, "cap on the text in bytes")
	mem := fs.Int64("mem", defaultChildMemory, "memory limit in bytes (0: none)")
	cpu := fs.Int64("cpu", int64(defaultChildCPU/time.Second), "CPU limit in seconds (0: none)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("mail: extract: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("mail: extract: unexpected arguments %q", fs.Args())
	}
	if err := LimitChild(*mem, *cpu); err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(stdin, maxPDFSize+1))
	if err != nil {
		return fmt.Errorf("mail: extract: reading the file: %w", err)
	}
	mt, params := mediaParams(*mediaType)
	var res childResult
	var xerr error
	if len(data) > maxPDFSize {
		xerr = fmt.Errorf("mail: file larger than %d MiB, text not extracted", maxPDFSize>>20)
	} else {
		res.Text, res.Truncated, xerr = extractTextIn(inChild, *name, mt, params["charset"], data, *limit)
	}
	if xerr != nil {
		res.Error = strings.ToValidUTF8(xerr.Error(), "?")
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return fmt.Errorf("mail: extract: writing the text: %w", err)
	}
	return nil
}

// LimitChild sets the limits of an extraction child on the calling
// process: a 64 MiB goroutine stack, a soft Go memory limit and an
// RLIMIT_AS of mem bytes beyond the address space the process has now
// (the Go runtime reserves address space at start, the race detector
// terabytes), and an RLIMIT_CPU of cpu seconds, after which the kernel
// kills the process (the Go runtime ignores the SIGXCPU before it). A limit
// of 0 is not set. It is called by ExtractChildMain; tests call it to check
// that the limits hold.
func LimitChild(mem, cpu int64) error {
	debug.SetMaxStack(childMaxStack)
	runtime.GOMAXPROCS(1) // parallelism comes from several children
	if mem > 0 {
		debug.SetMemoryLimit(mem)
	}
	if err := setChildRlimits(mem, cpu); err != nil {
		return fmt.Errorf("mail: extract: setting limits: %w", err)
	}
	return nil
}
