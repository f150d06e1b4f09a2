package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"doorstep/app/booking"
	"doorstep/jobs"
)

// MaxAutoAttempts bounds reassignments after accept timeouts.
const MaxAutoAttempts = 10

// autoAssign gives the locked, confirmed order to the best candidate not yet tried and
// schedules the accept timeout.
func (s *Service) autoAssign(ctx context.Context, o booking.Order, attempt int) (booking.Order, error) {
	ex, err := s.repo.Excluded(ctx, o.ID)
	if err != nil {
		return o, err
	}
	cands, err := s.rank(ctx, o, ex)
	if err != nil {
		return o, err
	}
	if len(cands) == 0 {
		return o, ErrNoCandidates
	}
	best := cands[0]
	set, err := s.orders.Settings(ctx)
	if err != nil {
		return o, err
	}
	a, err := s.orders.Assign(ctx, o.ID, best.StaffID)
	if err != nil {
		return o, err
	}
	now := s.clock.Now()
	at := now.Add(time.Duration(set.AcceptTimeoutMinutes) * time.Minute)
	if err := s.repo.InsertOffers(ctx, []Offer{{ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, StaffID: best.StaffID, Kind: KindAuto,
		Status: OfferOffered, Score: best.Score, Rank: attempt, Round: 1, ExpiresAt: at, CreatedAt: now}}); err != nil {
		return o, err
	}
	if err := s.repo.Unflag(ctx, o.ID); err != nil {
		return o, err
	}
	if s.outbox != nil {
		if _, err := s.outbox.Add(ctx, &AcceptTimeoutPayload{OrderID: o.ID, StaffID: best.StaffID, Attempt: attempt}, jobs.ProcessAt(at)); err != nil {
			return o, fmt.Errorf("dispatch: schedule accept timeout: %w", err)
		}
	}
	return a, nil
}

// AcceptTimeout handles a dispatch:accept_timeout: if the order is still assigned (not
// accepted) to that staff member under the auto offer this task timed, it is released
// ("accept timeout"), the offer expires and the next candidate not yet tried gets it. Anything
// else means it was settled: nothing to do. The open offer is what makes a second run of the
// same task (the outbox hands an unfinished task over again) a no-op even when the order has
// come back to the same staff member by hand since.
func (s *Service) AcceptTimeout(ctx context.Context, p AcceptTimeoutPayload) error {
	ctx = system(ctx)
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, ok, err := s.taskOrder(ctx, p.OrderID, func(d booking.Detail) bool {
			return d.Status == booking.Assigned && d.Assignment != nil && d.Assignment.StaffID == p.StaffID
		})
		if !ok {
			return err
		}
		if open, err := s.repo.ExpireAuto(ctx, p.OrderID, p.StaffID, s.clock.Now()); err != nil || !open {
			return err
		}
		o, err := s.orders.Unassign(ctx, p.OrderID, "accept timeout")
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if p.Attempt >= MaxAutoAttempts {
			return s.repo.Flag(ctx, p.OrderID, FlagAutoExhausted, 0, now)
		}
		_, err = s.autoAssign(ctx, o, p.Attempt+1)
		if errors.Is(err, ErrNoCandidates) {
			return s.repo.Flag(ctx, p.OrderID, FlagNoCandidates, 0, now) // left for the dispatcher, on the board
		}
		return err
	})
}

// lastStaff is who holds the order now (uuid.Nil if nobody or unknown).
func (s *Service) lastStaff(ctx context.Context, o booking.Order) uuid.UUID {
	d, err := s.orders.Get(system(ctx), o.ID)
	if err != nil || d.Assignment == nil {
		return uuid.Nil
	}
	return d.Assignment.StaffID
}
