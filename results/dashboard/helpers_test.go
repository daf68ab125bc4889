package dashboard

import (
	"fmt"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/results/history"
	"github.com/mirrorbench/mirrorbench/results/store"
)

// Hostile strings, as a record could carry them.
const (
	evilScript = `<script>alert(1)</script>`
	evilImg    = `"><img src=x onerror=alert(1)>`
)

var (
	t0          = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	generatedAt = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)

	// Fixture scenarios and hosts: one of each is hostile.
	fixtureScenarios = []string{"mnist-mlp", `cnn"><svg onload=alert(1)>`}
	fixtureHosts     = []string{"AMD EPYC 7763 (16 threads, amd64)", "host " + evilImg, "Apple M2 (8 threads, arm64)"}
)

// fixture returns throughput and accuracy series for every fixture
// scenario and host: 10 daily runs each, the throughput of the first host
// of each scenario dropping by 8 % at its 7th run (a change at index 6).
func fixture() (throughput, accuracy []history.Series) {
	for si, sc := range fixtureScenarios {
		for hi, host := range fixtureHosts {
			var tp, acc history.Series
			tp = history.Series{Scenario: sc, HostClass: host, Metric: "samples_per_second"}
			acc = history.Series{Scenario: sc, HostClass: host, Metric: "test_accuracy"}
			for i := range 10 {
				r := fixtureRun(si, hi, i, host, sc)
				tp.Points = append(tp.Points, history.Point{Key: r.Key, Commit: r.Commit, Time: r.StartedAt, Value: r.SamplesPerSecond, Run: r})
				acc.Points = append(acc.Points, history.Point{Key: r.Key, Commit: r.Commit, Time: r.StartedAt, Value: r.TestAccuracy, Run: r})
			}
			if hi == 0 {
				tp.Changes = []history.Change{{Index: 6, Before: 1000, After: 920, Ratio: 0.92, P: 0.001}}
			}
			throughput, accuracy = append(throughput, tp), append(accuracy, acc)
		}
	}
	return throughput, accuracy
}

// fixtureRun is run i of scenario si on host hi.
func fixtureRun(si, hi, i int, host, scenario string) store.Run {
	sps := 1000.0 * float64(hi+1) * (1 + 0.01*float64(i%3))
	if hi == 0 && i >= 6 {
		sps *= 0.92
	}
	desc := "Three-layer perceptron on MNIST, batch 64."
	if si == 1 {
		desc = "Small CNN " + evilScript + " and " + evilImg
	}
	return store.Run{
		Key:              fmt.Sprintf("%064x", (si*100+hi)*1000+i+1),
		Scenario:         scenario,
		Description:      desc,
		Engine:           "gorgonia",
		Devices:          "cpu",
		Replicas:         1,
		Seed:             uint64(i + 1),
		Status:           "ok",
		Commit:           fmt.Sprintf("c0ffee%02d%032x", i, 0xabc),
		Dirty:            i == 9,
		HostClass:        host,
		StartedAt:        t0.Add(time.Duration(i)*24*time.Hour + time.Duration(hi)*time.Hour),
		SamplesPerSecond: sps,
		USPerSample:      1e6 / sps,
		TestAccuracy:     0.95 + 0.002*float64(i) + 0.001*float64(hi),
		TimeToTarget:     12.5 + float64(i),
		Fingerprint:      fmt.Sprintf("%064x", 0xf00+i),
	}
}

// element is one start tag.
type element struct {
	name  string
	attrs map[string]string // values unescaped
}

func (e element) class() string { return e.attrs["class"] }

// elements returns the start tags of a serialized HTML document whose
// text escapes '<' and whose attribute values are quoted (html/template's
// output and Chromium's --dump-dom both are; unquoted values are read
// too, as injected markup would have them), skipping comments, the
// doctype and the contents of style and script elements. It is no general
// HTML parser: it is enough to tell markup from text in those documents.
func elements(t *testing.T, doc string) []element {
	t.Helper()
	var out []element
	for i := 0; i < len(doc); {
		lt := strings.IndexByte(doc[i:], '<')
		if lt < 0 {
			break
		}
		i += lt + 1
		switch {
		case strings.HasPrefix(doc[i:], "!--"):
			i = skipPast(doc, i, "-->")
			continue
		case strings.HasPrefix(doc[i:], "!"), strings.HasPrefix(doc[i:], "/"):
			i = skipPast(doc, i, ">")
			continue
		}
		var e element
		e, i = startTag(t, doc, i)
		out = append(out, e)
		if e.name == "style" || e.name == "script" {
			i = skipPast(doc, i, "</"+e.name)
		}
	}
	return out
}

// skipPast returns the index just past the next sep from i (the end when
// none).
func skipPast(doc string, i int, sep string) int {
	j := strings.Index(doc[i:], sep)
	if j < 0 {
		return len(doc)
	}
	return i + j + len(sep)
}

// startTag reads a start tag whose name begins at doc[i], returning it and
// the index past its '>'.
func startTag(t *testing.T, doc string, i int) (element, int) {
	t.Helper()
	end := strings.IndexAny(doc[i:], " \t\n/>")
	if end <= 0 {
		t.Fatalf("bad tag at %d: %.40q", i, doc[i:])
	}
	e := element{name: strings.ToLower(doc[i : i+end]), attrs: map[string]string{}}
	i += end
	for i < len(doc) {
		switch c := doc[i]; {
		case c == '>':
			return e, i + 1
		case c == ' ' || c == '\t' || c == '\n' || c == '/':
			i++
		default:
			var name, val string
			name, val, i = attribute(t, doc, i)
			e.attrs[name] = val
		}
	}
	t.Fatalf("unterminated <%s>", e.name)
	return e, i
}

// attribute reads one attribute from doc[i], returning its name, its
// unescaped value and the index past it.
func attribute(t *testing.T, doc string, i int) (name, val string, next int) {
	t.Helper()
	end := strings.IndexAny(doc[i:], " \t\n/>=")
	if end < 0 {
		t.Fatalf("unterminated attribute at %d", i)
	}
	name, i = strings.ToLower(doc[i:i+end]), i+end
	if doc[i] != '=' {
		return name, "", i
	}
	i++
	q := doc[i]
	if q != '"' && q != '\'' { // only injected markup has these
		end := strings.IndexAny(doc[i:], " \t\n>")
		if end < 0 {
			t.Fatalf("unterminated value of %s", name)
		}
		return name, html.UnescapeString(doc[i : i+end]), i + end
	}
	cq := strings.IndexByte(doc[i+1:], q)
	if cq < 0 {
		t.Fatalf("unterminated value of %s", name)
	}
	return name, html.UnescapeString(doc[i+1 : i+1+cq]), i + cq + 2
}

// checkNoInjection fails if the document has an element or an attribute
// that only the hostile strings could have made.
func checkNoInjection(t *testing.T, els []element) {
	t.Helper()
	for _, e := range els {
		if e.name == "img" || e.name == "script" || (e.name == "svg" && e.attrs["onload"] != "") {
			t.Errorf("injected element <%s %v>", e.name, e.attrs)
		}
		for name := range e.attrs {
			if strings.HasPrefix(name, "on") {
				t.Errorf("injected attribute %s on <%s>", name, e.name)
			}
		}
	}
}

// seriesCount counts the series groups of each (scenario, host).
func seriesCount(els []element) map[[2]string]int {
	n := map[[2]string]int{}
	for _, e := range els {
		if e.name == "g" && e.class() == "series" {
			n[[2]string{e.attrs["data-scenario"], e.attrs["data-host"]}]++
		}
	}
	return n
}

// checkSeries fails unless every fixture scenario has one series per host
// in each of its two charts, with the hostile names intact as data.
func checkSeries(t *testing.T, els []element) {
	t.Helper()
	n := seriesCount(els)
	if len(n) != len(fixtureScenarios)*len(fixtureHosts) {
		t.Errorf("%d (scenario, host) series, want %d: %v", len(n), len(fixtureScenarios)*len(fixtureHosts), n)
	}
	for _, sc := range fixtureScenarios {
		for _, h := range fixtureHosts {
			if got := n[[2]string{sc, h}]; got != 2 {
				t.Errorf("scenario %q host %q: %d series, want 2 (one per chart)", sc, h, got)
			}
		}
	}
}
