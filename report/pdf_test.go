package report_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"coordbot/i18n"
)

// chromium finds the browser, or skips the test when there is none and
// COORDBOT_REQUIRE_CHROMIUM is not set (CI sets it, so there the test
// fails instead).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("COORDBOT_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("chromium not found and COORDBOT_REQUIRE_CHROMIUM=1")
	}
	t.Skip("chromium not installed (apt-get install chromium); set COORDBOT_REQUIRE_CHROMIUM=1 to fail instead")
	return ""
}

// TestHTMLPrintsToPDF prints the Czech HTML report of the seed year's
// working group with headless Chromium,
// as a coordinator would with Ctrl+P, and reads the PDF's text back: the
// meetings and the table headers must be there. The PDF is kept in the
// test's artifact directory (go test -artifacts -outputdir DIR keeps it).
func TestHTMLPrintsToPDF(t *testing.T) {
	browser := chromium(t)
	page := renderHTML(t, seedReport(t, seedWorkingGroup, i18n.Czech))
	dir := t.ArtifactDir()
	in := filepath.Join(dir, "report_cs.html")
	out := filepath.Join(dir, "report_cs.pdf")
	if err := os.WriteFile(in, page, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// A profile of its own, so a browser the developer has open is not
	// asked to do the printing.
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu",
		"--no-pdf-header-footer", "--user-data-dir="+t.TempDir(),
		"--print-to-pdf="+out, "file://"+in)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no PDF: %v\n%s", err, stderr.String())
	}
	t.Logf("PDF of %d bytes: %s", len(data), out)
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("%s is not a PDF", out)
	}

	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if n := r.NumPage(); n < 1 || n > 6 {
		t.Errorf("%d pages", n)
	}
	// A4 is 595 × 842 points.
	if box := r.Page(1).V.Key("MediaBox"); box.Len() != 4 || math.Round(box.Index(2).Float64()) != 595 || math.Round(box.Index(3).Float64()) != 842 {
		t.Errorf("first page's MediaBox %v, want A4", box)
	}
	var text strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		s, err := r.Page(i).GetPlainText(nil)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		text.WriteString(s)
	}
	// Chromium places words as separate runs; compare without spaces.
	flat := strings.Join(strings.Fields(text.String()), "")
	for _, want := range []string{"23.3.2022", "23.6.2022", "2.11.2022", "Datum", "Přišli", "Omluveni", "Přehledsetkání", "Účastpodleorganizací"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text.String())
		}
	}
}
