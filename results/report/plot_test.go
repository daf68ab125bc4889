package report

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results"
)

func fakeRun(scenario string, seed uint64, acc0, loss0 float64) *results.Record {
	r := &results.Record{SchemaVersion: results.SchemaVersion, Scenario: scenario, Seed: seed, Status: results.StatusOK}
	for e := 1; e <= 3; e++ {
		r.Epochs = append(r.Epochs, results.Epoch{
			Epoch:        e,
			TestAccuracy: 1 - (1-acc0)/float64(e),
			TestLoss:     loss0 / float64(e),
		})
	}
	return r
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keepForViewing copies the figures at paths, their names prefixed, into
// the folder $PLOT_OUT names, if it names one: to look at them.
func keepForViewing(t *testing.T, prefix string, paths ...string) {
	t.Helper()
	out := os.Getenv("PLOT_OUT")
	if out == "" {
		return
	}
	for _, p := range paths {
		if err := os.WriteFile(filepath.Join(out, prefix+filepath.Base(p)), readFile(t, p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkFigure checks a written PNG decodes to a sensible size and the SVG
// holds the given texts.
func checkFigure(t *testing.T, paths []string, base string, texts ...string) {
	t.Helper()
	var pngPath, svgPath string
	for _, p := range paths {
		switch filepath.Base(p) {
		case base + ".png":
			pngPath = p
		case base + ".svg":
			svgPath = p
		}
	}
	if pngPath == "" || svgPath == "" {
		t.Fatalf("%s: paths %v lack the PNG or the SVG", base, paths)
	}
	img, err := png.Decode(bytes.NewReader(readFile(t, pngPath)))
	if err != nil {
		t.Fatalf("%s: %v", pngPath, err)
	}
	if s := img.Bounds().Size(); s.X < 800 || s.Y < 400 || s.X > 4000 || s.Y > 4000 {
		t.Errorf("%s: %dx%d pixels", pngPath, s.X, s.Y)
	}
	svg := readFile(t, svgPath)
	if !bytes.HasPrefix(svg, []byte("<?xml")) || !bytes.Contains(svg, []byte("</svg>")) {
		t.Errorf("%s: not an SVG document", svgPath)
	}
	for _, s := range texts {
		if !bytes.Contains(svg, []byte(">"+s+"</text>")) {
			t.Errorf("%s: no text %q", svgPath, s)
		}
	}
}

func TestPlotRuns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plots") // created by PlotRuns
	recs := []*results.Record{
		fakeRun("single-cpu", 1, 0.95, 0.16),
		fakeRun("mirrored-4", 42, 0.96, 0.13),
		{SchemaVersion: results.SchemaVersion, Scenario: "skipped-run", Seed: 3, Status: results.StatusSkipped}, // no epochs
		nil,
	}
	paths, err := PlotRuns(dir, recs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"accuracy.png", "accuracy.svg", "loss.png", "loss.svg"}
	if len(paths) != len(want) {
		t.Fatalf("paths %v, want %v", paths, want)
	}
	for i, p := range paths {
		if p != filepath.Join(dir, want[i]) {
			t.Errorf("path %d is %s, want %s", i, p, filepath.Join(dir, want[i]))
		}
	}
	checkFigure(t, paths, "accuracy", "epoch", "test accuracy", "Test accuracy per epoch", "single-cpu seed 1", "mirrored-4 seed 42")
	checkFigure(t, paths, "loss", "epoch", "test loss", "Test loss per epoch", "single-cpu seed 1", "mirrored-4 seed 42")
	for _, p := range paths[:2] {
		if bytes.Contains(readFile(t, p), []byte("skipped-run")) {
			t.Errorf("%s shows the run without epochs", p)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Errorf("%s holds %d entries, want the 4 figures (no temporary files)", dir, len(entries))
	}
	keepForViewing(t, "", paths...)
}

func TestPlotRunsEdgeCases(t *testing.T) {
	dir := t.TempDir()
	if _, err := PlotRuns(dir, []*results.Record{{Scenario: "x"}}); err == nil {
		t.Error("no records with epochs: no error")
	}
	// Same scenario and seed twice, a diverged loss, one epoch, epochs not
	// numbered: drawn, not an error.
	a, b := fakeRun("s", 1, 0.9, 0.3), fakeRun("s", 1, 0.9, 0.3)
	b.Epochs[2].TestLoss = math.NaN()
	c := &results.Record{Scenario: "one", Epochs: []results.Epoch{{TestAccuracy: 0.5, TestLoss: 1}}}
	paths, err := PlotRuns(dir, []*results.Record{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, paths, "loss", "s seed 1", "s seed 1 (2)", "one seed 0")

	// Many runs: the figure grows to hold the legend, every run listed.
	var many []*results.Record
	for i := range 30 {
		many = append(many, fakeRun("mirrored-cpu-replicas", uint64(1000+i), 0.9+0.003*float64(i), 0.3-0.005*float64(i)))
	}
	paths, err = PlotRuns(filepath.Join(dir, "many"), many)
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, paths, "accuracy", "mirrored-cpu-replicas seed 1000", "mirrored-cpu-replicas seed 1029")
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if cfg, err := png.DecodeConfig(f); err != nil || cfg.Height <= 5*pngDPI {
		t.Errorf("30 runs: PNG height %d (%v), want more than the usual %d", cfg.Height, err, 5*pngDPI)
	}
	keepForViewing(t, "many-", paths[0])
}

func TestPlotThroughput(t *testing.T) {
	dir := t.TempDir()
	bars := []ThroughputBar{
		{Label: "native, 1 thread", USPerSample: 410, Kind: ThroughputMeasured},
		{Label: "native, 4 replicas", USPerSample: 118.5, Kind: ThroughputMeasured},
		{Label: "gorgonia, 1 thread", USPerSample: 2350, Kind: ThroughputMeasured},
		{Label: "native, 64 cores", USPerSample: 9.8, Kind: ThroughputProjected},
		{Label: "TensorFlow, H200 (reported)", USPerSample: 2.1, Kind: ThroughputReported},
	}
	paths, err := PlotThroughput(dir, bars)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || paths[0] != filepath.Join(dir, "throughput.png") || paths[1] != filepath.Join(dir, "throughput.svg") {
		t.Fatalf("paths %v", paths)
	}
	checkFigure(t, paths, "throughput",
		"µs per training sample (lower is better)", "Training throughput (log scale)",
		"measured", "projected", "reported",
		"native, 1 thread", "TensorFlow, H200 (reported)", "410 µs", "9.8 µs", "2.1 µs")
	keepForViewing(t, "", paths...)

	// A narrow range: linear axis, from zero; one kind only.
	lin := filepath.Join(dir, "linear")
	paths, err = PlotThroughput(lin, bars[:2])
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, paths, "throughput", "Training throughput", "measured", "0", "119 µs")
	if strings.Contains(string(readFile(t, paths[1])), ">projected</text>") {
		t.Error("legend shows a kind no bar has")
	}
}

func TestPlotThroughputErrors(t *testing.T) {
	dir := t.TempDir()
	for _, bars := range [][]ThroughputBar{
		nil,
		{{Label: "a", USPerSample: 1, Kind: "guessed"}},
		{{Label: "a", USPerSample: 0, Kind: ThroughputMeasured}},
		{{Label: "a", USPerSample: -3, Kind: ThroughputMeasured}},
		{{Label: "a", USPerSample: math.NaN(), Kind: ThroughputMeasured}},
		{{Label: "a", USPerSample: math.Inf(1), Kind: ThroughputMeasured}},
	} {
		if _, err := PlotThroughput(dir, bars); err == nil {
			t.Errorf("%v: no error", bars)
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("failed plots left %d files (%v)", len(entries), err)
	}
}
