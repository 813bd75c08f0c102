package build

import (
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// selectorMemo remembers parsed selectors by their written form: parsing (with its label validation) is the
// largest cost of compiling thousands of policies, and clusters repeat a few selectors many times. A nil memo
// parses every time.
type selectorMemo map[string]parsedSelector

type parsedSelector struct {
	sel labels.Selector
	key string
}

// compile parses s, or returns the earlier result for an identically written selector. Errors are not
// remembered (the first one ends the build).
func (m selectorMemo) compile(ref ir.PolicyRef, s *metav1.LabelSelector, path string) (labels.Selector, string, error) {
	if len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0 {
		return labels.Everything(), "", nil
	}
	if m == nil {
		return compileSelector(ref, s, path)
	}
	w := written(s)
	if p, ok := m[w]; ok {
		return p.sel, p.key, nil
	}
	sel, key, err := compileSelector(ref, s, path)
	if err == nil {
		m[w] = parsedSelector{sel, key}
	}
	return sel, key, err
}

// written encodes a selector as written, each string length-prefixed so that no two selectors (valid or not)
// share an encoding.
func written(s *metav1.LabelSelector) string {
	var b strings.Builder
	str := func(v string) {
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	keys := make([]string, 0, len(s.MatchLabels))
	for k := range s.MatchLabels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b.WriteString(strconv.Itoa(len(keys)))
	for _, k := range keys {
		str(k)
		str(s.MatchLabels[k])
	}
	for _, e := range s.MatchExpressions {
		b.WriteByte(';')
		str(e.Key)
		str(string(e.Operator))
		b.WriteString(strconv.Itoa(len(e.Values)))
		for _, v := range e.Values {
			str(v)
		}
	}
	return b.String()
}
