package netns

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
)

// Prefix starts the name of every network namespace this package creates
// or accepts.
const Prefix = "nftp-"

// Dir is where `ip netns` keeps its named namespaces.
const Dir = "/run/netns"

// Path returns Dir/name, the file to open for setns.
func Path(name string) string { return filepath.Join(Dir, name) }

// NewID returns Prefix + infix + 6 random hex digits (e.g. "nftp-3fa9c1",
// "nftp-lab-3fa9c1"), a fresh prefix for one set of namespaces.
func NewID(infix string) (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random namespace id: %w", err)
	}
	return Prefix + infix + hex.EncodeToString(b[:]), nil
}

// CheckOwned refuses any namespace name that does not start with Prefix
// or that contains a slash or white space.
func CheckOwned(name string) error {
	if !strings.HasPrefix(name, Prefix) || strings.ContainsAny(name, "/ \t\n") {
		return fmt.Errorf("netns %q is not an nftp- namespace", name)
	}
	return nil
}
