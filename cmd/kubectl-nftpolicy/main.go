// Command kubectl-nftpolicy is the kubectl plugin of nftpolicy: with the binary on PATH, `kubectl nftpolicy`
// runs it.
package main

import (
	"os"

	"github.com/nftpolicy/nftpolicy/internal/plugin"
)

func main() {
	os.Exit(plugin.Main(os.Args[1:], plugin.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
