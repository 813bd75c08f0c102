package fuzz

// reader hands out the fuzz input one byte at a time. Past the end every byte is 0, so every input decodes, and
// the same input always decodes the same way.
type reader struct {
	b []byte
	i int
}

func (r *reader) next() byte {
	if r.i >= len(r.b) {
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

func (r *reader) done() bool { return r.i >= len(r.b) }

// intn returns a byte of the input modulo n.
func (r *reader) intn(n int) int { return int(r.next()) % n }

// u16 returns two bytes of the input, big-endian.
func (r *reader) u16() uint16 { return uint16(r.next())<<8 | uint16(r.next()) }
