// Package bench holds the benchmarks of nftpolicy (`make bench`) and the synthetic clusters they run on.
//
// Nothing here asserts a duration: benchmarks report figures and ratios measured side by side in one run.
package bench
