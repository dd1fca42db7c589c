package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestExtractCommand runs the real main() as `coordbot extract` in a child
// process (the test binary acts as coordbot, see TestMain), in a directory
// without a configuration: it answers the PDF's text as JSON.
func TestExtractCommand(t *testing.T) {
	pdf, err := os.ReadFile("../../mail/testdata/attachments/financovani-sluzeb.pdf")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "COORDBOT_TEST_RUN_MAIN=1", "COORDBOT_TEST_ARGS=extract -type application/pdf -limit 60")
	cmd.Stdin = bytes.NewReader(pdf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("extract: %v, stderr %s", err, stderr.String())
	}
	var res struct {
		Text      string
		Truncated bool
		Error     string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("answer %q: %v", out, err)
	}
	if !strings.HasPrefix(res.Text, "Zápis z jednání pracovní skupiny\nFinancování") || !res.Truncated || len(res.Text) > 60 || res.Error != "" {
		t.Errorf("answer %+v", res)
	}
}

// TestExtractorNotInTests: a test binary run as `extract` would run the
// tests again, so commands in tests read PDFs in process.
func TestExtractorNotInTests(t *testing.T) {
	if x := newExtractor(nil); x != nil {
		t.Errorf("newExtractor in a test = %T, want nil", x)
	}
}
