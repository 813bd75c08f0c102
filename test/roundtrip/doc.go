// Package roundtrip checks that what the compiler emits survives the kernel unchanged: for every golden case,
// programming the table through the nft layer (or loading its text with `nft -f`) and reading it back gives a
// table whose plan against the desired one is empty; so does the text `nft list table` prints back, read by
// package nft/listing (what `kubectl nftpolicy diff` compares), and a table changed by hand lists as that change.
package roundtrip
