package labnet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// labIDPattern is what New's ids look like; Cleanup touches nothing else.
var labIDPattern = regexp.MustCompile(`^` + netns.Prefix + `lab-[0-9a-f]{6}$`)

// pidFile is the file in a lab's state directory naming its process.
const pidFile = "pid"

// makeStateDir picks a fresh lab id and creates root/<id> holding the pid
// file. The directory is filled under a temporary name and renamed into
// place, so Cleanup never sees a lab directory without its pid file. An id
// whose namespaces exist already is not used.
func makeStateDir(root string) (id, dir string, err error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", "", fmt.Errorf("state root: %w", err)
	}
	for range 10 {
		if id, err = netns.NewID("lab-"); err != nil {
			return "", "", err
		}
		if matches, _ := filepath.Glob(netns.Path(id + "-*")); len(matches) > 0 {
			continue
		}
		tmp, err := os.MkdirTemp(root, ".new-")
		if err != nil {
			return "", "", fmt.Errorf("state directory: %w", err)
		}
		if err := os.Chmod(tmp, 0o755); err != nil {
			os.RemoveAll(tmp)
			return "", "", fmt.Errorf("state directory: %w", err)
		}
		pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
		if err := os.WriteFile(filepath.Join(tmp, pidFile), pid, 0o644); err != nil {
			os.RemoveAll(tmp)
			return "", "", fmt.Errorf("state directory: %w", err)
		}
		dir = filepath.Join(root, id)
		if _, err := os.Lstat(dir); err == nil {
			os.RemoveAll(tmp)
			continue
		}
		if err := os.Rename(tmp, dir); err != nil {
			os.RemoveAll(tmp)
			if errors.Is(err, fs.ErrExist) || errors.Is(err, os.ErrExist) {
				continue
			}
			return "", "", fmt.Errorf("state directory %s: %w", dir, err)
		}
		return id, dir, nil
	}
	return "", "", errors.New("no free lab id after 10 tries")
}
