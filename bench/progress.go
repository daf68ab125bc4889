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
	w       io.Writer
	columns int // the terminal's width; 0 when w is not a terminal
	quiet   bool
	bar     *progressbar.ProgressBar // the current epoch's bar, nil between epochs
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
	return &Progress{w: w, columns: terminalColumns(w), quiet: quiet}
}

// terminalColumns is the width of the terminal w writes to, or 0 when w is
// not a terminal (a file, a pipe, a CI log).
func terminalColumns(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
		return cols
	}
	return 80
}

// barText is what the bar's line holds beside the bar itself: percentage,
// brackets, samples/s and the time left (about 40 columns).
const barText = 40

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
	if p == nil || p.quiet || p.columns == 0 {
		return
	}
	desc := fmt.Sprintf("  %s epoch %d/%d loss %.4f acc %.4f", s.Scenario, s.Epoch, s.Epochs, s.Loss, s.Accuracy)
	if p.bar == nil {
		// The line must fit the terminal, or every redraw starts a new line.
		width := min(30, p.columns-1-len(desc)-barText)
		if width < 5 {
			return
		}
		p.bar = progressbar.NewOptions(s.Steps*s.Batch,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetWidth(width),
			progressbar.OptionSetTheme(progressbar.Theme{Saucer: "#", SaucerPadding: ".", BarStart: "[", BarEnd: "]"}),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("samples"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond))
	}
	p.bar.Describe(desc)
	p.bar.Set(s.Step * s.Batch)
}

// Output shows one line of what a training process wrote (a framework's
// adapter's stderr), indented under its run.
func (p *Progress) Output(rank int, line string) {
	p.Start("    rank %d | %s", rank, line)
}

// Done erases the live bar at the end of a run, however the run ended.
func (p *Progress) Done() {
	if p != nil {
		p.clear()
	}
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
