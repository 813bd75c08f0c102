package compiler

// Operations on address range lists in canonical form: sorted, pairwise disjoint and not touching, all of one
// family (what mergeRanges returns). Each runs in one pass over both lists, so painting a tier costs time
// linear in the peers it touches.

// subtractRanges returns the addresses of a that are not in b.
func subtractRanges(a, b []addrRange) []addrRange {
	var out []addrRange
	j := 0
	for _, r := range a {
		// Skip the ranges of b that end before r starts.
		for j < len(b) && b[j].last.Less(r.first) {
			j++
		}
		cur := r
		alive := true
		for k := j; k < len(b) && !r.last.Less(b[k].first); k++ {
			if cur.first.Less(b[k].first) {
				out = append(out, addrRange{cur.first, b[k].first.Prev()})
			}
			next := b[k].last.Next()
			if !next.IsValid() || r.last.Less(next) {
				alive = false
				break
			}
			cur.first = next
		}
		if alive {
			out = append(out, cur)
		}
	}
	return out
}

// intersectRanges returns the addresses in both a and b.
func intersectRanges(a, b []addrRange) []addrRange {
	var out []addrRange
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		first, last := a[i].first, a[i].last
		if first.Less(b[j].first) {
			first = b[j].first
		}
		if b[j].last.Less(last) {
			last = b[j].last
		}
		if !last.Less(first) {
			out = append(out, addrRange{first, last})
		}
		// Drop the range that ends first; the other may still meet the next one.
		if a[i].last.Less(b[j].last) {
			i++
		} else {
			j++
		}
	}
	return out
}

// unionRanges returns the addresses in a or b, in canonical form.
func unionRanges(a, b []addrRange) []addrRange {
	switch {
	case len(a) == 0:
		return b
	case len(b) == 0:
		return a
	}
	out := make([]addrRange, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		// Take the range that starts first.
		var r addrRange
		if j == len(b) || (i < len(a) && a[i].first.Less(b[j].first)) {
			r, i = a[i], i+1
		} else {
			r, j = b[j], j+1
		}
		if n := len(out); n > 0 {
			cur := &out[n-1]
			// r starts inside cur or right after it: extend cur. cur.last.Next() is invalid only at the top
			// of the address space, where cur already covers everything after it.
			if next := cur.last.Next(); !next.IsValid() || !next.Less(r.first) {
				if cur.last.Less(r.last) {
					cur.last = r.last
				}
				continue
			}
		}
		out = append(out, r)
	}
	return out
}
