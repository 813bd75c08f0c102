// Package nft is the pure model of the one nftables table nftpolicy owns (`inet nftpolicy`): sets, verdict maps,
// chains and a closed vocabulary of rules, plus its nft text form and the plan that turns one table into another.
//
// It does not talk to the kernel (package nft/kernel does, through netlink) and knows nothing of Kubernetes.
package nft
