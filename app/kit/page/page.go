// Package page holds list pagination: a limit and an offset with safe bounds.
package page

// Request is what a list endpoint accepts.
type Request struct {
	Limit  int
	Offset int
}

const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Normalize clamps a request to sane bounds.
func (r Request) Normalize() Request {
	if r.Limit <= 0 {
		r.Limit = DefaultLimit
	}
	if r.Limit > MaxLimit {
		r.Limit = MaxLimit
	}
	if r.Offset < 0 {
		r.Offset = 0
	}
	return r
}

// Result is one page of items with the total count.
type Result[T any] struct {
	Items []T
	Total int64
}
