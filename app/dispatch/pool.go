package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"doorstep/app/booking"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/jobs"
)

// Offer opens the order pool: offers to the top N candidates (the store's pool size), each
// expiring after the tenant's accept timeout.
func (s *Service) Offer(ctx context.Context, orderID uuid.UUID) ([]Offer, error) {
	var out []Offer
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.openOrder(ctx, orderID)
		if err != nil {
			return err
		}
		out, err = s.offer(system(ctx), o)
		return err
	})
	return out, err
}

func (s *Service) offer(ctx context.Context, o booking.Order) ([]Offer, error) {
	now := s.clock.Now()
	if n, err := s.repo.OpenOffers(ctx, o.ID, now); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, ErrOffersOpen
	}
	ds, err := s.orders.DispatchSettings(ctx, o.StoreID)
	if err != nil {
		return nil, err
	}
	set, err := s.orders.Settings(ctx)
	if err != nil {
		return nil, err
	}
	ex, err := s.repo.Excluded(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	offered, err := s.repo.Offered(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	for id := range offered {
		ex[id] = true // each round goes to staff not offered before
	}
	round, err := s.repo.LastRound(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	round++
	cands, err := s.rank(ctx, o, ex)
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		return nil, ErrNoCandidates
	}
	size := max(ds.PoolSize, 1)
	if len(cands) > size {
		cands = cands[:size]
	}
	exp := now.Add(time.Duration(set.AcceptTimeoutMinutes) * time.Minute)
	out := make([]Offer, len(cands))
	for i, c := range cands {
		out[i] = Offer{ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, StaffID: c.StaffID, Kind: KindPool, Status: OfferOffered,
			Score: c.Score, Rank: i + 1, Round: round, ExpiresAt: exp, CreatedAt: now}
	}
	if err := s.repo.InsertOffers(ctx, out); err != nil {
		return nil, err
	}
	for _, off := range out {
		if err := s.orders.TellOffer(ctx, o, off.StaffID, set.AcceptTimeoutMinutes); err != nil {
			return nil, err
		}
	}
	if err := s.repo.Unflag(ctx, o.ID); err != nil {
		return nil, err
	}
	if s.outbox != nil {
		if _, err := s.outbox.Add(ctx, &PoolRoundPayload{OrderID: o.ID, Round: round}, jobs.ProcessAt(exp)); err != nil {
			return nil, fmt.Errorf("dispatch: schedule pool round expiry: %w", err)
		}
	}
	return out, nil
}

// mine returns one of the calling staff member's pool offers; anyone else's is not found.
func (s *Service) mine(ctx context.Context, offerID uuid.UUID) (Offer, uuid.UUID, error) {
	me, err := s.self.MyStaffID(ctx)
	if err != nil {
		return Offer{}, uuid.Nil, err
	}
	off, err := s.repo.GetOffer(ctx, offerID)
	if errs.KindOf(err) == errs.NotFound || (err == nil && (off.StaffID != me || off.Kind != KindPool)) {
		return Offer{}, uuid.Nil, ErrOfferNotFound
	}
	return off, me, err
}

// TakeOffer is a staff member taking one of their pool offers: the first wins the order
// (assigned to them and accepted, in one transaction); everyone later gets 409 offer_taken.
// Takers queue on the order's row lock, and the unique index on accepted offers backs it up.
func (s *Service) TakeOffer(ctx context.Context, offerID uuid.UUID) (Offer, booking.Order, error) {
	var off Offer
	var o booking.Order
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		var me uuid.UUID
		if off, me, err = s.mine(ctx, offerID); err != nil {
			return err
		}
		if err := s.repo.LockOrder(ctx, off.OrderID); err != nil {
			return err
		}
		now := s.clock.Now()
		ok, err := s.repo.TakeOffer(ctx, off.ID, now)
		if dbx.IsConstraint(err, "dispatch_offers_one_accepted") {
			return ErrOfferTaken
		}
		if err != nil {
			return err
		}
		if !ok {
			if off, err = s.repo.GetOffer(ctx, offerID); err != nil {
				return err
			}
			return closedErr(off, now)
		}
		sys := system(ctx)
		if _, err := s.orders.Assign(sys, off.OrderID, me); err != nil {
			if booking.IsIllegal(err) {
				return ErrOfferTaken // assigned some other way meanwhile
			}
			return err
		}
		if o, err = s.orders.Accept(sys, off.OrderID); err != nil {
			return err
		}
		if err := s.repo.CloseOthers(ctx, off.OrderID, off.ID, now); err != nil {
			return err
		}
		off.Status, off.DecidedAt = OfferAccepted, &now
		return nil
	})
	return off, o, err
}

func closedErr(off Offer, now time.Time) error {
	switch {
	case off.Status == OfferOffered && !off.ExpiresAt.After(now), off.Status == OfferExpired:
		return ErrOfferExpired
	case off.Status == OfferDeclined:
		return ErrOfferClosed
	}
	return ErrOfferTaken
}

// DeclineOffer is a staff member turning down one of their open pool offers.
func (s *Service) DeclineOffer(ctx context.Context, offerID uuid.UUID) (Offer, error) {
	var off Offer
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if off, _, err = s.mine(ctx, offerID); err != nil {
			return err
		}
		now := s.clock.Now()
		if off.Status == OfferOffered && off.ExpiresAt.After(now) {
			ok, err := s.repo.SetStatus(ctx, off.ID, OfferOffered, OfferDeclined, now)
			if err != nil {
				return err
			}
			if ok {
				off.Status, off.DecidedAt = OfferDeclined, &now
				return s.roundOverIfNoneOpen(ctx, off, now)
			}
			if off, err = s.repo.GetOffer(ctx, offerID); err != nil {
				return err
			}
		}
		return closedErr(off, now)
	})
	return off, err
}

// roundOverIfNoneOpen ends a pool round early when its last open offer was declined: the
// round's expiry task is enqueued now, so the next round goes out at once.
func (s *Service) roundOverIfNoneOpen(ctx context.Context, off Offer, now time.Time) error {
	n, err := s.repo.OpenOffers(ctx, off.OrderID, now)
	if err != nil || n > 0 || s.outbox == nil {
		return err
	}
	_, err = s.outbox.Add(ctx, &PoolRoundPayload{OrderID: off.OrderID, Round: max(off.Round, 1)})
	return err
}

// MyOffers lists the calling staff member's pool offers of the last day, newest first, with
// their status (taken: someone else won the order).
func (s *Service) MyOffers(ctx context.Context) ([]Offer, error) {
	var out []Offer
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		me, err := s.self.MyStaffID(ctx)
		if err != nil {
			return err
		}
		out, err = s.repo.StaffOffers(ctx, me, s.clock.Now().Add(-24*time.Hour))
		return err
	})
	return out, err
}

// PoolRoundOver handles TypePoolRound: when a pool round ends (its offers expired, or the
// last open one was declined) and the order still waits, the round's open offers expire and
// the next pool_size staff not yet offered get it, until the store's pool_rounds have gone
// by; then, or when nobody is left, the order is flagged at risk. A stale task (a later
// round exists, the order was taken) does nothing.
func (s *Service) PoolRoundOver(ctx context.Context, p PoolRoundPayload) error {
	ctx = system(ctx)
	return s.db.InTx(ctx, func(ctx context.Context) error {
		d, ok, err := s.taskOrder(ctx, p.OrderID, waitsForStaff)
		if !ok {
			return err
		}
		last, err := s.repo.LastRound(ctx, p.OrderID)
		if err != nil || last != p.Round {
			return err
		}
		now := s.clock.Now()
		if _, err := s.repo.ExpireRound(ctx, p.OrderID, p.Round, now); err != nil {
			return err
		}
		ds, err := s.orders.DispatchSettings(ctx, d.StoreID)
		if err != nil {
			return err
		}
		rounds := ds.PoolRounds
		if rounds <= 0 {
			rounds = booking.DefaultPoolRounds
		}
		if p.Round >= rounds {
			return s.repo.Flag(ctx, p.OrderID, FlagPoolExhausted, p.Round, now)
		}
		_, err = s.offer(ctx, d.Order)
		switch {
		case errors.Is(err, ErrOffersOpen):
			return nil
		case errors.Is(err, ErrNoCandidates):
			return s.repo.Flag(ctx, p.OrderID, FlagNoCandidates, p.Round, now)
		}
		return err
	})
}
