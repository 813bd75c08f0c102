package e2e

import (
	"fmt"
	"strings"
)

// Peer picks pods by namespace and/or pod name; an empty field matches any
// value, so Peer{} matches every pod and Peer{Namespace: "x"} every pod in x.
type Peer struct {
	Namespace string
	Pod       string
}

// Matches reports whether pod ("ns/pod") is picked by p.
func (p Peer) Matches(pod string) bool {
	ns, name := splitPod(pod)
	return (p.Namespace == "" || p.Namespace == ns) && (p.Pod == "" || p.Pod == name)
}

// Reachability is an expected-connectivity matrix over AllPods(): rows are
// the client (from), columns the server (to).
//
// The mutators mirror the upstream helpers of the same names, so an upstream
// expectation can be transcribed call for call. Each returns the receiver so
// calls can be chained.
type Reachability struct {
	pods    []string
	index   map[string]int
	allowed [][]bool
}

// NewReachability returns a matrix over AllPods() with every pair set to
// defaultAllowed.
func NewReachability(defaultAllowed bool) *Reachability {
	pods := AllPods()
	r := &Reachability{pods: pods, index: make(map[string]int, len(pods))}
	for i, p := range pods {
		r.index[p] = i
	}
	r.allowed = make([][]bool, len(pods))
	for i := range r.allowed {
		r.allowed[i] = make([]bool, len(pods))
		for j := range r.allowed[i] {
			r.allowed[i][j] = defaultAllowed
		}
	}
	return r
}

func (r *Reachability) idx(pod string) int {
	i, ok := r.index[pod]
	if !ok {
		panic(fmt.Sprintf("e2e: pod %q is not in the model", pod))
	}
	return i
}

// Pods returns the pods the matrix covers, in row/column order.
func (r *Reachability) Pods() []string { return append([]string(nil), r.pods...) }

// Allowed returns the expectation for from -> to.
func (r *Reachability) Allowed(from, to string) bool {
	return r.allowed[r.idx(from)][r.idx(to)]
}

// Expect sets the expectation for a single pair.
func (r *Reachability) Expect(from, to string, ok bool) *Reachability {
	r.allowed[r.idx(from)][r.idx(to)] = ok
	return r
}

// ExpectPeer sets every pair whose client matches from and whose server
// matches to.
func (r *Reachability) ExpectPeer(from, to Peer, ok bool) *Reachability {
	for i, f := range r.pods {
		if !from.Matches(f) {
			continue
		}
		for j, t := range r.pods {
			if to.Matches(t) {
				r.allowed[i][j] = ok
			}
		}
	}
	return r
}

// ExpectAllIngress sets every pair whose server is to.
func (r *Reachability) ExpectAllIngress(to string, ok bool) *Reachability {
	j := r.idx(to)
	for i := range r.pods {
		r.allowed[i][j] = ok
	}
	return r
}

// ExpectAllEgress sets every pair whose client is from.
func (r *Reachability) ExpectAllEgress(from string, ok bool) *Reachability {
	i := r.idx(from)
	for j := range r.pods {
		r.allowed[i][j] = ok
	}
	return r
}

// AllowLoopback marks every pod -> itself pair as allowed. Traffic from a
// pod to its own address never leaves the pod's network namespace, so no
// policy can affect it. Call it after the other expectations.
func (r *Reachability) AllowLoopback() *Reachability {
	for i := range r.pods {
		r.allowed[i][i] = true
	}
	return r
}

// Clone returns an independent copy.
func (r *Reachability) Clone() *Reachability {
	c := NewReachability(false)
	for i := range r.allowed {
		copy(c.allowed[i], r.allowed[i])
	}
	return c
}

// Equal reports whether both matrices expect the same for every pair.
func (r *Reachability) Equal(o *Reachability) bool {
	for i := range r.allowed {
		for j := range r.allowed[i] {
			if r.allowed[i][j] != o.allowed[i][j] {
				return false
			}
		}
	}
	return true
}

// Diff compares the expectations with observed and returns one line per
// pair that differs, in row-major order; nil means everything matched.
func (r *Reachability) Diff(observed func(from, to string) bool) (mismatches []string) {
	for i, from := range r.pods {
		for j, to := range r.pods {
			want := r.allowed[i][j]
			if got := observed(from, to); got != want {
				mismatches = append(mismatches, fmt.Sprintf("%s -> %s: expected %s, observed %s",
					from, to, verdict(want), verdict(got)))
			}
		}
	}
	return mismatches
}

func verdict(ok bool) string {
	if ok {
		return "allowed"
	}
	return "denied"
}

func cell(ok bool) string {
	if ok {
		return "."
	}
	return "X"
}

// String renders the expectations as a table: rows are the client (from),
// columns the server (to); "." is allowed, "X" denied.
func (r *Reachability) String() string {
	return r.render(func(i, j int) string { return cell(r.allowed[i][j]) + " " })
}

// Table renders what was observed, marking with "*" every cell that
// differs from the expectation; rows are the client (from), columns the
// server (to); "." is allowed, "X" denied.
func (r *Reachability) Table(observed func(from, to string) bool) string {
	return r.render(func(i, j int) string {
		got := observed(r.pods[i], r.pods[j])
		if got != r.allowed[i][j] {
			return cell(got) + "*"
		}
		return cell(got) + " "
	})
}

func (r *Reachability) render(cellAt func(i, j int) string) string {
	width := 0
	for _, p := range r.pods {
		width = max(width, len(p))
	}
	var b strings.Builder
	line := func(head string, cells func(j int) string) {
		var l strings.Builder
		fmt.Fprintf(&l, "%-*s", width, head)
		for j := range r.pods {
			fmt.Fprintf(&l, " %-*s", width, cells(j))
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteString("\n")
	}
	line("-", func(j int) string { return r.pods[j] })
	for i, from := range r.pods {
		line(from, func(j int) string { return cellAt(i, j) })
	}
	return b.String()
}
