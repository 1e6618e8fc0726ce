// Package progress reports the progress of long jobs: a progress bar when
// the output is a terminal, plain log lines (at most one every Interval)
// otherwise, so batch logs (Slurm, Kubernetes) stay readable.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Interval is the minimum time between two plain log lines.
var Interval = 10 * time.Second

// Bar reports progress towards a known total. Its methods are safe for
// concurrent use; a nil *Bar does nothing.
type Bar struct {
	mu      sync.Mutex
	w       io.Writer
	desc    string
	status  string
	total   int64
	done    int64
	start   time.Time
	last    time.Time
	bar     *progressbar.ProgressBar
	finshed bool
}

// New starts a progress report of total units on w. A terminal gets a bar;
// anything else gets log lines. A nil w means os.Stderr.
func New(w io.Writer, total int64, desc string) *Bar {
	if w == nil {
		w = os.Stderr
	}
	b := &Bar{w: w, desc: desc, total: total, start: time.Now()}
	b.last = b.start
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return b
}

// Add records n more units done.
func (b *Bar) Add(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += int64(n)
	if b.bar != nil {
		b.bar.Add64(int64(n))
		return
	}
	now := time.Now()
	if now.Sub(b.last) >= Interval || b.done == b.total {
		b.last = now
		b.logLine(now)
	}
}

// Status sets a short status shown next to the bar (e.g. "loss 0.12").
func (b *Bar) Status(s string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status = s
	if b.bar != nil {
		b.bar.Describe(b.desc + " " + s)
	}
}

// Finish ends the report.
func (b *Bar) Finish() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finshed {
		return
	}
	b.finshed = true
	if b.bar != nil {
		b.bar.Finish()
		b.bar.Exit()
	}
}

func (b *Bar) logLine(now time.Time) {
	el := now.Sub(b.start)
	rate := float64(b.done) / el.Seconds()
	eta := "?"
	if rate > 0 && b.total > 0 {
		eta = time.Duration(float64(b.total-b.done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	pct := 0.0
	if b.total > 0 {
		pct = 100 * float64(b.done) / float64(b.total)
	}
	line := fmt.Sprintf("%s: %d/%d (%.0f%%) %.3g/s eta %s", b.desc, b.done, b.total, pct, rate, eta)
	if b.status != "" {
		line += " " + b.status
	}
	fmt.Fprintln(b.w, line)
}
