package controllers

// withNext returns the index to read while a batch that brings the chains of next is being applied: the chains of
// both tables, next's description where a name is in both. The kernel may log a packet from a new chain the
// moment the batch commits, before the sync returns; with only the old index that drop would be thrown away
// (an unknown prefix), and with only the new one a drop from a chain the batch removes would be. Chain names are
// made from what the chain stands for, so a name in both tables stands for the same policies.
func (idx chainIndex) withNext(next chainIndex) chainIndex {
	out := make(chainIndex, len(idx)+len(next))
	for name, info := range idx {
		out[name] = info
	}
	for name, info := range next {
		out[name] = info
	}
	return out
}
