package controllers

import (
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// Dataplane holds table inet nftpolicy in one network namespace. *kernel.Conn is the real one; tests use a fake
// that applies a whole plan or none of it.
type Dataplane interface {
	// Sync makes the dataplane hold desired, in one atomic batch, and returns the plan it applied (empty when
	// nothing changed). It diffs against what it last applied or read.
	Sync(desired *nft.Table) (*nft.Plan, error)
	// Read returns what the dataplane holds (nil when there is no table); the next Sync diffs against it.
	Read() (*nft.Table, error)
	// Delete removes the table.
	Delete() error
}

var _ Dataplane = (*kernel.Conn)(nil)
