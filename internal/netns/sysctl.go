package netns

import (
	"fmt"
	"os"
	"strings"
)

// SetSysctls writes sysctls (dotted keys, in order) inside the namespace
// ns, from a thread that has entered it.
func SetSysctls(ns string, kv [][2]string) error {
	if err := CheckOwned(ns); err != nil {
		return err
	}
	return InNetns(Path(ns), func() error {
		for _, e := range kv {
			p := "/proc/sys/" + strings.ReplaceAll(e[0], ".", "/")
			if err := os.WriteFile(p, []byte(e[1]), 0o644); err != nil {
				return fmt.Errorf("netns %s: sysctl %s=%s: %w", ns, e[0], e[1], err)
			}
		}
		return nil
	})
}
