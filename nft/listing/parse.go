package listing

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nftpolicy/nftpolicy/nft"
)

// Result is what a listing holds.
type Result struct {
	// Table is table inet nftpolicy in the model (sets and chains sorted by name, elements in canonical order);
	// nil when the text holds no such table.
	Table *nft.Table
	// Notes are the constructs of the table the model has no place for, in the order of the text. Each one is
	// something nftpolicy does not write, so a listing with notes differs from every desired table.
	Notes []Note
}

// Note is one construct of the listing that the model cannot hold.
type Note struct {
	// Line is the line of the text it starts on (1-based).
	Line int
	// Object is what it belongs to: "table", "set NAME", "map NAME" or "chain NAME".
	Object string
	// Text is the construct as listed (the first line of a block).
	Text string
}

func (n Note) String() string {
	return fmt.Sprintf("line %d: %s: %s", n.Line, n.Object, n.Text)
}

// maxLine bounds one line of the listing (a set's elements may be listed on one long line).
const maxLine = 64 << 20

// Parse reads the output of `nft list table inet nftpolicy` (or of `nft list ruleset`, `nft -a list ...`).
func Parse(r io.Reader) (*Result, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, err
	}
	p := &parser{lines: lines}
	res := &Result{}
	for !p.done() {
		l := p.next()
		f := strings.Fields(l.text)
		if len(f) != 4 || f[0] != "table" || f[3] != "{" {
			if strings.HasPrefix(l.text, "{") || strings.HasPrefix(l.text, "[") {
				return nil, fmt.Errorf("line %d: JSON (nft -j) is not read: give the text of `nft list table inet %s`", l.n, nft.TableName)
			}
			return nil, fmt.Errorf("line %d: %q: want `table inet %s {`: not the output of `nft list table inet %s`",
				l.n, clip(l.text), nft.TableName, nft.TableName)
		}
		if f[1] != "inet" || f[2] != nft.TableName {
			if err := p.skipBlock(l); err != nil {
				return nil, err
			}
			continue
		}
		if res.Table != nil {
			return nil, fmt.Errorf("line %d: table inet %s listed twice", l.n, nft.TableName)
		}
		if res.Table, err = p.table(res, l); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// line is one non-empty line of the listing without its `#` comment, trimmed.
type line struct {
	n    int
	text string
}

func readLines(r io.Reader) ([]line, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var out []line
	for n := 1; sc.Scan(); n++ {
		if t := strings.TrimSpace(stripComment(sc.Text())); t != "" {
			out = append(out, line{n, t})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the listing: %w", err)
	}
	return out, nil
}

// stripComment cuts a `#` comment (nft -a's `# handle N`, warnings nft prints above tables) outside quotes.
func stripComment(s string) string {
	quoted := false
	for i, c := range s {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '#' && !quoted && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i]
		}
	}
	return s
}

type parser struct {
	lines []line
	i     int
}

func (p *parser) done() bool { return p.i >= len(p.lines) }

func (p *parser) next() line {
	l := p.lines[p.i]
	p.i++
	return l
}

// errEOF is returned when a block is not closed.
var errEOF = errors.New("the listing ends inside it (no closing })")

// skipBlock skips the block opened on line open, nested blocks included.
func (p *parser) skipBlock(open line) error {
	depth := braces(open.text)
	for depth > 0 {
		if p.done() {
			return fmt.Errorf("line %d: %q: %w", open.n, clip(open.text), errEOF)
		}
		depth += braces(p.next().text)
	}
	return nil
}

// braces is the number of { minus the number of } outside quotes.
func braces(s string) int {
	n, quoted := 0, false
	for _, c := range s {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '{':
			n++
		case c == '}':
			n--
		}
	}
	return n
}

// table reads the body of table inet nftpolicy.
func (p *parser) table(res *Result, open line) (*nft.Table, error) {
	t := &nft.Table{}
	seen := map[string]int{}
	for {
		if p.done() {
			return nil, fmt.Errorf("line %d: table inet %s: %w", open.n, nft.TableName, errEOF)
		}
		l := p.next()
		f := strings.Fields(l.text)
		switch {
		case l.text == "}":
			slices.SortFunc(t.Sets, func(a, b *nft.Set) int { return strings.Compare(a.Name, b.Name) })
			slices.SortFunc(t.Chains, func(a, b *nft.Chain) int { return strings.Compare(a.Name, b.Name) })
			return t, nil
		case len(f) == 3 && (f[0] == "set" || f[0] == "map" || f[0] == "chain") && f[2] == "{":
			if first, dup := seen[f[0]+" "+f[1]]; dup {
				return nil, fmt.Errorf("line %d: %s %s listed twice (first on line %d)", l.n, f[0], f[1], first)
			}
			seen[f[0]+" "+f[1]] = l.n
			if f[0] == "chain" {
				c, err := p.chain(res, l, f[1])
				if err != nil {
					return nil, err
				}
				t.Chains = append(t.Chains, c)
				continue
			}
			s, err := p.set(res, l, f[1], f[0] == "map")
			if err != nil {
				return nil, err
			}
			t.Sets = append(t.Sets, s)
		default:
			// Objects (counter, quota, flowtable, ...) and table properties (flags, comment).
			res.Notes = append(res.Notes, Note{Line: l.n, Object: "table", Text: strings.TrimSuffix(l.text, " {")})
			if err := p.skipBlock(l); err != nil {
				return nil, err
			}
		}
	}
}

// clip shortens text for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
