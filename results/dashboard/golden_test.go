package dashboard

import (
	"strings"
	"testing"

	"github.com/mirrorbench/mirrorbench/results/internal/golden"
)

// TestTableGolden checks the fixture page's style and its tables of runs,
// whole, against testdata/tables.html; go test -update rewrites it (and
// gives this package the -update flag that go test ./results/... -update
// passes to every package). The charts are left out: their coordinates
// are float arithmetic, which arm64 may fuse differently.
func TestTableGolden(t *testing.T) {
	_, doc := writeFixture(t)
	var b strings.Builder
	for _, span := range [][2]string{{"<style>", "</style>"}, {`<div class="tablewrap">`, "</div>"}} {
		rest := doc
		for {
			_, after, ok := strings.Cut(rest, span[0])
			if !ok {
				break
			}
			inner, after, ok := strings.Cut(after, span[1])
			if !ok {
				t.Fatalf("%s without %s", span[0], span[1])
			}
			b.WriteString(span[0] + inner + span[1] + "\n")
			rest = after
		}
	}
	if got := strings.Count(b.String(), `<div class="tablewrap">`); got != len(fixtureScenarios) {
		t.Fatalf("%d tables of runs, want %d", got, len(fixtureScenarios))
	}
	golden.Check(t, "tables.html", []byte(b.String()))
}
