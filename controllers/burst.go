package controllers

import (
	"sync"
	"time"
)

// burst remembers when the first watch event not yet reflected in the kernel arrived, so that the sync that
// applies a coalesced burst can tell how long the burst waited (nftpolicy_event_to_kernel_seconds).
type burst struct {
	mu    sync.Mutex
	first time.Time
	now   func() time.Time
}

// mark records an event.
func (b *burst) mark() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.first.IsZero() {
		b.first = b.now()
	}
}

// take returns the time of the first event since the last take (zero when none) and forgets it.
func (b *burst) take() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.first
	b.first = time.Time{}
	return t
}

// restore gives back a time taken by a sync that failed: the retry still reflects those events.
func (b *burst) restore(t time.Time) {
	if t.IsZero() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.first.IsZero() || t.Before(b.first) {
		b.first = t
	}
}
