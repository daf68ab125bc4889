package dashboard

// The page: history series grouped by scenario into sections of two charts
// and a table of runs, executed through html/template and written
// atomically.

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/results/history"
	"github.com/mirrorbench/mirrorbench/results/store"
)

// FileName is the page Write writes.
const FileName = "index.html"

// timeLayout is how the page writes a time (always UTC).
const timeLayout = "2006-01-02 15:04:05Z"

var (
	// Okabe-Ito colours, told apart with colour blindness; yellow left out
	// as too faint on white. Hosts beyond them repeat a colour with a
	// dashed line.
	palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}
	dashes  = []string{"none", "6 3", "2 2"}

	//go:embed page.html
	pageHTML string
	page     = template.Must(template.New(FileName).Parse(pageHTML))
)

// pageView is the whole page as the template draws it.
type pageView struct {
	Generated, GeneratedISO string
	Runs, Hosts             int
	Sections                []sectionView
}

// sectionView is one scenario: its charts and its runs.
type sectionView struct {
	ID                string // element id: "scenario-N", whatever the name
	Name, Description string
	Hosts             []hostView
	Charts            []chartView
	Rows              []rowView
}

// hostView is a legend entry.
type hostView struct {
	Name, Color, Dash string
}

// rowView is one run's key facts in the table.
type rowView struct {
	Key, ShortKey, Time, Commit, Host, Color          string
	Config, ConfigTitle, Seed, Status                 string
	SamplesPerSecond, USPerSample, Accuracy, Target   string
	Fingerprint, FullFingerprint, FullCommit, Failing string
}

// Write writes the dashboard of the throughput and accuracy series (as
// history.Build returns them for "samples_per_second" and "test_accuracy")
// to dir/index.html, creating dir, and returns the file's path. generated
// is the time the page says it was made.
func Write(dir string, throughput, accuracy []history.Series, generated time.Time) (path string, err error) {
	var buf bytes.Buffer
	if err := page.Execute(&buf, buildPage(throughput, accuracy, generated)); err != nil {
		return "", fmt.Errorf("dashboard: %w", err)
	}
	path = filepath.Join(dir, FileName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("dashboard: %w", err)
	}
	if err := results.WriteFileAtomic(path, buf.Bytes()); err != nil {
		return "", fmt.Errorf("dashboard: %w", err)
	}
	return path, nil
}

// buildPage groups the series by scenario, in name order.
func buildPage(throughput, accuracy []history.Series, generated time.Time) pageView {
	pv := pageView{Generated: generated.UTC().Format(timeLayout), GeneratedISO: generated.UTC().Format(time.RFC3339)}
	colours := hostColours(throughput, accuracy)
	pv.Hosts = len(colours)
	for i, name := range scenarios(throughput, accuracy) {
		tp, acc := ofScenario(throughput, name), ofScenario(accuracy, name)
		sec := sectionView{ID: "scenario-" + strconv.Itoa(i+1), Name: name,
			Description: description(tp, acc),
			Hosts:       legend(colours, tp, acc),
			Charts: []chartView{buildChart(throughputMetric, name, tp, colours),
				buildChart(accuracyMetric, name, acc, colours)},
			Rows: rows(colours, tp, acc)}
		pv.Runs += len(sec.Rows)
		pv.Sections = append(pv.Sections, sec)
	}
	return pv
}

// scenarios returns the scenario names of all series, sorted.
func scenarios(sets ...[]history.Series) []string {
	var names []string
	for _, set := range sets {
		for _, s := range set {
			names = append(names, s.Scenario)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// ofScenario returns the series of one scenario, by line (host class, then
// configuration).
func ofScenario(set []history.Series, scenario string) []history.Series {
	var out []history.Series
	for _, s := range set {
		if s.Scenario == scenario {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b history.Series) int { return cmp.Compare(a.Line(), b.Line()) })
	return out
}

// hostColours gives every line of the page (history.Series.Line: a host
// class and a configuration) its palette index, in name order, so that a
// line has one colour on every chart.
func hostColours(sets ...[]history.Series) map[string]int {
	var hosts []string
	for _, set := range sets {
		for _, s := range set {
			hosts = append(hosts, s.Line())
		}
	}
	slices.Sort(hosts)
	colours := map[string]int{}
	for i, h := range slices.Compact(hosts) {
		colours[h] = i
	}
	return colours
}

// legend lists the lines (host class and configuration) of one scenario.
func legend(colours map[string]int, sets ...[]history.Series) []hostView {
	var hosts []string
	for _, set := range sets {
		for _, s := range set {
			hosts = append(hosts, s.Line())
		}
	}
	slices.Sort(hosts)
	var out []hostView
	for _, h := range slices.Compact(hosts) {
		c := colours[h]
		out = append(out, hostView{Name: h, Color: palette[c%len(palette)], Dash: dashes[c/len(palette)%len(dashes)]})
	}
	return out
}

// description is the description of the scenario's latest run that has
// one.
func description(sets ...[]history.Series) string {
	var latest store.Run
	for _, set := range sets {
		for _, s := range set {
			for _, p := range s.Points {
				if p.Run.Description != "" && !p.Run.StartedAt.Before(latest.StartedAt) {
					latest = p.Run
				}
			}
		}
	}
	return latest.Description
}

// rows lists the runs behind the points of one scenario, once each, oldest
// first.
func rows(colours map[string]int, sets ...[]history.Series) []rowView {
	type linePoint struct {
		p    history.Point
		line string
	}
	seen := map[string]bool{}
	var runs []linePoint
	for _, set := range sets {
		for _, s := range set {
			for _, p := range s.Points {
				if k := pointKey(p); !seen[k] {
					seen[k] = true
					runs = append(runs, linePoint{p, s.Line()})
				}
			}
		}
	}
	slices.SortStableFunc(runs, func(a, b linePoint) int {
		if c := a.p.Run.StartedAt.Compare(b.p.Run.StartedAt); c != 0 {
			return c
		}
		return cmp.Compare(pointKey(a.p), pointKey(b.p))
	})
	out := make([]rowView, 0, len(runs))
	for _, r := range runs {
		out = append(out, row(r.p, r.line, colours))
	}
	return out
}

// row is one run's table row; line is its series' (history.Series.Line).
func row(p history.Point, line string, colours map[string]int) rowView {
	r, key := p.Run, pointKey(p)
	commit := p.Commit
	if commit == "" {
		commit = r.Commit
	}
	return rowView{Key: key, ShortKey: short(key, 12),
		Time: r.StartedAt.UTC().Format(timeLayout), Commit: commitText(commit, r.Dirty), FullCommit: commit,
		Host: line, Color: palette[colours[line]%len(palette)],
		Config: configText(r), ConfigTitle: fmt.Sprintf("engine %s, devices %s, %d replica(s)", r.Engine, r.Devices, r.Replicas),
		Seed: strconv.FormatUint(r.Seed, 10), Status: r.Status, Failing: failing(r.Status),
		SamplesPerSecond: orDash(r.SamplesPerSecond, value), USPerSample: orDash(r.USPerSample, value),
		Accuracy: orDash(r.TestAccuracy, percent), Target: orDash(r.TimeToTarget, seconds),
		Fingerprint: short(r.Fingerprint, 16), FullFingerprint: r.Fingerprint}
}

// configText is engine and devices, with the count of replicas where
// there are several: "native cpu:0-1 ×2", as the summary table has it.
func configText(r store.Run) string {
	s := r.Engine + " " + r.Devices
	if r.Replicas > 1 {
		s += " ×" + strconv.Itoa(r.Replicas)
	}
	return s
}

// pointKey is the key of a point's run.
func pointKey(p history.Point) string {
	if p.Key != "" {
		return p.Key
	}
	return p.Run.Key
}

// commitText is a commit cut to 12 characters, "+dirty" when the tree
// had changes, "unknown" when there is none.
func commitText(commit string, dirty bool) string {
	if commit == "" {
		commit = "unknown"
	}
	commit = short(commit, 12)
	if dirty {
		commit += "+dirty"
	}
	return commit
}

// short cuts s to n characters.
func short(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// failing is a CSS class for a status other than ok.
func failing(status string) string {
	if status == "" || status == "ok" {
		return ""
	}
	return "bad"
}

// orDash formats v, or "—" for 0 (not measured).
func orDash(v float64, f func(float64) string) string {
	if v == 0 {
		return "—"
	}
	return f(v)
}

func percent(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + " %" }

func seconds(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " s" }
