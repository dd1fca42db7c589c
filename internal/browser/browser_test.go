package browser_test

import (
	"bytes"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"coordbot/internal/browser"
)

// testSite serves the pages the tests drive: a quiet one, one that opens
// an alert and one that throws, a tall one and a download.
func testSite(t *testing.T) *httptest.Server {
	t.Helper()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(`<!doctype html><html lang="cs"><head><meta charset="utf-8">` +
				`<meta name="viewport" content="width=device-width, initial-scale=1">` +
				`<link rel="icon" href="data:,"><title>t</title></head><body>` + body + `</body></html>`))
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/{$}", page(`<h1 id="title">Porada</h1><a id="dl" href="/file">zápis</a>`))
	// Chromium asks for an icon after each page, also after a 404 page
	// that names none; a late 404 for it would be logged after Forget.
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.Handle("/form", page(`<h1 id="title">Formulář</h1><input id="text"><p id="lang"></p>`))
	mux.HandleFunc("/csp", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		page(`<h1 id="title">x</h1><script>alert("inline")</script><p onclick="x()">p</p>`)(w, r)
	})
	mux.HandleFunc("/lang", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.Header.Get("Accept-Language")))
	})
	mux.Handle("/alert", page(`<script>alert("pwned")</script><h1 id="title">po alertu</h1>`))
	mux.Handle("/throw", page(`<h1 id="title">x</h1><script>console.error("bad", 42); throw new Error("boom")</script>`))
	mux.Handle("/log", page(`<h1 id="title">x</h1><script>console.log("hello")</script>`))
	mux.Handle("/tall", page(`<h1 id="title">vysoká</h1><div style="height:2000px;background:#eee">x</div>`))
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Disposition", `attachment; filename="zapis.txt"`)
		_, _ = w.Write([]byte("financování věznicích"))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// TestTab drives one browser through the helpers: a quiet page records
// nothing, an alert is recorded and dismissed (the page goes on loading),
// an exception, console.error and a script refused by the page's
// Content-Security-Policy count as errors while console.log does not,
// Forget clears the record and Ignore leaves chosen errors out, Load
// reports the status, Type enters Czech letters that SendKeys loses, the
// browser asks for Czech pages, and each tab is a private window.
func TestTab(t *testing.T) {
	ts := testSite(t)
	b := browser.Start(t)
	tab := b.NewTab(t)

	t.Run("quiet page records nothing", func(t *testing.T) {
		if status, err := tab.Load(chromedp.Navigate(ts.URL + "/")); err != nil || status != http.StatusOK {
			t.Fatalf("status %d, %v", status, err)
		}
		h1, err := browser.Run(tab, chromedp.Text(chromedp.ID("title")))
		if err != nil || h1 != "Porada" {
			t.Fatalf("h1 %q, %v", h1, err)
		}
		tab.AssertQuiet(t)
	})

	t.Run("alert recorded and dismissed", func(t *testing.T) {
		if err := tab.Do(chromedp.Navigate(ts.URL+"/alert"), chromedp.WaitVisible(chromedp.ID("title"))); err != nil {
			t.Fatal(err)
		}
		dialogs, err := tab.Dialogs()
		if err != nil {
			t.Fatal(err)
		}
		if len(dialogs) != 1 || dialogs[0].Type != "alert" || dialogs[0].Message != "pwned" {
			t.Fatalf("dialogs %+v, want one alert \"pwned\"", dialogs)
		}
		// The dialog was dismissed: the script after it ran on.
		h1, err := browser.Run(tab, chromedp.Text(chromedp.ID("title")))
		if err != nil || h1 != "po alertu" {
			t.Fatalf("h1 %q, %v", h1, err)
		}
		if err := tab.Forget(); err != nil {
			t.Fatal(err)
		}
		if d, _ := tab.Dialogs(); len(d) != 0 {
			t.Fatalf("after Forget: %+v", d)
		}
	})

	t.Run("exception and console.error are errors", func(t *testing.T) {
		if err := tab.Do(chromedp.Navigate(ts.URL+"/throw"), chromedp.WaitVisible(chromedp.ID("title"))); err != nil {
			t.Fatal(err)
		}
		errs, err := tab.Errors()
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		for _, m := range errs {
			all = append(all, m.String())
		}
		joined := strings.Join(all, "\n")
		if len(errs) != 2 || !strings.Contains(joined, "error: bad 42") || !strings.Contains(joined, "exception: ") || !strings.Contains(joined, "boom") {
			t.Fatalf("errors:\n%s\nwant console.error \"bad 42\" and the exception \"boom\"", joined)
		}
		_ = tab.Forget()
	})

	t.Run("script blocked by CSP is an error", func(t *testing.T) {
		if err := tab.Do(chromedp.Navigate(ts.URL+"/csp"), chromedp.WaitVisible(chromedp.ID("title"))); err != nil {
			t.Fatal(err)
		}
		if d, err := tab.Dialogs(); err != nil || len(d) != 0 {
			t.Fatalf("dialogs %+v, %v; the policy should have blocked the script", d, err)
		}
		errs, err := tab.Errors()
		if err != nil || len(errs) == 0 || !strings.Contains(errs[0].Text, "Content Security Policy") {
			t.Fatalf("errors %v, %v; want the refused inline script", errs, err)
		}
		_ = tab.Forget()
	})

	t.Run("console.log is no error", func(t *testing.T) {
		if err := tab.Do(chromedp.Navigate(ts.URL+"/log"), chromedp.WaitVisible(chromedp.ID("title"))); err != nil {
			t.Fatal(err)
		}
		msgs, err := tab.Messages()
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0].Level != "log" || msgs[0].Text != "hello" || msgs[0].IsError() {
			t.Fatalf("messages %v, want one log \"hello\"", msgs)
		}
		tab.AssertQuiet(t)
	})

	t.Run("load reports the status", func(t *testing.T) {
		if status, err := tab.Load(chromedp.Navigate(ts.URL + "/nowhere")); err != nil || status != http.StatusNotFound {
			t.Fatalf("status %d, %v; want 404", status, err)
		}
		_ = tab.Forget() // the 404 is logged as a failed resource
	})

	t.Run("Czech typed and asked for", func(t *testing.T) {
		const czech = "Příliš žluťoučký kůň úpěl ďábelské ódy; rozpočet č. 5"
		if err := tab.Do(chromedp.Navigate(ts.URL+"/form"), browser.Type("#text", czech)); err != nil {
			t.Fatal(err)
		}
		if v, err := browser.Run(tab, chromedp.Value(chromedp.ID("text"))); err != nil || v != czech {
			t.Errorf("typed %q, %v; want %q", v, err, czech)
		}
		lang, err := browser.Run(tab, chromedp.Evaluate[string](`fetch("/lang").then(r => r.text())`, chromedp.EvalAwaitPromise))
		if err != nil || !strings.HasPrefix(lang, "cs") {
			t.Errorf("Accept-Language %q, %v; want Czech first", lang, err)
		}
	})

	t.Run("ignored errors", func(t *testing.T) {
		if err := tab.Do(chromedp.Navigate(ts.URL+"/throw"), chromedp.WaitVisible(chromedp.ID("title"))); err != nil {
			t.Fatal(err)
		}
		tab.Ignore = func(m browser.Message) bool { return strings.Contains(m.Text, "bad") }
		defer func() { tab.Ignore = nil }()
		errs, err := tab.Errors()
		if err != nil || len(errs) != 1 || !strings.Contains(errs[0].Text, "boom") {
			t.Errorf("errors %v, %v; want only the exception", errs, err)
		}
		_ = tab.Forget()
	})

	t.Run("tabs are private windows", func(t *testing.T) {
		if err := tab.Do(chromedp.Evaluate[chromedp.Void](`document.cookie = "s=1; path=/"`)); err != nil {
			t.Fatal(err)
		}
		other := b.NewTab(t)
		if err := other.Do(chromedp.Navigate(ts.URL + "/")); err != nil {
			t.Fatal(err)
		}
		c, err := browser.Run(other, chromedp.Evaluate[string](`document.cookie`))
		if err != nil || c != "" {
			t.Fatalf("other tab's cookies %q, %v", c, err)
		}
	})
}

// TestScreenshots checks the two PNGs are 375 and 1280 px wide and hold the
// whole page, not only the first screen.
func TestScreenshots(t *testing.T) {
	ts := testSite(t)
	tab := browser.Start(t).NewTab(t)
	if err := tab.Do(chromedp.Navigate(ts.URL+"/tall"), chromedp.WaitVisible(chromedp.ID("title"))); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths, err := tab.Screenshots(dir, "tall")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{browser.Phone, browser.Desktop} {
		if filepath.Base(paths[i]) != "tall-"+map[int]string{375: "375", 1280: "1280"}[want]+".png" {
			t.Errorf("path %s", paths[i])
		}
		data, err := os.ReadFile(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", paths[i], err)
		}
		if cfg.Width != want || cfg.Height < 2000 {
			t.Errorf("%s is %d×%d, want %d wide and the whole page (over 2000 px) tall", paths[i], cfg.Width, cfg.Height, want)
		}
	}
}

// TestDownload clicks a link to an attachment and finds the file where the
// browser's events say it is, with the server's content.
func TestDownload(t *testing.T) {
	ts := testSite(t)
	tab := browser.Start(t).NewTab(t)
	if err := tab.Do(chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("dl"))); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	d, err := tab.Download(dir, chromedp.Click(chromedp.ID("dl")))
	if err != nil {
		t.Fatal(err)
	}
	if d.SuggestedName != "zapis.txt" || d.URL != ts.URL+"/file" {
		t.Errorf("download %+v", d)
	}
	data, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "financování věznicích" {
		t.Errorf("downloaded %q", data)
	}
	if filepath.Dir(d.Path) != dir {
		t.Errorf("saved at %s, not in %s", d.Path, dir)
	}
}
