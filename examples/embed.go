// Package examples embeds the lab's built-in demo (lab/demo.yaml), which `nftpolicy lab` runs when no -f is given.
package examples

import _ "embed"

// LabDemo is lab/demo.yaml.
//
//go:embed lab/demo.yaml
var LabDemo []byte

// LabDemoExternals are the hosts outside the cluster the demo's policies talk about.
var LabDemoExternals = []string{"192.0.2.10", "192.0.2.200"}
