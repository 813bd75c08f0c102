package view

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// textWidth is the number of terminal cells s takes: one a rune (see the package doc), escapes not counted.
func textWidth(s string) int { return utf8.RuneCountInString(stripANSI(s)) }

// stripANSI removes CSI escape sequences (ESC [ parameters final-byte).
func stripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != 0x1b || i+1 >= len(s) || s[i+1] != '[' {
			b.WriteByte(s[i])
			continue
		}
		i += 2
		for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
			i++
		}
	}
	return b.String()
}

func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}

// padRight pads s with spaces to w cells.
func padRight(s string, w int) string { return s + spaces(w-textWidth(s)) }

// center puts s in the middle of w cells (the odd cell to the left, so a one-cell glyph sits under the last
// digit of a two-digit header) and leaves the right side unpadded: callers pad or trim.
func center(s string, w int) (left, right int) {
	gap := w - textWidth(s)
	if gap <= 0 {
		return 0, 0
	}
	return (gap + 1) / 2, gap / 2
}

// truncateMiddle shortens s to at most w cells, keeping its start and its end around "…".
func truncateMiddle(s string, w int) string {
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	if w < 3 {
		return string(r[:max(w, 0)])
	}
	head := (w - 1) / 2
	tail := w - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// oneLine makes s safe on one terminal line: control characters (newlines, escapes) become spaces and runs of
// white space one space.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// wrap joins items with sep into lines of at most width cells (see wrapPieces).
func wrap(first, next string, items []string, sep string, width int) []string {
	pieces := make([]string, len(items))
	for i, it := range items {
		pieces[i] = it
		if i < len(items)-1 {
			pieces[i] += sep
		}
	}
	return wrapPieces(first, next, pieces, width)
}

// wrapPieces writes pieces one after the other into lines of at most width cells. The first line starts with
// first and the others with next; a line ends without trailing blanks (a piece "a, " leaves "a,"). A piece longer
// than a line gets a line of its own.
func wrapPieces(first, next string, pieces []string, width int) []string {
	var lines []string
	line, empty := first, true
	for _, s := range pieces {
		if !empty && textWidth(line)+textWidth(strings.TrimRight(s, " ")) > width {
			lines = append(lines, strings.TrimRight(line, " "))
			line = next
		}
		line += s
		empty = false
	}
	return append(lines, strings.TrimRight(line, " "))
}

// page collects the lines of the output.
type page struct{ b strings.Builder }

// add appends lines, each without trailing blanks.
func (p *page) add(lines ...string) {
	for _, l := range lines {
		p.b.WriteString(strings.TrimRight(l, " "))
		p.b.WriteByte('\n')
	}
}

// section appends a blank line and lines, when there are any.
func (p *page) section(lines []string) {
	if len(lines) > 0 {
		p.add("")
		p.add(lines...)
	}
}

func (p *page) String() string { return p.b.String() }
