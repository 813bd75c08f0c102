// Package netperf measures what a ruleset costs a packet: the latency of new TCP connections (connect, a one-byte
// exchange, close) and of request/response on an established connection, between two network namespaces.
//
// The client and the server each run on an OS thread of their own that is moved into its namespace, pinned to
// one CPU (the same for both) and given real-time (SCHED_FIFO) priority, and they use blocking socket system
// calls, not Go's network poller: the only work between two timestamps is the kernel's path for the packets, so
// a difference between two rulesets is the rulesets' cost. Threads are never returned to the Go runtime: they
// end with their goroutine.
package netperf
