package history

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mirrorbench/mirrorbench/results/internal/golden"
)

// The golden output of fixedRuns, for a throughput (higher is better) and
// a time per sample (lower is better); go test -update rewrites it.
func TestWriteTextGolden(t *testing.T) {
	for _, f := range []struct{ metric, file string }{
		{MetricSamplesPerSecond, "history.txt"},
		{MetricUSPerSample, "history_us.txt"},
	} {
		series, err := Build(fixedRuns(), f.metric)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteText(&buf, series); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, f.file, buf.Bytes())
	}
}

func TestChangeMark(t *testing.T) {
	for _, c := range []struct {
		metric string
		ratio  float64
		want   string
	}{
		{MetricSamplesPerSecond, 0.919, "▼ -8.1 % slower (p=0.005)"},
		{MetricSamplesPerSecond, 1.05, "▲ +5.0 % faster (p=0.005)"},
		{MetricUSPerSample, 1.088, "▲ +8.8 % slower (p=0.005)"},
		{MetricTimeToTarget, 0.5, "▼ -50.0 % faster (p=0.005)"},
		{MetricTestAccuracy, 0.98, "▼ -2.0 % worse (p=0.005)"},
		{MetricTestAccuracy, 1.01, "▲ +1.0 % better (p=0.005)"},
		{MetricSamplesPerSecond, 0, "change (p=0.005)"},
	} {
		m, _ := lookupMetric(c.metric)
		if got := changeMark(Change{Ratio: c.ratio, P: 0.005}, m); got != c.want {
			t.Errorf("%s, ratio %g: %q, want %q", c.metric, c.ratio, got, c.want)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextError(t *testing.T) {
	series, _ := Build(fixedRuns(), "")
	if err := WriteText(failWriter{}, series); err == nil || err.Error() != "disk full" {
		t.Errorf("WriteText to a failing writer: %v, want disk full", err)
	}
}
