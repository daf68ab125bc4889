package dashboard

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/internal/testdeps"
)

// browser returns a Chromium-like browser on PATH, or skips the test.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	testdeps.Missing(t, testdeps.Chromium, "no chromium, chromium-browser or google-chrome on PATH to check the rendered page")
	return ""
}

// dumpDOM loads the page file in headless Chromium, offline, and returns
// the DOM it built.
func dumpDOM(t *testing.T, bin, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
		"--dump-dom", "file://"+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("%s --dump-dom timed out (a script on the page calling alert() blocks it)", bin)
	}
	if err != nil || len(out) == 0 {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		t.Fatalf("%s --dump-dom: %v\n%s", bin, err, strings.Join(lines[max(0, len(lines)-5):], "\n"))
	}
	return string(out)
}

// TestChromium renders the fixture page in a real browser: every chart has
// one series per host, and the hostile strings are text in the DOM, not
// elements or event handlers.
func TestChromium(t *testing.T) {
	bin := browser(t)
	path, _ := writeFixture(t)
	dom := dumpDOM(t, bin, path)
	els := elements(t, dom)
	plots := 0
	for _, e := range els {
		if e.name == "svg" && e.class() == "plot" {
			plots++
		}
	}
	if want := 2 * len(fixtureScenarios); plots != want {
		t.Errorf("rendered %d charts, want %d", plots, want)
	}
	checkSeries(t, els)
	checkNoInjection(t, els)
	if !strings.Contains(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("rendered DOM lacks the description's <script> as escaped text")
	}
	if !strings.Contains(dom, `"&gt;&lt;img src=x onerror=alert(1)&gt;`) {
		t.Error("rendered DOM lacks the host class's <img> as escaped text")
	}
}
