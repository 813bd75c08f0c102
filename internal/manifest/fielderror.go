package manifest

// FieldError is a problem with one field of an object: Path is the field's path with list indexes, e.g.
// `spec.ingress[0].ports[1].port`, Detail what is wrong with it and Err the cause, if any.
type FieldError struct {
	Path   string
	Detail string
	Err    error
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Detail
	}
	return e.Path + ": " + e.Detail
}

func (e *FieldError) Unwrap() error { return e.Err }
