package agentcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/nftpolicy/nftpolicy/internal/lab"
)

// Streams are the standard streams a command uses.
type Streams struct {
	Out, Err io.Writer
}

const usage = `nftpolicy: enforces Kubernetes NetworkPolicy with nftables, one agent per node.

Usage:
  nftpolicy agent --node-name NAME [flags]   run the agent of one node (NAME also from $NODE_NAME)
  nftpolicy cleanup [--netns PATH]           remove table inet nftpolicy, and nothing else (uninstall)
  nftpolicy lab [-f FILE|DIR ...] [flags]    a one-machine cluster: the agent enforcing policy on real packets

Run "nftpolicy COMMAND -h" for a command's flags.
`

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // bad command line
)

// usageError is a bad command line: the message says what is wrong.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Main runs the command in args (without the program name) until ctx ends, and returns the exit code.
func Main(ctx context.Context, args []string, s Streams) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(s.Out, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	var err error
	switch args[0] {
	case "agent":
		err = runAgent(ctx, args[1:], s)
	case "cleanup":
		err = runCleanup(args[1:], s)
	case "lab":
		err = runLab(ctx, args[1:], s)
	default:
		err = usageError{fmt.Errorf("unknown command %q; commands: agent, cleanup, lab", args[0])}
	}
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintln(s.Err, "error:", strings.TrimSpace(err.Error()))
		return exitUsage
	}
	fmt.Fprintln(s.Err, "error:", strings.TrimSpace(err.Error()))
	return exitError
}

// helpHeader is what -h prints above the flags, for commands with more to say than their flags.
var helpHeader = map[string]string{"lab": lab.Usage}

// parse parses args into fs; a bad flag or a stray argument is a usageError naming the command.
func parse(fs *flag.FlagSet, args []string, s Streams) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(s.Out)
			if h, ok := helpHeader[fs.Name()]; ok {
				fmt.Fprint(s.Out, h)
			} else {
				fmt.Fprintf(s.Out, "Usage of nftpolicy %s:\n", fs.Name())
			}
			fs.PrintDefaults()
			return err
		}
		return usageError{fmt.Errorf("nftpolicy %s: %w (see nftpolicy %s -h)", fs.Name(), err, fs.Name())}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("nftpolicy %s: unexpected argument %q (see nftpolicy %s -h)", fs.Name(),
			fs.Arg(0), fs.Name())}
	}
	return nil
}
