// Package plugin implements `kubectl nftpolicy`, the kubectl plugin: each subcommand is an options struct
// with Complete → Validate → Run and injected streams, so it can be tested without a process.
//
// It wires other packages together (manifest loading, IR building, compiling); it holds no policy semantics.
package plugin
