package agentcmd

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/nftpolicy/nftpolicy/internal/lab"
)

// runLab runs `nftpolicy lab`.
func runLab(ctx context.Context, args []string, s Streams) error {
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	o := &lab.Options{}
	o.Bind(fs)
	if err := parse(fs, args, s); err != nil {
		return err
	}
	if err := o.Complete(); err != nil {
		return usageError{fmt.Errorf("nftpolicy lab: %w (see nftpolicy lab -h)", err)}
	}
	// A closed terminal (SIGHUP) ends the lab like Ctrl-C, so that it still removes what it made; a reader that
	// goes away (| head) gives write errors instead of killing the process mid-run; and once the lab is ending,
	// further Ctrl-Cs no longer kill it (the manager's handler would exit at the second) before it has cleaned up.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stop()
	go func() {
		<-ctx.Done()
		signal.Ignore(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	}()
	return lab.Run(ctx, o, s.Out, s.Err)
}
