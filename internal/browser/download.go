package browser

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Download is a file the browser saved.
type Download struct {
	// Path is where the file is: dir/<guid>, since the browser is told to
	// name files by their download id (a hostile suggested name cannot
	// choose the file).
	Path string
	// SuggestedName is the name the browser would have given the file
	// (from Content-Disposition, sanitised by the browser).
	SuggestedName string
	// URL is the address the file came from.
	URL string
}

// Download runs trigger (typically a Click on a link that answers with
// Content-Disposition: attachment), lets the browser save the download
// into dir and waits for the browser's own events that say it began and
// completed: no polling of the directory, no sleeps. It fails when the
// download is cancelled or none begins within the tab's Timeout.
func (tab *Tab) Download(dir string, trigger chromedp.Action[chromedp.Void]) (*Download, error) {
	ctx, cancel := context.WithTimeout(tab.ctx, tab.Timeout)
	defer cancel()
	// Downloads are a browser-level setting, per browser context (the
	// tab's private window); eventsEnabled makes the browser report them
	// on the browser session.
	_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior:         browser.SetDownloadBehaviorBehaviorAllowAndName,
		BrowserContextID: chromedp.FromContext(tab.ctx).BrowserContextID,
		DownloadPath:     dir,
		EventsEnabled:    new(true),
	})
	if err != nil {
		return nil, fmt.Errorf("browser: download behaviour: %w", err)
	}
	// Subscribe before the trigger: the iterators buffer from here on.
	begins := chromedp.BrowserEvents(ctx, browser.DownloadWillBegin)
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	if err := chromedp.Do(ctx, trigger); err != nil {
		return nil, fmt.Errorf("browser: download trigger: %w", err)
	}
	var d *Download
	var guid string
	for ev, err := range begins {
		if err != nil {
			return nil, fmt.Errorf("browser: no download began: %w", err)
		}
		guid = ev.GUID
		d = &Download{SuggestedName: ev.SuggestedFilename, URL: ev.URL}
		break
	}
	for ev, err := range progress {
		if err != nil {
			return nil, fmt.Errorf("browser: download %s did not complete: %w", d.URL, err)
		}
		if ev.GUID != guid {
			continue
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			d.Path = filepath.Join(dir, guid)
			if ev.FilePath != "" {
				d.Path = ev.FilePath
			}
			return d, nil
		case browser.DownloadProgressStateCanceled:
			return nil, fmt.Errorf("browser: download %s cancelled", d.URL)
		}
	}
	return nil, fmt.Errorf("browser: download %s: events ended", d.URL)
}
