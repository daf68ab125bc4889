package dashboard

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/results/history"
	"github.com/mirrorbench/mirrorbench/results/store"
)

// Full runs and one-epoch runs of one scenario on one host are two lines,
// each with its own colour and legend entry naming its configuration, and
// each run's row names the configuration of its line.
func TestConfigurationsAreLines(t *testing.T) {
	var runs []store.Run
	for i := range 8 {
		r := fixtureRun(0, 0, i, fixtureHosts[0], "reference-cpu1")
		r.Engine, r.EnginePath, r.Devices, r.Epochs, r.TrainImages, r.Batch = "native", "avx512", "cpu:1", 5, 60000, 32
		if i%2 == 1 {
			r.Epochs, r.TrainImages = 1, 640
			r.SamplesPerSecond *= 0.7
		}
		r.StartedAt = t0.Add(time.Duration(i) * time.Hour)
		runs = append(runs, r)
	}
	tp, err := history.Build(runs, history.MetricSamplesPerSecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(tp) != 2 {
		t.Fatalf("%d series, want 2 (full and one-epoch runs)", len(tp))
	}
	path, err := Write(t.TempDir(), tp, nil, generatedAt)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	doc := string(data)
	full := fixtureHosts[0] + " · native avx512 on cpu:1 · 5 epochs, 60000 images, batch 32"
	short := fixtureHosts[0] + " · native avx512 on cpu:1 · 1 epoch, 640 images, batch 32"
	for _, line := range []string{full, short} {
		if n := strings.Count(doc, "</svg>"+line+"</li>"); n != 1 {
			t.Errorf("legend entries for %q: %d, want 1", line, n)
		}
		if n := strings.Count(doc, "</svg> "+line+"</td>"); n != 4 {
			t.Errorf("rows naming %q: %d, want 4", line, n)
		}
	}
	if c := hostColours(tp); len(c) != 2 || c[full] == c[short] {
		t.Errorf("colours %v: want two lines, two colours", c)
	}
}
