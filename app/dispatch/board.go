package dispatch

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/booking"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/tenant"
)

// AtRiskWindow: an order starting this soon without an accepted staff member is at risk.
const AtRiskWindow = 2 * time.Hour

// BoardOrder is an order on the dispatcher's board.
type BoardOrder struct {
	ID      uuid.UUID
	Number  string
	Status  string
	Start   time.Time
	End     time.Time
	Address string
	StaffID uuid.UUID // the assigned staff member, if any
	Flag    string    // why dispatch gave up on it (FlagPoolExhausted …), "" if it did not
}

// StaffLoad is a store staff member's day.
type StaffLoad struct {
	StaffID     uuid.UUID
	DisplayName string
	BadgeNo     string
	Visits      int // active assignments starting that day
	Minutes     int // their length, travel buffer included
	Location    *geo.Point
	LocatedAt   *time.Time
}

// Board is a store's day for its dispatcher.
type Board struct {
	StoreID    uuid.UUID
	Date       string
	Unassigned []BoardOrder // confirmed, nobody assigned
	AtRisk     []BoardOrder // starting within AtRiskWindow and not accepted, or flagged by dispatch and still unassigned
	Staff      []StaffLoad
}

// BoardRepo is what the board reads (part of Repo).
type BoardRepo interface {
	BoardOrders(ctx context.Context, storeID uuid.UUID, from, to time.Time) ([]BoardOrder, error)
	StoreLoad(ctx context.Context, storeID uuid.UUID, from, to time.Time) ([]StaffLoad, error)
}

// Board returns a store's day (YYYY-MM-DD in the tenant's time zone): unassigned and at-risk
// orders (soon and not accepted, or flagged when dispatch ran out of staff or pool rounds), and each of its staff members' load and last known position.
func (s *Service) Board(ctx context.Context, storeID uuid.UUID, date string) (Board, error) {
	var v errs.Validation
	v.Check(storeID != uuid.Nil, "store_id", "required")
	loc := time.UTC
	if t, ok := tenant.FromContext(ctx); ok {
		loc = t.Location()
	}
	day, perr := time.ParseInLocation(time.DateOnly, date, loc)
	v.Check(perr == nil, "date", "a date like 2026-11-23")
	if err := v.Err(); err != nil {
		return Board{}, err
	}
	br := s.repo
	out := Board{StoreID: storeID, Date: date, Unassigned: []BoardOrder{}, AtRisk: []BoardOrder{}}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.orders.DispatchSettings(ctx, storeID); err != nil { // the caller's store scope
			return err
		}
		os, err := br.BoardOrders(ctx, storeID, day, day.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		now := s.clock.Now()
		for _, o := range os {
			if o.Status == string(booking.Confirmed) {
				out.Unassigned = append(out.Unassigned, o)
			}
			soon := o.Start.After(now) && o.Start.Sub(now) <= AtRiskWindow
			flagged := o.Flag != "" && o.Status == string(booking.Confirmed)
			if flagged || ((o.Status == string(booking.Confirmed) || o.Status == string(booking.Assigned)) && soon) {
				out.AtRisk = append(out.AtRisk, o)
			}
		}
		out.Staff, err = br.StoreLoad(ctx, storeID, day, day.AddDate(0, 0, 1))
		return err
	})
	return out, err
}
