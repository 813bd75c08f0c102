package plugin

import (
	"errors"
	"strconv"

	"github.com/spf13/cobra"
)

// exitDrift is diff's exit code when the node's table differs from the desired one.
const exitDrift = 1

// errDrift ends diff with exitDrift and no message: the report on stdout says what differs.
var errDrift = errors.New("the node's table differs from the desired one")

// errorExitAnnotation on a command sets the exit code of its failures (default exitError): diff fails with 2,
// as diff(1) and kubectl diff do, since its 1 means "differences found".
const errorExitAnnotation = "nftpolicy.io/error-exit-code"

// errorExit is the exit code of a failure of cmd (the command cobra ran or failed to run; nil: the root).
func errorExit(cmd *cobra.Command) int {
	if cmd != nil {
		if code, err := strconv.Atoi(cmd.Annotations[errorExitAnnotation]); err == nil && code > 1 {
			return code
		}
	}
	return exitError
}
