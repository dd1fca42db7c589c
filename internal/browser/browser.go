// Package browser drives Debian's headless chromium for tests, through
// chromedp over a pipe: Start starts one browser per test (or skips the
// test when chromium is missing, unless COORDBOT_REQUIRE_CHROMIUM=1), and
// each Tab is a fresh private window that records every JavaScript dialog
// (and dismisses it, so a hostile alert() cannot stall the page) and every
// console message, uncaught exception and browser log entry, so a test
// can assert that a page ran nothing and complained about nothing. A tab
// also takes screenshots at a phone's and a desktop's width and waits for
// downloads through the browser's download events.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// RequireEnv names the environment variable that turns a missing chromium
// from a skipped test into a failed one (CI sets it to 1).
const RequireEnv = "COORDBOT_REQUIRE_CHROMIUM"

// DefaultTimeout bounds each Do and Run of a tab: generous, because the
// machine may be loaded, and finite, so a page that never shows what a
// test waits for fails the test instead of hanging it.
const DefaultTimeout = 60 * time.Second

// Path returns the chromium binary, or "" when none is installed. Debian
// names it chromium; the other names are for developers' machines.
func Path() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// Browser is a headless chromium that lives as long as the test that
// started it.
type Browser struct {
	// ctx is the chromedp context of the browser's first tab; tabs are its
	// children, so they share the process and not the cookies.
	ctx context.Context
}

// Start starts a headless chromium for t and stops it when t ends. It
// skips t when chromium is missing, or fails it when RequireEnv is "1".
// The sandbox is off because tests run as root here (chromium refuses to
// start sandboxed as root); the pages are the test's own.
func Start(t testing.TB) *Browser {
	t.Helper()
	path := Path()
	if path == "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatal("browser: chromium not found and " + RequireEnv + "=1")
		}
		t.Skip("browser: chromium not installed (apt-get install chromium); set " + RequireEnv + "=1 to fail instead")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(Desktop, 800),
		// A Czech browser, as most visitors have: pages that follow
		// Accept-Language answer in Czech.
		chromedp.Flag("lang", "cs-CZ"),
		chromedp.Flag("accept-lang", "cs-CZ,cs"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := firstRun(ctx); err != nil {
		t.Fatalf("browser: start %s: %v", path, err)
	}
	return &Browser{ctx: ctx}
}

// firstRun makes the first chromedp run on ctx, which starts the browser
// or opens the tab. It must not run under a deadline: chromedp binds the
// life of the browser or tab to the context of its first run, so a
// context that ends with the call would close them. The wait is bounded
// here instead.
func firstRun(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(DefaultTimeout):
		return fmt.Errorf("browser: no answer within %s", DefaultTimeout)
	}
}

// Dialog is a JavaScript dialog a page opened (alert, confirm, prompt,
// beforeunload).
type Dialog struct {
	Type    string
	Message string
	URL     string
}

// Message is one console message, uncaught exception or browser log entry.
type Message struct {
	// Level is "exception" for an uncaught exception; a console API call's
	// type ("log", "error", "warning", "assert", ...); or a log entry's
	// level ("verbose", "info", "warning", "error").
	Level string
	// Source is where a log entry came from ("network", "security",
	// "javascript", ...); "console" for console API calls and exceptions.
	Source string
	Text   string
	URL    string
}

// String is the message as a test failure shows it.
func (m Message) String() string {
	s := m.Source + " " + m.Level + ": " + m.Text
	if m.URL != "" {
		s += " (" + m.URL + ")"
	}
	return s
}

// IsError reports whether the message is an exception, a console.error or
// console.assert, or a log entry of level error (a refused resource, a
// Content-Security-Policy violation, a failed request).
func (m Message) IsError() bool {
	switch m.Level {
	case "exception", "error", "assert":
		return true
	}
	return false
}

// Tab is one tab of a Browser in a browser context of its own (a private
// window: no cookies shared with other tabs). It records dialogs and
// console messages from the moment it opens.
type Tab struct {
	// Timeout bounds each Do and Run; DefaultTimeout unless changed.
	Timeout time.Duration
	// Ignore, when set, picks messages that Errors and AssertQuiet leave
	// out (a test's known, harmless noise); Messages still has them.
	Ignore func(Message) bool

	ctx context.Context
	mu  sync.Mutex
	// dialogs and messages are what the page did so far (guarded by mu).
	dialogs  []Dialog
	messages []Message
}

// NewTab opens a tab in a new browser context and closes it when t ends.
func (b *Browser) NewTab(t testing.TB) *Tab {
	t.Helper()
	tab := &Tab{Timeout: DefaultTimeout}
	// WithListener adds the func before the tab's first command, so no
	// event of the tab is missed. It runs in the tab's read loop, in the
	// order the events arrive and before the next message (a command's
	// reply) is read: whatever happened before a command returned has been
	// recorded when it returns. It must not run a command itself, so the
	// dismissal of a dialog runs in a goroutine.
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(tab.record))
	t.Cleanup(cancel)
	tab.ctx = ctx
	if err := firstRun(ctx); err != nil {
		t.Fatalf("browser: open tab: %v", err)
	}
	return tab
}

// record is the tab's event listener.
func (tab *Tab) record(ev any) {
	switch ev := ev.(type) {
	case *page.EventJavascriptDialogOpening:
		tab.mu.Lock()
		tab.dialogs = append(tab.dialogs, Dialog{Type: string(ev.Type), Message: ev.Message, URL: ev.URL})
		tab.mu.Unlock()
		// An open dialog blocks the page and every command after it:
		// dismiss it (Cancel, as a user would) so the test goes on and
		// finds the dialog in the record.
		go func() {
			_, _ = chromedp.Call(tab.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}()
	case *runtime.EventConsoleAPICalled:
		tab.add(Message{Level: string(ev.Type), Source: "console", Text: argsText(ev.Args)})
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		tab.add(Message{Level: "exception", Source: "console", Text: text, URL: d.URL})
	case *log.EventEntryAdded:
		e := ev.Entry
		tab.add(Message{Level: string(e.Level), Source: string(e.Source), Text: e.Text, URL: e.URL})
	}
}

func (tab *Tab) add(m Message) {
	tab.mu.Lock()
	tab.messages = append(tab.messages, m)
	tab.mu.Unlock()
}

// argsText writes console API arguments as the console would, roughly:
// strings as they are, other values as JSON or their description.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case len(a.Value) > 0:
			v := string(a.Value)
			if s, err := strconv.Unquote(v); err == nil {
				v = s
			}
			parts = append(parts, v)
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

// Context is the tab's chromedp context, for chromedp calls the helpers
// here do not cover. It has no deadline of its own.
func (tab *Tab) Context() context.Context { return tab.ctx }

// Do runs actions in the tab, in order, within Timeout.
func (tab *Tab) Do(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(tab.ctx, tab.Timeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// Run runs one action in tab within its Timeout and returns its value.
func Run[T any](tab *Tab, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(tab.ctx, tab.Timeout)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// Load runs steps that lead to a new page (a Navigate, a Click on a link
// or a submit button), waits until that page has loaded, and returns the
// HTTP status of its document: after a redirect, the status of the page
// redirected to. Steps that lead nowhere make it wait for Timeout.
func (tab *Tab) Load(steps ...chromedp.Action[chromedp.Void]) (int64, error) {
	ctx, cancel := context.WithTimeout(tab.ctx, tab.Timeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		return 0, err
	}
	if res == nil {
		return 0, fmt.Errorf("browser: no document loaded")
	}
	return res.Status, nil
}

// Type focuses the element sel (CSS) and enters text as a keyboard's
// input method would (Input.insertText): every character arrives, with
// input events. chromedp's SendKeys maps some letters to wrong keys (in
// v0.23.1 "č", U+010D, is sent as the Shift key and never typed), so
// Czech text goes through Type.
func Type(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Focus(chromedp.CSS(sel)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
			return err
		}))
}

// settle makes one round trip to the page, so every event sent before it
// has gone through the listener (see NewTab).
func (tab *Tab) settle() error {
	_, err := Run(tab, chromedp.Evaluate[int]("0"))
	if err != nil {
		return fmt.Errorf("browser: settle: %w", err)
	}
	return nil
}

// Dialogs returns the dialogs the tab's pages opened so far.
func (tab *Tab) Dialogs() ([]Dialog, error) {
	if err := tab.settle(); err != nil {
		return nil, err
	}
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]Dialog(nil), tab.dialogs...), nil
}

// Messages returns every console message, exception and log entry so far.
func (tab *Tab) Messages() ([]Message, error) {
	if err := tab.settle(); err != nil {
		return nil, err
	}
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]Message(nil), tab.messages...), nil
}

// Errors returns the messages for which IsError holds.
func (tab *Tab) Errors() ([]Message, error) {
	all, err := tab.Messages()
	if err != nil {
		return nil, err
	}
	var errs []Message
	for _, m := range all {
		if m.IsError() && (tab.Ignore == nil || !tab.Ignore(m)) {
			errs = append(errs, m)
		}
	}
	return errs, nil
}

// Forget clears what the tab recorded, so a test can check one page at a
// time.
func (tab *Tab) Forget() error {
	if err := tab.settle(); err != nil {
		return err
	}
	tab.mu.Lock()
	defer tab.mu.Unlock()
	tab.dialogs, tab.messages = nil, nil
	return nil
}

// AssertQuiet fails t when the tab's pages opened a dialog or logged an
// error (exception, console.error, refused resource, CSP violation) since
// it opened or since Forget.
func (tab *Tab) AssertQuiet(t testing.TB) {
	t.Helper()
	dialogs, err := tab.Dialogs()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dialogs {
		t.Errorf("browser: page opened a %s dialog %q (%s)", d.Type, d.Message, d.URL)
	}
	errs, err := tab.Errors()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range errs {
		t.Errorf("browser: %s", m)
	}
}
