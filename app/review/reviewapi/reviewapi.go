// Package reviewapi exposes reviews: customers review their accepted orders and read their own
// reviews in the storefront; stores read reviews and staff ratings (orders:read) and reply
// (orders:manage).
package reviewapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/httpx"
	"doorstep/app/review"
)

type api struct{ svc *review.Service }

// Register adds the review operations.
func Register(h huma.API, svc *review.Service) {
	a := api{svc: svc}
	cust := httpx.Access{Audience: httpx.Customer}
	staff := func(perm string) httpx.Access { return httpx.Access{Audience: httpx.Staff, Permission: perm} }
	reg := func(id, method, path, summary string, acc httpx.Access, status int, tags ...string) huma.Operation {
		return httpx.Op(huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags, DefaultStatus: status}, acc)
	}
	ct, st := "My reviews", "Reviews"
	huma.Register(h, reg("create-my-review", http.MethodPost, "/api/v1/storefront/reviews", "Review an accepted order (once)", cust, http.StatusCreated, ct), a.create)
	huma.Register(h, reg("list-my-reviews", http.MethodGet, "/api/v1/storefront/reviews", "Your reviews, newest first", cust, 0, ct), a.list)
	huma.Register(h, reg("get-my-review", http.MethodGet, "/api/v1/storefront/reviews/{id}", "One of your reviews", cust, 0, ct), a.get)
	huma.Register(h, reg("list-reviews", http.MethodGet, "/api/v1/reviews", "Reviews in your scope, by store or staff member", staff("orders:read"), 0, st), a.listStaff)
	huma.Register(h, reg("get-review", http.MethodGet, "/api/v1/reviews/{id}", "A review", staff("orders:read"), 0, st), a.get)
	huma.Register(h, reg("reply-review", http.MethodPost, "/api/v1/reviews/{id}/reply", "Reply to a review as the store", staff("orders:manage"), 0, st), a.reply)
	huma.Register(h, reg("set-review-visibility", http.MethodPut, "/api/v1/reviews/{id}/visibility", "Hide a review from the public storefront, or show it again", staff("orders:manage"), 0, st), a.visibility)
	pub := httpx.Access{Audience: httpx.Public, TenantFromHost: true}
	huma.Register(h, reg("storefront-service-reviews", http.MethodGet, "/api/v1/storefront/catalog/services/{id}/reviews", "A service's published reviews, newest first, with their average", pub, 0, "Storefront"), a.serviceReviews)
	huma.Register(h, reg("storefront-staff-reviews", http.MethodGet, "/api/v1/storefront/staff/{id}/reviews", "A staff member's published reviews, newest first, with their average", pub, 0, "Storefront"), a.staffReviews)
	huma.Register(h, reg("list-staff-ratings", http.MethodGet, "/api/v1/staff-ratings", "Staff members' rating aggregates (staff of stores in your scope)", staff("orders:read"), 0, st), a.ratings)
}

// ReviewRecordDTO is a review.
type ReviewRecordDTO struct {
	ID          uuid.UUID  `json:"id"`
	OrderID     uuid.UUID  `json:"order_id"`
	CustomerID  uuid.UUID  `json:"customer_id"`
	StaffID     *uuid.UUID `json:"staff_id"`
	StoreID     uuid.UUID  `json:"store_id"`
	Attitude    int        `json:"attitude"`
	Quality     int        `json:"quality"`
	Punctuality int        `json:"punctuality"`
	Text        string     `json:"text"`
	Photos      []string   `json:"photos"`
	Auto        bool       `json:"auto"`
	Reply       string     `json:"reply,omitempty"`
	RepliedAt   *time.Time `json:"replied_at,omitempty"`
	HiddenAt    *time.Time `json:"hidden_at,omitempty" doc:"Hidden from the public storefront since"`
	CreatedAt   time.Time  `json:"created_at"`
}

func toDTO(r review.Review) ReviewRecordDTO {
	d := ReviewRecordDTO{ID: r.ID, OrderID: r.OrderID, CustomerID: r.CustomerID, StoreID: r.StoreID, Attitude: r.Attitude, Quality: r.Quality,
		Punctuality: r.Punctuality, Text: r.Text, Photos: r.Photos, Auto: r.Auto, Reply: r.Reply, RepliedAt: r.RepliedAt, HiddenAt: r.HiddenAt, CreatedAt: r.CreatedAt}
	if r.StaffID != uuid.Nil {
		id := r.StaffID
		d.StaffID = &id
	}
	if d.Photos == nil {
		d.Photos = []string{}
	}
	return d
}

// ReviewNewBody is a customer's review.
type ReviewNewBody struct {
	OrderID     uuid.UUID `json:"order_id"`
	Attitude    int       `json:"attitude" minimum:"1" maximum:"5"`
	Quality     int       `json:"quality" minimum:"1" maximum:"5"`
	Punctuality int       `json:"punctuality" minimum:"1" maximum:"5"`
	Text        string    `json:"text,omitempty" maxLength:"2000"`
	Photos      []string  `json:"photos,omitempty" maxItems:"9"`
}

// ReviewNewInput is create-my-review's input.
type ReviewNewInput struct {
	Body ReviewNewBody
}

func (a api) create(ctx context.Context, in *ReviewNewInput) (*httpx.Body[ReviewRecordDTO], error) {
	r, err := a.svc.Create(ctx, review.NewReview{OrderID: in.Body.OrderID, Attitude: in.Body.Attitude, Quality: in.Body.Quality,
		Punctuality: in.Body.Punctuality, Text: in.Body.Text, Photos: in.Body.Photos})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[ReviewRecordDTO]{Body: toDTO(r)}, nil
}

// ReviewIDPath names a review.
type ReviewIDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

func (a api) get(ctx context.Context, in *ReviewIDPath) (*httpx.Body[ReviewRecordDTO], error) {
	r, err := a.svc.Get(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[ReviewRecordDTO]{Body: toDTO(r)}, nil
}

// ReviewListQuery pages the customer's reviews.
type ReviewListQuery struct {
	httpx.PageQuery
}

func (a api) list(ctx context.Context, in *ReviewListQuery) (*httpx.Body[httpx.List[ReviewRecordDTO]], error) {
	p := in.Page()
	r, err := a.svc.List(ctx, review.Filter{}, p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[httpx.List[ReviewRecordDTO]]{Body: httpx.ListOf(r, p, toDTO)}, nil
}

// ReviewStaffListQuery filters the staff-side list.
type ReviewStaffListQuery struct {
	httpx.PageQuery
	StoreID string `query:"store_id" format:"uuid"`
	StaffID string `query:"staff_id" format:"uuid"`
}

func (a api) listStaff(ctx context.Context, in *ReviewStaffListQuery) (*httpx.Body[httpx.List[ReviewRecordDTO]], error) {
	var f review.Filter
	f.StoreID, _ = uuid.Parse(in.StoreID)
	f.StaffID, _ = uuid.Parse(in.StaffID)
	p := in.Page()
	r, err := a.svc.List(ctx, f, p)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[httpx.List[ReviewRecordDTO]]{Body: httpx.ListOf(r, p, toDTO)}, nil
}

// ReviewReplyBody is the store's reply.
type ReviewReplyBody struct {
	Text string `json:"text" minLength:"1" maxLength:"2000"`
}

// ReviewReplyInput is reply-review's input.
type ReviewReplyInput struct {
	ReviewIDPath
	Body ReviewReplyBody
}

func (a api) reply(ctx context.Context, in *ReviewReplyInput) (*httpx.Body[ReviewRecordDTO], error) {
	r, err := a.svc.Reply(ctx, in.ID, in.Body.Text)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[ReviewRecordDTO]{Body: toDTO(r)}, nil
}

// ReviewRatingsQuery names the staff members.
type ReviewRatingsQuery struct {
	StaffID []string `query:"staff_id" maxItems:"100" doc:"Staff member ids (repeat or comma-separate)"`
}

// ReviewRatingDTO is a staff member's aggregate.
type ReviewRatingDTO struct {
	StaffID     uuid.UUID `json:"staff_id"`
	Count       int64     `json:"count"`
	Attitude    float64   `json:"attitude"`
	Quality     float64   `json:"quality"`
	Punctuality float64   `json:"punctuality"`
	Overall     float64   `json:"overall"`
}

func (a api) ratings(ctx context.Context, in *ReviewRatingsQuery) (*httpx.Body[[]ReviewRatingDTO], error) {
	ids := make([]uuid.UUID, 0, len(in.StaffID))
	for _, s := range in.StaffID {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, errs.InvalidFields(errs.Field("staff_id", "staff member ids"))
		}
		ids = append(ids, id)
	}
	rs, err := a.svc.VisibleRatings(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ReviewRatingDTO, 0, len(rs))
	for _, r := range rs {
		out = append(out, ReviewRatingDTO{StaffID: r.StaffID, Count: r.Count, Attitude: r.Attitude, Quality: r.Quality,
			Punctuality: r.Punctuality, Overall: r.Overall})
	}
	return &httpx.Body[[]ReviewRatingDTO]{Body: out}, nil
}

// ReviewVisibilityInput hides or shows a review on the storefront.
type ReviewVisibilityInput struct {
	ReviewIDPath
	Body struct {
		Hidden bool `json:"hidden"`
	}
}

func (a api) visibility(ctx context.Context, in *ReviewVisibilityInput) (*httpx.Body[ReviewRecordDTO], error) {
	r, err := a.svc.SetHidden(ctx, in.ID, in.Body.Hidden)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[ReviewRecordDTO]{Body: toDTO(r)}, nil
}

// ReviewPublicQuery names a service or staff member and pages their reviews.
type ReviewPublicQuery struct {
	ReviewIDPath
	httpx.PageQuery
}

// ReviewPublicDTO is a review as the storefront shows it: the reviewer's name masked, no ids
// of customers or orders.
type ReviewPublicDTO struct {
	ID          uuid.UUID  `json:"id"`
	Reviewer    string     `json:"reviewer" example:"张*" doc:"The reviewer's name, masked"`
	StaffName   string     `json:"staff_name,omitempty"`
	Attitude    int        `json:"attitude"`
	Quality     int        `json:"quality"`
	Punctuality int        `json:"punctuality"`
	Text        string     `json:"text"`
	Photos      []string   `json:"photos"`
	Auto        bool       `json:"auto" doc:"An automatic positive review (the customer left none)"`
	Reply       string     `json:"reply,omitempty" doc:"The store's reply"`
	RepliedAt   *time.Time `json:"replied_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// ReviewSummaryDTO aggregates the published reviews.
type ReviewSummaryDTO struct {
	Count       int64   `json:"count"`
	Average     float64 `json:"average" doc:"Mean of the three scores' averages, 0 without reviews"`
	Attitude    float64 `json:"attitude"`
	Quality     float64 `json:"quality"`
	Punctuality float64 `json:"punctuality"`
}

// ReviewPublicListDTO is a page of published reviews and the aggregate of all of them.
type ReviewPublicListDTO struct {
	Items   []ReviewPublicDTO `json:"items"`
	Total   int64             `json:"total"`
	Limit   int               `json:"limit"`
	Offset  int               `json:"offset"`
	Summary ReviewSummaryDTO  `json:"summary"`
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

func (a api) published(ctx context.Context, f review.PublicFilter, q httpx.PageQuery) (*httpx.Body[ReviewPublicListDTO], error) {
	p := q.Page()
	r, err := a.svc.Published(ctx, f, p)
	if err != nil {
		return nil, err
	}
	l := httpx.ListOf(r.Result, p, func(x review.PublicReview) ReviewPublicDTO {
		return ReviewPublicDTO{ID: x.ID, Reviewer: x.Reviewer, StaffName: x.StaffName, Attitude: x.Attitude, Quality: x.Quality,
			Punctuality: x.Punctuality, Text: x.Text, Photos: x.Photos, Auto: x.Auto, Reply: x.Reply, RepliedAt: x.RepliedAt, CreatedAt: x.CreatedAt}
	})
	sm := r.Summary
	return &httpx.Body[ReviewPublicListDTO]{Body: ReviewPublicListDTO{Items: l.Items, Total: l.Total, Limit: l.Limit, Offset: l.Offset,
		Summary: ReviewSummaryDTO{Count: sm.Count, Average: round2(sm.Overall), Attitude: round2(sm.Attitude), Quality: round2(sm.Quality),
			Punctuality: round2(sm.Punctuality)}}}, nil
}

func (a api) serviceReviews(ctx context.Context, in *ReviewPublicQuery) (*httpx.Body[ReviewPublicListDTO], error) {
	return a.published(ctx, review.PublicFilter{ServiceID: in.ID}, in.PageQuery)
}

func (a api) staffReviews(ctx context.Context, in *ReviewPublicQuery) (*httpx.Body[ReviewPublicListDTO], error) {
	return a.published(ctx, review.PublicFilter{StaffID: in.ID}, in.PageQuery)
}
