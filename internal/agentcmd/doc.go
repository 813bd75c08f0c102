// Package agentcmd is the command line of the nftpolicy binary: `nftpolicy agent` runs one node's agent
// (package controllers) and `nftpolicy cleanup` removes table inet nftpolicy. It parses flags and wires the
// logger and the kubeconfig; it holds no logic of its own beyond that.
package agentcmd
