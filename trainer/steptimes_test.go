package trainer_test

import (
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/native"
	"golang.org/x/sys/unix"
)

// BenchmarkTrainerStep times the trainer's step on the native engine in the
// three shapes of the suite's CPU scenarios (reference-cpu1: one replica of
// one thread; reference-multicore on two cores: one replica of two threads,
// Adam fused; mirrored-cpu2: two replicas of one thread, fast reduction),
// on real MNIST batches, with the step's own phase split (StepTimes) and
// the process's CPU time beside the wall time.
//
//	go test -run '^$' -bench TrainerStep -benchtime 300x ./trainer/
func BenchmarkTrainerStep(b *testing.B) {
	ds, err := trainer.LoadMNIST()
	if err != nil {
		b.Fatal(err)
	}
	data := ds.Train.Slice(0, 6400)
	for _, c := range []struct {
		name              string
		replicas, threads int
	}{{"cpu1", 1, 1}, {"multicore2", 1, 2}, {"mirrored2", 2, 1}} {
		b.Run(c.name, func(b *testing.B) {
			const batch = 32
			cfg := trainer.Config{Engine: native.New(), Device: "cpu", Replicas: c.replicas, Threads: c.threads,
				GlobalBatch: batch, Adam: trainer.KerasAdamForTest}
			init := trainer.NewParams()
			trainer.InitKeras(init, 1)
			tr, err := trainer.NewTrainer(cfg, init)
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			sh := trainer.NewShuffler(data, 1, batch)
			sh.StartEpoch(1)
			for i := range 20 { // warm-up
				tr.Step(sh.Batch(i))
			}
			var times trainer.StepTimes
			step := 20
			cpu0 := processCPU()
			for b.Loop() {
				if step == sh.Steps() {
					step = 0
				}
				_, st, err := tr.Step(sh.Batch(step))
				if err != nil {
					b.Fatal(err)
				}
				times.Add(st)
				step++
			}
			cpu := processCPU() - cpu0
			n := float64(b.N)
			us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / n }
			b.ReportMetric(us(b.Elapsed()), "wall-µs/step")
			b.ReportMetric(us(cpu), "cpu-µs/step")
			b.ReportMetric(us(times.Compute), "compute-µs/step")
			b.ReportMetric(us(times.AllReduce), "allreduce-µs/step")
			b.ReportMetric(us(times.Optimizer), "adam-µs/step")
		})
	}
}

func processCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
