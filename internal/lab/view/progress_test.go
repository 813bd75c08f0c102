package view

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newTestProgress(b *bytes.Buffer, enabled bool) (*Progress, *fakeClock) {
	c := &fakeClock{t: time.Unix(1700000000, 0)}
	p := NewProgress(b, enabled, "probing")
	p.now = c.now
	return p, c
}

func TestProgressDisabledWritesNothing(t *testing.T) {
	var b bytes.Buffer
	p, c := newTestProgress(&b, false)
	for i := range 10 {
		p.Step(i, 10)
		c.advance(time.Second)
	}
	p.Stop()
	if b.Len() != 0 {
		t.Errorf("a disabled Progress wrote %q", b.String())
	}
	var nilProgress *Progress
	nilProgress.Step(1, 2) // callers may pass nil
	nilProgress.Stop()
}

func TestProgressRedrawsInPlaceAtMostEvery80ms(t *testing.T) {
	var b bytes.Buffer
	p, c := newTestProgress(&b, true)
	p.Step(1, 432)
	if got, want := b.String(), "\r\x1b[2K⠋ probing 1/432"; got != want {
		t.Fatalf("first Step wrote %q, want %q", got, want)
	}
	b.Reset()
	c.advance(79 * time.Millisecond)
	p.Step(2, 432)
	if b.Len() != 0 {
		t.Errorf("a Step 79ms after a redraw wrote %q", b.String())
	}
	c.advance(time.Millisecond)
	p.Step(120, 432)
	if got, want := b.String(), "\r\x1b[2K⠙ probing 120/432"; got != want {
		t.Errorf("a Step 80ms after a redraw wrote %q, want %q", got, want)
	}
	if strings.Contains(b.String(), "\n") {
		t.Errorf("progress wrote a newline: %q", b.String())
	}
	b.Reset()
	p.Stop()
	if got, want := b.String(), "\r\x1b[2K"; got != want {
		t.Errorf("Stop wrote %q, want %q (clear the line)", got, want)
	}
	b.Reset()
	p.Stop()
	if b.Len() != 0 {
		t.Errorf("a second Stop wrote %q", b.String())
	}
	p.Step(5, 0) // after Stop the next Step draws at once; no total shows the count alone
	if got, want := b.String(), "\r\x1b[2K⠹ probing 5"; got != want {
		t.Errorf("Step after Stop wrote %q, want %q", got, want)
	}
}

func TestProgressConcurrentSteps(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, true, "probing")
	done := make(chan bool)
	for g := range 8 {
		go func() {
			for i := range 100 {
				p.Step(g*100+i, 800)
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
	p.Stop()
	if !strings.HasSuffix(b.String(), "\r\x1b[2K") {
		t.Errorf("output does not end with a cleared line: %q", b.String())
	}
}
