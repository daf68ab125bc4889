package dashboard

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results/history"
	"github.com/mirrorbench/mirrorbench/results/store"
)

// writeFixture writes the fixture page into a fresh folder (one that Write
// has to create) and returns its path and text.
func writeFixture(t *testing.T) (string, string) {
	t.Helper()
	tp, acc := fixture()
	path, err := Write(filepath.Join(t.TempDir(), "site", "dash"), tp, acc, generatedAt)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, string(data)
}

func TestWriteFile(t *testing.T) {
	path, doc := writeFixture(t)
	if filepath.Base(path) != "index.html" {
		t.Errorf("path %s, want …/index.html", path)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only index.html (no temporary file left)", len(entries))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", fi.Mode(), err)
	}
	for _, want := range []string{"<!DOCTYPE html>", `<html lang="en">`, `<meta charset="utf-8">`,
		"<title>mirrorbench results</title>", "2026-03-20 12:00:00Z", "How to read the charts"} {
		if !strings.Contains(doc, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestSelfContained: nothing is loaded from anywhere.
func TestSelfContained(t *testing.T) {
	_, doc := writeFixture(t)
	for _, e := range elements(t, doc) {
		for _, a := range []string{"src", "srcset", "xlink:href"} {
			if v, ok := e.attrs[a]; ok {
				t.Errorf("<%s %s=%q> loads something", e.name, a, v)
			}
		}
		if e.name == "link" || e.name == "script" || e.name == "iframe" || e.name == "object" {
			t.Errorf("<%s> in a self-contained page", e.name)
		}
		if href, ok := e.attrs["href"]; ok && !strings.HasPrefix(href, "#") {
			t.Errorf("<%s href=%q> leaves the page", e.name, href)
		}
	}
	if strings.Contains(doc, "@import") || strings.Contains(doc, "url(") {
		t.Error("CSS loads something")
	}
}

func TestCharts(t *testing.T) {
	_, doc := writeFixture(t)
	els := elements(t, doc)
	plots, sections := 0, 0
	for _, e := range els {
		switch {
		case e.name == "svg" && e.class() == "plot":
			plots++
		case e.name == "section" && e.class() == "scenario":
			sections++
		}
	}
	if want := 2 * len(fixtureScenarios); plots != want {
		t.Errorf("%d charts, want %d (throughput and accuracy per scenario)", plots, want)
	}
	if sections != len(fixtureScenarios) {
		t.Errorf("%d scenario sections, want %d", sections, len(fixtureScenarios))
	}
	checkSeries(t, els)
}

// TestChangeMarkers: one marker per change, labelled with the change.
func TestChangeMarkers(t *testing.T) {
	_, doc := writeFixture(t)
	n := 0
	for _, e := range elements(t, doc) {
		if e.name == "g" && e.class() == "change" {
			n++
		}
	}
	if n != len(fixtureScenarios) {
		t.Errorf("%d change markers, want %d", n, len(fixtureScenarios))
	}
	if got := strings.Count(doc, ">-8.0 %</text>"); got != len(fixtureScenarios) {
		t.Errorf("%d change labels \"-8.0 %%\", want %d", got, len(fixtureScenarios))
	}
}

// TestAnchors: every point links to exactly one table row of its run.
func TestAnchors(t *testing.T) {
	_, doc := writeFixture(t)
	ids, links := map[string]int{}, map[string]int{}
	for _, e := range elements(t, doc) {
		if id, ok := e.attrs["id"]; ok {
			ids[id]++
		}
		if e.name == "a" && strings.HasPrefix(e.attrs["href"], "#run-") {
			links[e.attrs["href"][1:]]++
		}
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("id %q used %d times", id, n)
		}
	}
	tp, _ := fixture()
	for _, s := range tp {
		for _, p := range s.Points {
			id := "run-" + p.Key
			if ids[id] != 1 {
				t.Errorf("no table row %s", id)
			}
			// two points (throughput, accuracy) and the row's own key link
			if links[id] != 3 {
				t.Errorf("%d links to %s, want 3", links[id], id)
			}
		}
	}
	r := tp[0].Points[9].Run
	for _, want := range []string{r.Commit[:12] + "&#43;dirty", r.Fingerprint[:16] + "<", r.Key[:12] + "<", "96.80 %", "21.5 s"} {
		if !strings.Contains(doc, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

// TestEscaping: hostile strings are text and data, never markup.
func TestEscaping(t *testing.T) {
	_, doc := writeFixture(t)
	els := elements(t, doc)
	checkNoInjection(t, els)
	for _, bad := range []string{"<script", "<img", "<svg onload"} {
		if strings.Contains(doc, bad) {
			t.Errorf("page contains %q unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"} {
		if !strings.Contains(doc, want) {
			t.Errorf("page lacks escaped text %q", want)
		}
	}
	hosts := map[string]bool{}
	for _, e := range els {
		if e.name == "g" && e.class() == "series" {
			hosts[e.attrs["data-host"]] = true
		}
	}
	if !hosts["host "+evilImg] {
		t.Errorf("hostile host class not kept intact as data: %v", hosts)
	}
}

func TestEmpty(t *testing.T) {
	path, err := Write(t.TempDir(), nil, nil, generatedAt)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if doc := string(data); !strings.Contains(doc, "No runs yet.") || strings.Contains(doc, `class="plot"`) {
		t.Error("empty page should say there are no runs and draw no chart")
	}
}

// TestMissingMetric: a scenario without accuracy gets a note, not a chart;
// non-finite values are left out, and a single point still draws.
func TestMissingMetric(t *testing.T) {
	r := store.Run{Key: "k1", Scenario: "s", HostClass: "h", StartedAt: t0, SamplesPerSecond: 10}
	tp := []history.Series{{Scenario: "s", HostClass: "h", Points: []history.Point{
		{Key: "k1", Time: t0, Value: 10, Run: r}, {Key: "k2", Time: t0, Value: math.NaN(), Run: r}}}}
	path, err := Write(t.TempDir(), tp, nil, generatedAt)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	doc := string(data)
	if strings.Count(doc, `class="plot"`) != 1 || !strings.Contains(doc, "No run of this scenario has this metric.") {
		t.Error("want one chart and a note for the missing metric")
	}
	if !strings.Contains(doc, `<a href="#run-k1"><circle`) || strings.Contains(doc, `<a href="#run-k2"><circle`) || strings.Contains(doc, "NaN") {
		t.Error("want the one finite point and no NaN")
	}
}

// TestBuild: the page takes what history.Build makes.
func TestBuild(t *testing.T) {
	var runs []store.Run
	for i := range 12 {
		runs = append(runs, fixtureRun(0, 0, i, fixtureHosts[0], fixtureScenarios[0]))
	}
	tp, err := history.Build(runs, "samples_per_second")
	if err != nil {
		t.Fatal(err)
	}
	acc, err := history.Build(runs, "test_accuracy")
	if err != nil {
		t.Fatal(err)
	}
	path, err := Write(t.TempDir(), tp, acc, generatedAt)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	for _, r := range runs {
		if !strings.Contains(string(data), `id="run-`+r.Key+`"`) {
			t.Errorf("no row for run %s", r.Key[:12])
		}
	}
}
