// Package dispatchapi exposes dispatch: dispatchers see ranked candidates and dispatch an
// order by the store's mode (orders:dispatch); staff see and take or decline their pool
// offers (visits:self).
package dispatchapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/dispatch"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/httpx"
)

type api struct{ svc *dispatch.Service }

// Register adds the dispatch operations.
func Register(h huma.API, svc *dispatch.Service) {
	a := api{svc: svc}
	staff := func(perm string) httpx.Access { return httpx.Access{Audience: httpx.Staff, Permission: perm} }
	reg := func(id, method, path, summary string, acc httpx.Access, tags ...string) huma.Operation {
		return httpx.Op(huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags}, acc)
	}
	dt, mt := "Dispatch", "My offers"
	huma.Register(h, reg("list-order-candidates", http.MethodGet, "/api/v1/orders/{id}/candidates", "Eligible, free staff for the order, best first, with the score's reasons", staff("orders:dispatch"), dt), a.candidates)
	huma.Register(h, reg("dispatch-order", http.MethodPost, "/api/v1/orders/{id}/dispatch", "Dispatch by the store's mode: manual does nothing, pool offers to the top N, auto assigns the best candidate", staff("orders:dispatch"), dt), a.dispatch)
	huma.Register(h, reg("get-dispatch-board", http.MethodGet, "/api/v1/dispatch/board", "A store's day: unassigned and at-risk orders (starting within 2h, not accepted), staff load and positions", staff("orders:dispatch"), dt), a.board)
	vs := staff("visits:self")
	huma.Register(h, reg("list-my-offers", http.MethodGet, "/api/v1/me/offers", "Your order-pool offers of the last day (taken: someone was first)", vs, mt), a.myOffers)
	huma.Register(h, reg("take-my-offer", http.MethodPost, "/api/v1/me/offers/{id}/take", "Take the order (the first wins; 409 offer_taken otherwise)", vs, mt), a.take)
	huma.Register(h, reg("decline-my-offer", http.MethodPost, "/api/v1/me/offers/{id}/decline", "Turn the offer down", vs, mt), a.decline)
}

// DispatchIDPath is the {id} path parameter (exported: huma only binds exported embedded fields).
type DispatchIDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

// DispatchReasonDTO is one factor of a candidate's score.
type DispatchReasonDTO struct {
	Factor string  `json:"factor"`
	Points float64 `json:"points"`
	Detail string  `json:"detail"`
}

// DispatchCandidateDTO is a ranked staff member.
type DispatchCandidateDTO struct {
	StaffID     uuid.UUID           `json:"staff_id"`
	StoreID     uuid.UUID           `json:"store_id"`
	DisplayName string              `json:"display_name"`
	BadgeNo     string              `json:"badge_no"`
	DistanceM   float64             `json:"distance_m"`
	LevelRank   int                 `json:"level_rank"`
	Rating      float64             `json:"rating"`
	Workload    int                 `json:"workload"`
	Preferred   bool                `json:"preferred"`
	Previous    bool                `json:"previous"`
	Score       float64             `json:"score"`
	Reasons     []DispatchReasonDTO `json:"reasons"`
}

// DispatchCandidatesDTO lists candidates.
type DispatchCandidatesDTO struct {
	Items []DispatchCandidateDTO `json:"items"`
}

// DispatchOfferDTO is an order-pool or auto offer.
type DispatchOfferDTO struct {
	ID        uuid.UUID  `json:"id"`
	OrderID   uuid.UUID  `json:"order_id"`
	StaffID   uuid.UUID  `json:"staff_id"`
	Kind      string     `json:"kind"`
	Status    string     `json:"status"`
	Score     float64    `json:"score"`
	Rank      int        `json:"rank"`
	Round     int        `json:"round"`
	ExpiresAt time.Time  `json:"expires_at"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// DispatchOffersDTO lists offers.
type DispatchOffersDTO struct {
	Items []DispatchOfferDTO `json:"items"`
}

// DispatchResultDTO is what dispatching did.
type DispatchResultDTO struct {
	Mode        string             `json:"mode"`
	Offers      []DispatchOfferDTO `json:"offers"`
	OrderStatus string             `json:"order_status,omitempty"`
	StaffID     *uuid.UUID         `json:"staff_id,omitempty"` // auto: who was assigned
}

// DispatchTakeDTO is a taken offer and the order's new status.
type DispatchTakeDTO struct {
	Offer       DispatchOfferDTO `json:"offer"`
	OrderStatus string           `json:"order_status"`
}

func toOffer(o dispatch.Offer) DispatchOfferDTO {
	return DispatchOfferDTO{ID: o.ID, OrderID: o.OrderID, StaffID: o.StaffID, Kind: o.Kind, Status: o.Status, Score: o.Score, Rank: o.Rank, Round: o.Round,
		ExpiresAt: o.ExpiresAt, CreatedAt: o.CreatedAt, DecidedAt: o.DecidedAt}
}

func toOffers(os []dispatch.Offer) []DispatchOfferDTO {
	out := make([]DispatchOfferDTO, len(os))
	for i, o := range os {
		out[i] = toOffer(o)
	}
	return out
}

func (a api) candidates(ctx context.Context, in *DispatchIDPath) (*httpx.Body[DispatchCandidatesDTO], error) {
	cs, err := a.svc.Candidates(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := DispatchCandidatesDTO{Items: make([]DispatchCandidateDTO, len(cs))}
	for i, c := range cs {
		rs := make([]DispatchReasonDTO, len(c.Reasons))
		for j, r := range c.Reasons {
			rs[j] = DispatchReasonDTO(r)
		}
		out.Items[i] = DispatchCandidateDTO{StaffID: c.StaffID, StoreID: c.StoreID, DisplayName: c.DisplayName, BadgeNo: c.BadgeNo, DistanceM: c.DistanceM,
			LevelRank: c.LevelRank, Rating: c.Rating, Workload: c.Workload, Preferred: c.Preferred, Previous: c.Previous, Score: c.Score, Reasons: rs}
	}
	return &httpx.Body[DispatchCandidatesDTO]{Body: out}, nil
}

func (a api) dispatch(ctx context.Context, in *DispatchIDPath) (*httpx.Body[DispatchResultDTO], error) {
	r, err := a.svc.Dispatch(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := DispatchResultDTO{Mode: r.Mode, Offers: toOffers(r.Offers)}
	if r.Order != nil {
		out.OrderStatus = string(r.Order.Status)
	}
	if r.Staff != uuid.Nil {
		out.StaffID = &r.Staff
	}
	return &httpx.Body[DispatchResultDTO]{Body: out}, nil
}

func (a api) myOffers(ctx context.Context, _ *httpx.Empty) (*httpx.Body[DispatchOffersDTO], error) {
	os, err := a.svc.MyOffers(ctx)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[DispatchOffersDTO]{Body: DispatchOffersDTO{Items: toOffers(os)}}, nil
}

func (a api) take(ctx context.Context, in *DispatchIDPath) (*httpx.Body[DispatchTakeDTO], error) {
	off, o, err := a.svc.TakeOffer(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[DispatchTakeDTO]{Body: DispatchTakeDTO{Offer: toOffer(off), OrderStatus: string(o.Status)}}, nil
}

func (a api) decline(ctx context.Context, in *DispatchIDPath) (*httpx.Body[DispatchOfferDTO], error) {
	off, err := a.svc.DeclineOffer(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[DispatchOfferDTO]{Body: toOffer(off)}, nil
}

// DispatchBoardInput is the board's query.
type DispatchBoardInput struct {
	StoreID uuid.UUID `query:"store_id" format:"uuid" required:"true"`
	Date    string    `query:"date" required:"true" doc:"YYYY-MM-DD in the tenant's time zone"`
}

// DispatchBoardOrderDTO is an order on the board.
type DispatchBoardOrderDTO struct {
	ID      uuid.UUID  `json:"id"`
	Number  string     `json:"number"`
	Status  string     `json:"status"`
	Start   time.Time  `json:"start"`
	End     time.Time  `json:"end"`
	Address string     `json:"address"`
	StaffID *uuid.UUID `json:"staff_id,omitempty"`
	AtRisk  string     `json:"at_risk_reason,omitempty" doc:"Set when dispatch gave up: pool_exhausted, no_candidates, auto_exhausted"`
}

// DispatchStaffLoadDTO is a staff member's day.
type DispatchStaffLoadDTO struct {
	StaffID     uuid.UUID  `json:"staff_id"`
	DisplayName string     `json:"display_name"`
	BadgeNo     string     `json:"badge_no"`
	Visits      int        `json:"visits"`
	Minutes     int        `json:"minutes"`
	Location    *geo.Point `json:"location,omitempty"`
	LocatedAt   *time.Time `json:"located_at,omitempty"`
}

// DispatchBoardDTO is a store's day for its dispatcher.
type DispatchBoardDTO struct {
	StoreID    uuid.UUID               `json:"store_id"`
	Date       string                  `json:"date"`
	Unassigned []DispatchBoardOrderDTO `json:"unassigned"`
	AtRisk     []DispatchBoardOrderDTO `json:"at_risk"`
	Staff      []DispatchStaffLoadDTO  `json:"staff"`
}

func toBoardOrders(os []dispatch.BoardOrder) []DispatchBoardOrderDTO {
	out := make([]DispatchBoardOrderDTO, len(os))
	for i, o := range os {
		out[i] = DispatchBoardOrderDTO{ID: o.ID, Number: o.Number, Status: o.Status, Start: o.Start, End: o.End, Address: o.Address, AtRisk: o.Flag}
		if o.StaffID != uuid.Nil {
			id := o.StaffID
			out[i].StaffID = &id
		}
	}
	return out
}

func (a api) board(ctx context.Context, in *DispatchBoardInput) (*httpx.Body[DispatchBoardDTO], error) {
	b, err := a.svc.Board(ctx, in.StoreID, in.Date)
	if err != nil {
		return nil, err
	}
	out := DispatchBoardDTO{StoreID: b.StoreID, Date: b.Date, Unassigned: toBoardOrders(b.Unassigned), AtRisk: toBoardOrders(b.AtRisk),
		Staff: make([]DispatchStaffLoadDTO, len(b.Staff))}
	for i, s := range b.Staff {
		out.Staff[i] = DispatchStaffLoadDTO(s)
	}
	return &httpx.Body[DispatchBoardDTO]{Body: out}, nil
}
