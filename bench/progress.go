package bench

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress reports training as it happens: on a terminal a live progress bar
// per epoch (samples done, samples/s, time left); everywhere, and alone in CI
// logs and pipes, plain lines: one per run and one per epoch.
type Progress struct {
	w     io.Writer
	live  bool
	quiet bool
	bar   *progressbar.ProgressBar // the current epoch's bar, nil between epochs
}

// StepStatus is where a run stands after a training step.
type StepStatus struct {
	Scenario      string
	Epoch, Epochs int
	Step, Steps   int // steps done in this epoch, and the epoch's steps
	Batch         int // samples per step
	Loss          float64
	Accuracy      float64 // running mean over the epoch's steps so far
}

// NewProgress writes to w; the live bar is drawn only when w is a terminal.
func NewProgress(w io.Writer, quiet bool) *Progress {
	return &Progress{w: w, live: isTerminal(w), quiet: quiet}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Start announces a run (or anything else worth a line of its own).
func (p *Progress) Start(format string, args ...any) {
	if p == nil || p.quiet {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// Step moves the live bar (terminals only; the library redraws at most 5
// times a second).
func (p *Progress) Step(s StepStatus) {
	if p == nil || p.quiet || !p.live {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(s.Steps*s.Batch,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetWidth(20),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("samples"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond))
	}
	p.bar.Describe(fmt.Sprintf("  %s epoch %d/%d  loss %.4f  acc %.4f", s.Scenario, s.Epoch, s.Epochs, s.Loss, s.Accuracy))
	p.bar.Set(s.Step * s.Batch)
}

// EpochDone replaces the bar with a plain line for the epoch.
func (p *Progress) EpochDone(name string, ep results.Epoch, epochs int) {
	if p == nil || p.quiet {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, "  %s epoch %d/%d: loss %.4f acc %.4f | test loss %.4f acc %.4f | %.1f s, %.0f samples/s\n",
		name, ep.Epoch, epochs, ep.TrainLoss, ep.TrainAccuracy, ep.TestLoss, ep.TestAccuracy, ep.Seconds, ep.SamplesPerSecond)
}

// clear erases the live bar, if one is drawn, so a plain line can follow.
func (p *Progress) clear() {
	if p.bar != nil {
		p.bar.Clear()
		p.bar = nil
	}
}
