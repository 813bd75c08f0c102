// Package listing reads the text `nft list table inet nftpolicy` prints back into the model of package nft, so a
// table taken on a node can be compared with the desired one (nft.Diff) without root and without a kernel: on a
// laptop, from a file.
//
// It knows exactly the constructs nftpolicy writes, as nft 1.0.x prints them back (sets, verdict maps, the
// forward base chain, the rules of package nft's vocabulary, element ranges and prefixes, `# handle` comments of
// `nft -a`). Whatever else it meets is kept as a difference, never dropped and never a failure, the way package
// nft/kernel reads what it did not write: a rule it does not know becomes an nft.Unknown rule whose Comment is the
// rule as listed; a set with a property nftpolicy never sets (timeout, size, typeof, other flags) loses its Key;
// a base chain of another kind gets a Hook named by its declaration; and what the model has no place for (objects
// such as counters, table flags and comments, element annotations) is returned as a Note. Only text that is not
// an nft listing at all (no table, unbalanced braces, JSON) is an error.
//
// Tables other than inet nftpolicy (`nft list ruleset` prints them all) are skipped.
package listing
