package build

import (
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// FieldError is an invalid field of one NetworkPolicy or ClusterNetworkPolicy.
type FieldError struct {
	// Kind is the object's kind; empty means NetworkPolicy.
	Kind   string
	Policy ir.PolicyRef
	// Field is the path of the field, e.g. spec.ingress[0].from[1].ipBlock.cidr.
	Field string
	// Detail says what is wrong with it.
	Detail string
	// Err is the underlying cause, if any.
	Err error
}

func (e *FieldError) Error() string {
	kind := e.Kind
	if kind == "" {
		kind = "NetworkPolicy"
	}
	s := kind + " " + e.Policy.String() + ": " + e.Field + ": " + e.Detail
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FieldError) Unwrap() error { return e.Err }

// Validate checks one policy and returns a *FieldError naming the policy and the field path, e.g.
// `NetworkPolicy x/allow-web: spec.ingress[0].from[1].ipBlock.cidr: invalid CIDR "10.0.0/8"`.
func Validate(p *networkingv1.NetworkPolicy) error {
	_, err := compile(p, nil)
	return err
}
