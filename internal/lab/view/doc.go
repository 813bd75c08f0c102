// Package view draws what `nftpolicy lab` found on a terminal: the connectivity matrix of a run, its one-line
// summary, a progress spinner while probing, and the escape that clears the screen between redraws of the live
// view.
//
// The matrix has one row per source and one column per destination: pods sorted by namespace and name, then
// external hosts sorted by address (IPv4 first). Each cell sums up every probe of that ordered pair (all ports,
// protocols and address families):
//
//	✓        every probe allowed                 ·  every probe denied
//	80t,53u  only these ports allowed (t TCP, u UDP, s SCTP), every other probed port denied
//	◐        partly allowed, too much to say in the cell (see "by port")
//	a        some or all probes passed only because a side is in audit mode: enforced, they would be denied
//	✗        some probe's observed verdict is not the expected one: a bug
//	?        some probe failed (a lab fault, no verdict)
//	-        not probed (the diagonal, external to external)
//
// Audit mode marks a pair whatever else its probes did: a pair with really allowed or denied probes beside those
// audit mode let through is "a" too (never a port list, which would call a port allowed that enforcement
// denies), and unless all its probes were let through by audit mode the per-port table says which ports. So
// every "a" is a pair that enforcing would cut, and ✓, · and port lists are what enforcing keeps. Mismatches and
// errors still win over "a".
//
// Column headers are the full names when the matrix fits the width, else names without their namespace, else
// numbers matching the rows' numbers ("3 demo/db"), else those numbers stacked one digit a line, and at last packed
// without gaps with the row labels cut in the middle; a legend names in full every column that is no row and every
// cut label. Under the matrix: the key of the glyphs it uses, the per-port table of the pairs it cannot spell out
// (◐, ✗, ?, and "a" when partly audited: one line per set of verdicts, with the pairs that share it), the
// mismatches and the probe errors. The summary counts the probes audit mode let through. ClusterRules lists the
// ClusterNetworkPolicy rules that decided expected verdicts (Admin and Baseline tiers), with how many probes each
// denied or accepted; NetworkPolicy and the default allow decided the rest.
//
// Everything is a pure function of the results, sorted, and without colour byte-stable (the golden tests in
// testdata/ are the reference: `go test ./internal/lab/view -update` rewrites them). Colour only decorates: the
// text with colour, its escapes removed, is the text without. Widths count one cell a rune; names are Kubernetes
// names and IP addresses, and every glyph used is narrow.
package view
