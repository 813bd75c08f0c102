package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// maxComment is the kernel's limit for a rule comment (128 bytes with the terminating NUL).
const maxComment = 127

// GroupChainName derives a group's chain name from its key: "ing-" or "egr-" and 16 hex digits of the key's
// SHA-256. Kubernetes names can be 253 bytes long, so they are hashed, never embedded; set names add at most
// 7 bytes ("-v6-np"), far below the kernel's 256.
func GroupChainName(g *ir.Group) string {
	sum := sha256.Sum256([]byte(g.Key))
	prefix := "ing-"
	if g.Direction == ir.Egress {
		prefix = "egr-"
	}
	return prefix + hex.EncodeToString(sum[:8])
}

// groupComment names the group's policies for humans within the kernel's comment limit: every name that fits,
// in order, then "+N more" for the ones left out (room for that suffix is always kept). When not one name fits
// whole, the first is cut with "…".
func groupComment(g *ir.Group, audit bool) string {
	var b strings.Builder
	if audit {
		b.WriteString("audit ")
	}
	b.WriteString(g.Direction.String())
	reserve := len(moreText(len(g.Policies)))
	skipped := 0
	for _, p := range g.Policies {
		if n := p.String(); b.Len()+1+len(n)+reserve <= maxComment {
			b.WriteString(" " + n)
		} else {
			skipped++
		}
	}
	if skipped > 0 && skipped == len(g.Policies) {
		room := maxComment - b.Len() - 1 - reserve - len("…")
		b.WriteString(" " + g.Policies[0].String()[:room] + "…")
		skipped--
	}
	b.WriteString(moreText(skipped))
	return b.String()
}

func moreText(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" +%d more", n)
}
