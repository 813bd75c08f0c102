// Command nftpolicy is the node agent of nftpolicy (`nftpolicy agent`), its uninstaller (`nftpolicy cleanup`)
// and the one-machine lab (`nftpolicy lab`).
package main

import (
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/nftpolicy/nftpolicy/internal/agentcmd"
)

func main() {
	streams := agentcmd.Streams{Out: os.Stdout, Err: os.Stderr}
	os.Exit(agentcmd.Main(ctrl.SetupSignalHandler(), os.Args[1:], streams))
}
