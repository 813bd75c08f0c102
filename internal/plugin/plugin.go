package plugin

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Streams are the standard streams a command uses.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
)

// Main runs the plugin with args (without the program name) and returns the process exit code. Every failure is
// one line on stderr, "error: ...", and exit code 1 (2 for diff, whose 1 means drift); nothing is written to
// stdout unless the command succeeded.
func Main(args []string, s Streams) int {
	cmd := NewCommand(genericiooptions.IOStreams{In: s.In, Out: s.Out, ErrOut: s.Err})
	cmd.SetArgs(args)
	if ran, err := cmd.ExecuteC(); err != nil {
		switch {
		case errors.Is(err, errHelp):
			return exitOK
		case errors.Is(err, errDrift):
			return exitDrift
		}
		fmt.Fprintln(s.Err, "error:", strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; "))
		return errorExit(ran)
	}
	return exitOK
}

var errHelp = errors.New("help requested")
