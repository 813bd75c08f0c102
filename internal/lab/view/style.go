package view

// style is what a piece of text means; paint turns it into an SGR colour when Options.Color is set.
type style uint8

const (
	plain style = iota
	styAllow
	styDeny
	styPartial
	styMismatch
	styError
	styAudit
	styBold
	styDim
)

var sgr = [...]string{
	styAllow:    "32",   // green
	styDeny:     "2",    // dim
	styPartial:  "33",   // yellow
	styMismatch: "1;31", // bold red
	styError:    "35",   // magenta
	styAudit:    "36",   // cyan: passes, as green does, but is not what the policies allow
	styBold:     "1",
	styDim:      "2",
}

const (
	csi   = "\x1b["
	reset = csi + "0m"
)

// paint wraps s in the colour of st; without colour (or for plain text) s is returned as it is.
func (o Options) paint(st style, s string) string {
	if !o.Color || st == plain || s == "" {
		return s
	}
	return csi + sgr[st] + "m" + s + reset
}

// ClearScreen returns the escape sequence that clears the screen and homes the cursor ("" when !o.Color), so the
// live view can redraw the matrix after each change. The scrollback is left alone.
func ClearScreen(o Options) string {
	if !o.Color {
		return ""
	}
	return csi + "H" + csi + "2J"
}
