package httpx

import "doorstep/app/kit/page"

// PageQuery is the pagination every list operation accepts.
type PageQuery struct {
	Limit  int `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size"`
	Offset int `query:"offset" minimum:"0" default:"0" doc:"Items to skip"`
}

// Page converts the query to a page request.
func (q PageQuery) Page() page.Request {
	return page.Request{Limit: q.Limit, Offset: q.Offset}.Normalize()
}

// List is a page of items.
type List[T any] struct {
	Items  []T   `json:"items"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

// ListOf maps a page result through conv.
func ListOf[S, T any](r page.Result[S], p page.Request, conv func(S) T) List[T] {
	out := List[T]{Items: make([]T, 0, len(r.Items)), Total: r.Total, Limit: p.Limit, Offset: p.Offset}
	for _, s := range r.Items {
		out.Items = append(out.Items, conv(s))
	}
	return out
}

// Body wraps a response body for huma.
type Body[T any] struct {
	Body T
}

// Empty is an operation input or output without fields.
type Empty struct{}
