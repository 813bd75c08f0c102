package kernel

// BatchStats is the size of what one Sync, Apply or Delete sent to the kernel: the exact figures of the batches
// written to the socket, where the controllers' nftpolicy_batch_messages is derived from the plan.
type BatchStats struct {
	// Batches counts the nfnetlink transactions sent: 0 when nothing changed, 2 when a dormant table had to be
	// woken up in a batch of its own first.
	Batches int
	// Messages counts the nftables messages of those batches, not counting each batch's begin and end.
	Messages int
	// Bytes counts the bytes written to the socket: every message with its netlink header and padding, each
	// batch's begin and end included.
	Bytes int
}

// LastBatch returns what the most recent Sync, Apply or Delete sent, summed over its batches (zero when it sent
// nothing). A batch the kernel refused still counts: it was sent.
func (c *Conn) LastBatch() BatchStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastBatch
}

// record adds one batch of n messages that took sent bytes to lastBatch.
func (c *Conn) record(n, sent int) {
	if sent == 0 {
		return // sendmsg failed: nothing reached the kernel
	}
	c.lastBatch.Batches++
	c.lastBatch.Messages += n
	c.lastBatch.Bytes += sent
}
