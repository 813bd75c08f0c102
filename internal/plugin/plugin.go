package plugin

import (
	"fmt"
	"io"
	"strings"
)

// Streams are the standard streams a command uses.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

const usage = `kubectl nftpolicy: NetworkPolicy as nftables, for the nftpolicy enforcer.

Usage:
  kubectl nftpolicy render -f FILE... [--node NAME]   print the nft ruleset a node would get

Run "kubectl nftpolicy COMMAND -h" for a command's flags.
`

// Main runs the plugin with args (without the program name) and returns the process exit code.
func Main(args []string, s Streams) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(s.Out, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	switch args[0] {
	case "render":
		err = runRender(args[1:], s)
	default:
		err = fmt.Errorf("unknown command %q; commands: render", args[0])
	}
	if err != nil {
		if err == errHelp {
			return 0
		}
		fmt.Fprintln(s.Err, "error:", strings.TrimSpace(err.Error()))
		return 1
	}
	return 0
}
