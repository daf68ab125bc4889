package dashboard

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// dumpDOM loads the page file in headless Chromium, offline, with any
// further flags, and returns the DOM it built.
func dumpDOM(t *testing.T, bin, path string, flags ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu",
		"--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + t.TempDir()}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, "--dump-dom", "file://"+path)...)
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

// measureScript, put at the end of the page's body, writes into the DOM,
// for --dump-dom to carry out, the scroll and client widths of every
// table's scrolling wrapper, of the table itself, and of the document.
const measureScript = `<script>
(() => {
  const out = [];
  for (const w of document.querySelectorAll(".tablewrap")) {
    const t = w.querySelector("table");
    out.push("table " + w.scrollWidth + " " + w.clientWidth + " " + t.getBoundingClientRect().width);
  }
  const d = document.documentElement;
  out.push("document " + d.scrollWidth + " " + d.clientWidth);
  const pre = document.createElement("pre");
  pre.id = "widths";
  pre.textContent = out.join("\n");
  document.body.appendChild(pre);
})();
</script>
`

// TestChromiumTableFits renders the fixture page in a window 1280 pixels
// wide: every table of runs fits its column (its wrapper's scrollWidth is
// at most its clientWidth: no sideways scrolling), and so does the page.
// The measuring script is added to a copy of the page: the page itself
// runs no script.
func TestChromiumTableFits(t *testing.T) {
	bin := browser(t)
	_, doc := writeFixture(t)
	head, tail, ok := strings.Cut(doc, "</body>")
	if !ok {
		t.Fatal("page has no </body>")
	}
	path := filepath.Join(t.TempDir(), "measure.html")
	if err := os.WriteFile(path, []byte(head+measureScript+"</body>"+tail), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := dumpDOM(t, bin, path, "--window-size=1280,900")
	_, widths, ok := strings.Cut(dom, `<pre id="widths">`)
	widths, _, ok2 := strings.Cut(widths, "</pre>")
	if !ok || !ok2 {
		t.Fatalf("the measuring script wrote nothing (JavaScript off?)")
	}
	t.Logf("at 1280 px, scrollWidth clientWidth [table width]:\n%s", widths)
	tables := 0
	for line := range strings.SplitSeq(widths, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			t.Fatalf("bad measurement %q", line)
		}
		scroll, err1 := strconv.Atoi(f[1])
		client, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || client < 1000 {
			t.Fatalf("bad measurement %q (a window 1280 pixels wide?)", line)
		}
		if f[0] == "table" {
			tables++
		}
		if scroll > client {
			t.Errorf("%s scrolls sideways at 1280 px: scrollWidth %d > clientWidth %d (%s)", f[0], scroll, client, line)
		}
	}
	if tables != len(fixtureScenarios) {
		t.Errorf("measured %d tables, want %d", tables, len(fixtureScenarios))
	}
}
