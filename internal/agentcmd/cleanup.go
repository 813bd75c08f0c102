package agentcmd

import (
	"flag"
	"fmt"

	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// runCleanup removes table inet nftpolicy from the network namespace, and nothing else.
func runCleanup(args []string, s Streams) error {
	fs := flag.NewFlagSet("cleanup", flag.ContinueOnError)
	netns := fs.String("netns", "", "network namespace to clean up, e.g. /run/netns/NAME (default: this process's)")
	if err := parse(fs, args, s); err != nil {
		return err
	}
	where := "this network namespace"
	if *netns != "" {
		where = "network namespace " + *netns
	}
	conn, err := kernel.Open(*netns)
	if err != nil {
		return err
	}
	defer conn.Close()
	t, err := conn.Read()
	if err != nil {
		return fmt.Errorf("read table inet %s in %s: %w", nft.TableName, where, err)
	}
	if err := conn.Delete(); err != nil {
		return fmt.Errorf("delete table inet %s in %s: %w", nft.TableName, where, err)
	}
	if t == nil {
		fmt.Fprintf(s.Out, "table inet %s: not present in %s\n", nft.TableName, where)
		return nil
	}
	fmt.Fprintf(s.Out, "table inet %s: removed from %s\n", nft.TableName, where)
	return nil
}
