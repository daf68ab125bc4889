package bench

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mirrorbench/mirrorbench/results"
)

// Progress reports training as it happens: on a terminal one live status
// line, redrawn a few times a second; elsewhere (CI, pipes) only plain lines,
// one per epoch.
type Progress struct {
	w        io.Writer
	live     bool
	last     time.Time
	started  time.Time
	quiet    bool
	drawnLen int
}

// NewProgress writes to w; live redraws only when w is a terminal.
func NewProgress(w io.Writer, quiet bool) *Progress {
	return &Progress{w: w, live: isTerminal(w), quiet: quiet, started: time.Now()}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Start announces a run.
func (p *Progress) Start(format string, args ...any) {
	if p == nil || p.quiet {
		return
	}
	p.started = time.Now()
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// Step redraws the live line (terminals only, at most 5 times a second).
func (p *Progress) Step(name string, epoch, epochs, step, steps, batch int, loss, acc, rate float64) {
	if p == nil || p.quiet || !p.live || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64((steps-step)*batch) / rate * 1e9).Round(time.Second).String()
	}
	line := fmt.Sprintf("  %s epoch %d/%d %s %d/%d  loss %.4f  acc %.4f  %.0f samples/s  epoch ETA %s",
		name, epoch, epochs, bar(step, steps, 20), step, steps, loss, acc, rate, eta)
	p.clear()
	fmt.Fprint(p.w, line)
	p.drawnLen = len(line)
}

// EpochDone prints a plain line per epoch.
func (p *Progress) EpochDone(name string, ep results.Epoch, epochs int) {
	if p == nil || p.quiet {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, "  %s epoch %d/%d: loss %.4f acc %.4f | test loss %.4f acc %.4f | %.1f s, %.0f samples/s\n",
		name, ep.Epoch, epochs, ep.TrainLoss, ep.TrainAccuracy, ep.TestLoss, ep.TestAccuracy, ep.Seconds, ep.SamplesPerSecond)
}

func (p *Progress) clear() {
	if p.live && p.drawnLen > 0 {
		fmt.Fprintf(p.w, "\r%*s\r", p.drawnLen, "")
		p.drawnLen = 0
	}
}

func bar(done, total, width int) string {
	n := done * width / max(total, 1)
	b := make([]byte, width)
	for i := range b {
		b[i] = '.'
		if i < n {
			b[i] = '#'
		}
	}
	return "[" + string(b) + "]"
}
