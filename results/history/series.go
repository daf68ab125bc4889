package history

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/store"
)

// The metrics a series can follow.
const (
	MetricSamplesPerSecond = "samples_per_second" // the default
	MetricUSPerSample      = "us_per_sample"
	MetricTestAccuracy     = "test_accuracy"
	MetricTimeToTarget     = "time_to_target"
)

// metric is how a metric is read from a run and which way is better.
type metric struct {
	name          string
	value         func(store.Run) float64
	lowerIsBetter bool
	speed         bool // a speed: changes are "faster"/"slower", else "better"/"worse"
}

var metrics = []metric{
	{MetricSamplesPerSecond, func(r store.Run) float64 { return r.SamplesPerSecond }, false, true},
	{MetricUSPerSample, func(r store.Run) float64 { return r.USPerSample }, true, true},
	{MetricTestAccuracy, func(r store.Run) float64 { return r.TestAccuracy }, false, false},
	{MetricTimeToTarget, func(r store.Run) float64 { return r.TimeToTarget }, true, true},
}

// Metrics returns the names of the metrics Build accepts, the default first.
func Metrics() []string {
	names := make([]string, len(metrics))
	for i, m := range metrics {
		names[i] = m.name
	}
	return names
}

func lookupMetric(name string) (metric, error) {
	if name == "" {
		name = MetricSamplesPerSecond
	}
	for _, m := range metrics {
		if m.name == name {
			return m, nil
		}
	}
	return metric{}, fmt.Errorf("history: unknown metric %q (valid: %s)", name, strings.Join(Metrics(), ", "))
}

// Point is one run's value in a series.
type Point struct {
	Key, Commit string
	Time        time.Time
	Value       float64
	Run         store.Run
}

// Series is one scenario's metric over time on one host class in one
// configuration (store.SeriesKey), with the change points found in it.
type Series struct {
	// Scenario and HostClass are Key's, repeated for brevity.
	Scenario, HostClass, Metric string
	// Key is what the series' runs share: scenario, host class, and the
	// configuration as run (engine and its kernel path or devices, the
	// framework's versions, devices, epochs, training images, batch).
	Key     store.SeriesKey
	Points  []Point
	Changes []Change
}

// Line is what tells the series apart from the scenario's others: the host
// class and the configuration, e.g. "AMD EPYC 9B45 · 2 threads · amd64 ·
// native avx512 on cpu:1 · 1 epoch, 6400 images, batch 32".
func (s Series) Line() string {
	return store.SeriesKey{HostClass: s.HostClass, Config: s.Key.Config}.Line()
}

// Build makes one series per series key (store.Run.Series: scenario, host
// class and configuration) of runs, ordered by key, its points in time
// order (then by key), and detects the changes in each with the default
// Options. So a short run (--epochs, --train-limit), another kernel path or
// another framework version starts a series of its own instead of showing
// as a change. The metric is one of Metrics ("" is samples_per_second).
// Only runs with status ok or target_missed and a finite, non-zero value
// become points; runs at one commit stay separate points. A group with no
// points has no series.
func Build(runs []store.Run, metricName string) ([]Series, error) {
	m, err := lookupMetric(metricName)
	if err != nil {
		return nil, err
	}
	series := group(runs, m)
	for i := range series {
		s := &series[i]
		sortPoints(s.Points)
		s.Changes = Detect(values(s.Points), Options{})
	}
	return series, nil
}

// group gathers the points of runs by series key.
func group(runs []store.Run, m metric) []Series {
	index := map[store.SeriesKey]int{}
	var series []Series
	for _, r := range runs {
		p, ok := point(r, m)
		if !ok {
			continue
		}
		k := r.Series()
		i, seen := index[k]
		if !seen {
			i = len(series)
			index[k] = i
			series = append(series, Series{Scenario: k.Scenario, HostClass: k.HostClass, Metric: m.name, Key: k})
		}
		series[i].Points = append(series[i].Points, p)
	}
	slices.SortFunc(series, func(a, b Series) int { return a.Key.Compare(b.Key) })
	return series
}

// point is r's point, and whether r makes one.
func point(r store.Run, m metric) (Point, bool) {
	if r.Status != results.StatusOK && r.Status != results.StatusTargetMissed {
		return Point{}, false
	}
	v := m.value(r)
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return Point{}, false
	}
	return Point{Key: r.Key, Commit: r.Commit, Time: r.StartedAt, Value: v, Run: r}, true
}

func sortPoints(points []Point) {
	slices.SortStableFunc(points, func(a, b Point) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Key, b.Key))
	})
}

func values(points []Point) []float64 {
	v := make([]float64, len(points))
	for i, p := range points {
		v[i] = p.Value
	}
	return v
}
