package bench

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mirrorbench/mirrorbench/scenarios"
)

// Two invocations started at the same moment into one folder (two
// terminals, CI shards on shared storage) each keep their records and their
// benchmark file: names are taken exclusively, never overwritten.
func TestConcurrentRunsKeepTheirFiles(t *testing.T) {
	dir := t.TempDir()
	sc := smoke(t, func(s *scenarios.Scenario) { s.TrainLimit = 256; s.WarmupSteps = 2; s.Targets = nil })
	var wg sync.WaitGroup
	outs := make([]*Outcome, 2)
	for i := range outs {
		wg.Go(func() {
			inv := &Invocation{Out: dir, Env: &Env{Build: testEnv.Build}}
			out, err := inv.Execute(context.Background(), []*scenarios.Scenario{sc})
			if err != nil {
				t.Error(err)
			}
			outs[i] = out
		})
	}
	wg.Wait()
	records, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	benches, _ := filepath.Glob(filepath.Join(dir, "bench-*.txt"))
	if len(records) != 2 || len(benches) != 2 {
		t.Fatalf("records %v, benchmark files %v: want 2 of each", records, benches)
	}
	if outs[0] != nil && outs[1] != nil && outs[0].BenchFile == outs[1].BenchFile {
		t.Errorf("both invocations wrote %s", outs[0].BenchFile)
	}
}
