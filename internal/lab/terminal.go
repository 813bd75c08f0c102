package lab

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// terminal is what the lab knows about where it writes.
type terminal struct {
	tty   bool // stdout is a terminal: redraw in place
	color bool // ... and colours are welcome (NO_COLOR unset, TERM not dumb)
	width int  // its width, 0 when unknown
}

func detectTerminal(w io.Writer) terminal {
	f, ok := w.(*os.File)
	if !ok {
		return terminal{}
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return terminal{}
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	return terminal{tty: true, color: !noColor && os.Getenv("TERM") != "dumb", width: int(ws.Col)}
}

// isTTY says whether w is a terminal (progress spinners go there only).
func (terminal) isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	return err == nil
}
