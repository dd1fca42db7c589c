package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The widths screenshots are taken at, in CSS pixels: a phone and a desktop.
const (
	Phone   = 375
	Desktop = 1280
)

// maxShotHeight caps a full-page screenshot, so a runaway page cannot make
// a huge file.
const maxShotHeight = 6000

// Screenshots writes the page the tab shows as two PNGs, name-375.png and
// name-1280.png, into dir, and returns their paths. Each is the whole page
// (not only the first screen) at one device pixel per CSS pixel; the phone
// one with mobile emulation, so the page's viewport meta tag applies. The
// tab is left at 1280×800.
func (tab *Tab) Screenshots(dir, name string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("browser: screenshots: %w", err)
	}
	var paths []string
	for _, w := range []int64{Phone, Desktop} {
		png, err := Run(tab, fullPage(w))
		if err != nil {
			return paths, fmt.Errorf("browser: screenshot %s at %d px: %w", name, w, err)
		}
		path := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, w))
		if err := os.WriteFile(path, png, 0o644); err != nil {
			return paths, fmt.Errorf("browser: screenshots: %w", err)
		}
		paths = append(paths, path)
	}
	// Back to a desktop's first screen, for what the test does next.
	if err := tab.Do(chromedp.EmulateViewport(Desktop, 800, chromedp.EmulateLandscape)); err != nil {
		return paths, fmt.Errorf("browser: screenshots: %w", err)
	}
	return paths, nil
}

// fullPage sets the viewport to width, measures the page laid out at that
// width, and captures it whole as PNG.
func fullPage(width int64) chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		var opts []chromedp.EmulateViewportOption
		if width < Desktop {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulatePortrait)
		} else {
			opts = append(opts, chromedp.EmulateLandscape)
		}
		if _, err := chromedp.EmulateViewport(width, 800, opts...)(ctx, t); err != nil {
			return nil, err
		}
		height, err := chromedp.Evaluate[float64](`Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)`)(ctx, t)
		if err != nil {
			return nil, err
		}
		h := min(max(int64(height), 100), maxShotHeight)
		// The viewport as tall as the page: a clip beyond the viewport
		// would show fixed elements in the wrong place on some pages.
		if _, err := chromedp.EmulateViewport(width, h, opts...)(ctx, t); err != nil {
			return nil, err
		}
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:      page.CaptureScreenshotFormatPng,
			FromSurface: new(true),
			Clip:        &page.Viewport{X: 0, Y: 0, Width: float64(width), Height: float64(h), Scale: 1},
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}
}
