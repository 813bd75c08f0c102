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

// groupChainName derives a group's chain name from its key: "ing-" or "egr-" and 16 hex digits of the key's
// SHA-256. Kubernetes names can be 253 bytes long, so they are hashed, never embedded; set names add at most
// 7 bytes ("-v6-np"), far below the kernel's 256.
func groupChainName(g *ir.Group) string {
	sum := sha256.Sum256([]byte(g.Key))
	prefix := "ing-"
	if g.Direction == ir.Egress {
		prefix = "egr-"
	}
	return prefix + hex.EncodeToString(sum[:8])
}

// groupComment names the group's policies for humans, cut to the kernel's comment limit.
func groupComment(g *ir.Group) string {
	var b strings.Builder
	b.WriteString(g.Direction.String())
	for i, p := range g.Policies {
		word := " " + p.String()
		more := fmt.Sprintf(" +%d more", len(g.Policies)-i)
		if b.Len()+len(word) > maxComment || (i < len(g.Policies)-1 && b.Len()+len(word)+len(more) > maxComment) {
			if b.Len()+len(more) <= maxComment {
				b.WriteString(more)
			}
			break
		}
		b.WriteString(word)
	}
	return b.String()
}
