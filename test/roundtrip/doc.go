// Package roundtrip checks that what the compiler emits survives the kernel unchanged: for every golden case,
// programming the table through the nft layer (or loading its text with `nft -f`) and reading it back gives a
// table whose plan against the desired one is empty.
package roundtrip
