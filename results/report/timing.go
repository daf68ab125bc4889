package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mirrorbench/mirrorbench/results"
)

// writeTimingNotes says, under the summary table, which runs did not time
// the phases of their steps apart (a framework engine times each step
// whole): one line per engine and set of unmeasured phases, naming the
// scenarios, so that a record's compute time is not read as compute alone
// and its missing phases not as zero. Runs that timed every phase (the Go
// engines) get no line.
func writeTimingNotes(w io.Writer, records []*results.Record, markdown bool) error {
	type group struct {
		engine, phases string
		scenarios      []string
	}
	var groups []*group
	for _, r := range records {
		phases := r.UnmeasuredPhases()
		if len(phases) == 0 {
			continue
		}
		key := strings.Join(phases, ", ")
		i := slices.IndexFunc(groups, func(g *group) bool { return g.engine == r.Engine && g.phases == key })
		if i < 0 {
			i = len(groups)
			groups = append(groups, &group{engine: r.Engine, phases: key})
		}
		if !slices.Contains(groups[i].scenarios, r.Scenario) {
			groups[i].scenarios = append(groups[i].scenarios, r.Scenario)
		}
	}
	bullet := "  "
	if markdown {
		bullet = "- "
	}
	for _, g := range groups {
		if _, err := fmt.Fprintf(w, "%stiming: %s (engine %s) timed each step whole, booked as compute; %s not measured separately\n",
			bullet, strings.Join(g.scenarios, ", "), g.engine, g.phases); err != nil {
			return err
		}
	}
	return nil
}
