package compiler

// Options say what the compiled table does besides enforcing: count and log.
type Options struct {
	// Counters puts a counter on every rule of a group's chain that allows or drops, so the agent can say how
	// many packets each group's policies let through and how many they dropped.
	Counters bool
	// Log sends packets a group's chain is about to drop to NFLOG, rate-limited per group in the kernel.
	Log LogOptions
	// Audit puts every group in audit mode (the cluster-wide switch; ir.Group.Audit is the per-namespace one):
	// packets the rules do not allow are logged and counted, and let through.
	Audit bool
	// Strict drops TCP segments that conntrack sees as new but that are not a plain SYN, right after the
	// forward chain accepts established traffic, on every node where a pod is isolated. The agent's strict mode
	// deletes the conntrack entries of flows a policy change denies; with nf_conntrack_tcp_loose=1 (the kernel
	// default) the next mid-stream segment of such a flow would be picked up as a new connection, and when it
	// comes from the side no policy restricts (the server answering) it would be let through and bring the flow
	// back. The rule applies to all forwarded traffic of the node: a TCP flow whose entry was lost any other way
	// (conntrack -F, an idle timeout) is cut too.
	Strict bool
}

// LogOptions configure drop logging. Group 0 turns it off.
type LogOptions struct {
	Group uint16 // NFLOG group the agent reads
	Rate  uint32 // logged packets per second, per group chain
	Burst uint32 // packets logged in a burst above Rate
}

// Defaults: counters on, drops logged to NFLOG group 100 at 10 packets per second per group with bursts of 5.
const (
	DefaultLogGroup = 100
	DefaultLogRate  = 10
	DefaultLogBurst = 5
)

// DefaultOptions are what the agent and `kubectl nftpolicy render` use unless told otherwise.
var DefaultOptions = Options{
	Counters: true,
	Log:      LogOptions{Group: DefaultLogGroup, Rate: DefaultLogRate, Burst: DefaultLogBurst},
}
