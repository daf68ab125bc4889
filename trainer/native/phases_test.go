package native

import (
	"errors"
	"flag"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mirrorbench/mirrorbench/trainer"
	"golang.org/x/sys/unix"
)

// cpuClock reads one of the kernel's CPU-time clocks.
func cpuClock(clock int32) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(clock, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// phaseClock is what BenchmarkPhases times phases with: wall time, or with
// -phases.cpu the calling thread's CPU time (steadier on a busy machine,
// but blind to time the thread spends parked).
func phaseClock() time.Duration {
	if *phasesCPU {
		return cpuClock(unix.CLOCK_THREAD_CPUTIME_ID)
	}
	return time.Duration(time.Now().UnixNano())
}

var phasesCPU = flag.Bool("phases.cpu", false, "BenchmarkPhases: time phases in thread CPU time, not wall time")

// BenchmarkPhases is BenchmarkStepFused with each phase of the step timed
// on the calling goroutine (µs per step of 32; wall time, or the thread's
// CPU time with -phases.cpu), in the order
// GradientsFused runs them, and the process's CPU time per step beside the
// wall time: with two threads, cpu-µs/step - 2 x µs/step is time nobody
// worked, and cpu-µs/step - wall-µs/step what the helper spent, work and
// spinning together.
//
//	go test -run '^$' -bench Phases -benchtime 300x ./trainer/native/
func BenchmarkPhases(b *testing.B) {
	batch := realBatch(b)
	for _, threads := range []int{1, 2} {
		b.Run(threadsName(threads), func(b *testing.B) {
			rep := newTestReplica(b, threads, benchBatch).(*replica)
			p, g := trainer.NewParams(), trainer.NewParams()
			trainer.InitKeras(p, 1)
			opt := trainer.NewAdam(kerasAdam)
			var s trainer.AdamStep
			update := func(i, lo, hi int) { opt.Update(s, p, g, i, lo, hi) }
			var names []string
			var sums []time.Duration
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu0 := cpuClock(unix.CLOCK_PROCESS_CPUTIME_ID)
			for b.Loop() {
				s = opt.Next()
				i, t0 := 0, phaseClock()
				mark := func(name string) {
					t := phaseClock()
					if len(names) <= i {
						names, sums = append(names, name), append(sums, 0)
					}
					sums[i] += t - t0
					i, t0 = i+1, t
				}
				phaseStep(rep, p, batch, g, update, mark)
				opt.Commit()
			}
			cpu := cpuClock(unix.CLOCK_PROCESS_CPUTIME_ID) - cpu0
			st := rep.pool.Stats()
			b.ReportMetric(float64(st.HelperParked)/float64(b.N), "helper-parks/step")
			b.ReportMetric(float64(st.CallerParked)/float64(b.N), "caller-parks/step")
			steps := float64(b.N)
			var total time.Duration
			for i, name := range names {
				b.ReportMetric(float64(sums[i].Microseconds())/steps, name+"-µs/step")
				total += sums[i]
			}
			b.ReportMetric(float64(total.Microseconds())/steps, "part0-µs/step")
			b.ReportMetric(float64(cpu.Microseconds())/steps, "process-cpu-µs/step")
		})
	}
}

// phaseStep is replica.gradients with update, for one shard, calling mark
// after each phase.
func phaseStep(r *replica, p *trainer.Params, b trainer.Batch, grads *trainer.Params, update func(tensor, lo, hi int), mark func(string)) {
	if err := r.begin(p, b); err != nil {
		panic(err)
	}
	r.grads, r.micro, r.levels, r.update = grads, b.Len(), 0, update
	mark("begin")
	r.run(r.convForwardFn)
	mark("conv-fwd")
	r.run(r.denseForwardFn)
	mark("dense-fwd")
	t := &r.p.T
	outputForward(r.n, r.h, t[trainer.OutW].Data, t[trainer.OutB].Data, r.logits)
	softmaxLoss(r.n, r.logits, r.y, r.dlogits, r.dlogitsT, r.n)
	gt := &r.grads.T
	r.tree(gt[trainer.OutW].Data, r.outWLeafFn)
	r.tree(gt[trainer.OutB].Data, r.outBLeafFn)
	outputInputGrad(r.n, r.h, t[trainer.OutW].Data, r.dlogitsT, r.dhT, r.dh)
	r.tree(gt[trainer.DenseB].Data, r.denseBLeafFn)
	mark("output+loss")
	r.run(r.denseBackwardFn)
	mark("dense-bwd+adam")
	r.run(r.convBackwardFn)
	mark("conv-bwd")
	r.tree(r.convSum, r.convLeafFn)
	copy(gt[trainer.ConvW].Data, r.convSum[:taps*filters])
	copy(gt[trainer.ConvB].Data, r.convSum[taps*filters:])
	for _, i := range [...]int{trainer.ConvW, trainer.ConvB, trainer.DenseB, trainer.OutW, trainer.OutB} {
		update(i, 0, tensorSizes[i])
	}
	r.end()
	mark("conv-sum+small-adam")
}

// BenchmarkIndependentSteps tells what a two-thread step can hope for on
// the machine at hand: b.N one-thread fused steps alone, then b.N on each
// of GOMAXPROCS goroutines at once, each with its own replica, parameters
// and moments, so they share no data. independent-speedup is the second's
// throughput over the first's: the cores' own scaling. Beside
// BenchmarkPhases' two-thread speedup it separates a machine whose cores
// are busy elsewhere (both low) from one where only shared data is slow to
// move between the cores (this one near 2, Phases' near 1); see
// docs/performance.md.
//
//	go test -run '^$' -bench IndependentSteps -benchtime 500x ./trainer/native/
func BenchmarkIndependentSteps(b *testing.B) {
	batch := realBatch(b)
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 {
		b.Skip("GOMAXPROCS is 1: no second core to compare with")
	}
	steps := b.N
	alone := independentSteps(b, batch, 1, steps)
	together := independentSteps(b, batch, workers, steps)
	b.ReportMetric(float64(workers)*alone.Seconds()/together.Seconds(), "independent-speedup")
	b.ReportMetric(float64(alone.Microseconds())/float64(steps), "alone-µs/step")
	b.ReportMetric(float64(together.Microseconds())/float64(steps), "together-µs/step")
}

// independentSteps runs steps fused steps on each of workers goroutines at
// once, each on its own thread with its own replica, and returns the
// slowest goroutine's time.
func independentSteps(b *testing.B, batch trainer.Batch, workers, steps int) time.Duration {
	var wg sync.WaitGroup
	start := make(chan struct{})
	times := make([]time.Duration, workers)
	errs := make([]error, workers)
	for w := range workers {
		rep := newTestReplica(b, 1, benchBatch).(*replica)
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			p, g := trainer.NewParams(), trainer.NewParams()
			trainer.InitKeras(p, 1)
			opt := trainer.NewAdam(kerasAdam)
			var s trainer.AdamStep
			update := func(i, lo, hi int) { opt.Update(s, p, g, i, lo, hi) }
			step := func() error {
				s = opt.Next()
				_, err := rep.GradientsFused(p, batch, g, update)
				opt.Commit()
				return err
			}
			errs[w] = step() // warm: first touch of every buffer
			<-start
			t0 := time.Now()
			for i := 0; i < steps && errs[w] == nil; i++ {
				errs[w] = step()
			}
			times[w] = time.Since(t0)
		}()
	}
	b.ResetTimer()
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	return slices.Max(times)
}
