package view

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progressEvery is the shortest time between two redraws of the progress line.
const progressEvery = 80 * time.Millisecond

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r" + csi + "2K"

// Progress is a one-line spinner on a terminal: "⠋ probing 120/432", redrawn in place. It is safe for concurrent
// use, and a nil or disabled Progress does nothing, so callers need not check.
type Progress struct {
	mu      sync.Mutex
	w       io.Writer
	enabled bool
	label   string
	now     func() time.Time // time.Now; tests set it
	last    time.Time        // of the last redraw
	drawn   bool             // the line shows the progress
	frame   int
}

// NewProgress returns a Progress writing to w. enabled is false when w is not a terminal: then nothing is ever
// written.
func NewProgress(w io.Writer, enabled bool, label string) *Progress {
	return &Progress{w: w, enabled: enabled, label: oneLine(label), now: time.Now}
}

// Step shows that done of total are done, at most every 80ms (the first Step after NewProgress or Stop always
// draws). total <= 0 shows done alone.
func (p *Progress) Step(done, total int) {
	if p == nil || !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	if p.drawn && t.Sub(p.last) < progressEvery {
		return
	}
	n := fmt.Sprint(done)
	if total > 0 {
		n = fmt.Sprintf("%d/%d", done, total)
	}
	fmt.Fprintf(p.w, "%s%s %s %s", clearLine, spinner[p.frame%len(spinner)], p.label, n)
	p.last, p.drawn = t, true
	p.frame++
}

// Stop erases the progress line, if one is shown, and leaves the cursor at its start. A later Step draws again.
func (p *Progress) Stop() {
	if p == nil || !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		io.WriteString(p.w, clearLine)
		p.drawn = false
	}
}
