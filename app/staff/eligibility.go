package staff

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
)

// EligibleQuery asks who can serve a service at an address during [Start, End).
type EligibleQuery struct {
	ServiceID uuid.UUID
	At        geo.Point
	Start     time.Time
	End       time.Time
	StoreID   uuid.UUID // optional: only staff of this home store
	Limit     int       // 0: 50; at most 500

	// Set by the service from the caller's data scope.
	OnlyStore  uuid.UUID
	OnlyFranch uuid.UUID
}

// Candidate is an eligible staff member with the distance dispatch ranks by.
type Candidate struct {
	StaffID     uuid.UUID
	UserID      uuid.UUID
	StoreID     uuid.UUID
	LevelID     uuid.UUID
	LevelRank   int
	BadgeNo     string
	DisplayName string
	// DistanceM is metres from the last known location, else home, else the home store, to
	// the address; DistanceFrom says which ("last_location", "home", "store"; "" and -1 when
	// none is known).
	DistanceM    float64
	DistanceFrom string
	LocatedAt    *time.Time
}

// Limits of an eligibility query.
const (
	DefaultEligibleLimit = 50
	MaxEligibleLimit     = 500
	maxEligibleSpan      = 24 * time.Hour
)

// Eligible returns the staff who can serve q.ServiceID at q.At during [q.Start, q.End),
// nearest first: status active; a skill naming the service or its category or an ancestor
// category; a level at least the service's minimum; an approved certificate, unexpired on the
// interval's last day, of every type the service requires and every mandatory type; a
// service area covering the address; the interval inside one weekly working range (in the
// home store's time zone) or an extra shift; no leave overlapping it.
//
// Data scope applies: store staff see their store's candidates, franchisee owners their
// stores'. Calls without a principal (booking, dispatch, jobs) see the whole tenant.
func (s *Service) Eligible(ctx context.Context, q EligibleQuery) ([]Candidate, error) {
	var v errs.Validation
	v.Check(q.ServiceID != uuid.Nil, "service_id", "required")
	validatePoint(q.At, &v)
	v.Check(!q.Start.IsZero() && q.Start.Before(q.End), "end", "start must be before end")
	v.Check(q.End.Sub(q.Start) <= maxEligibleSpan, "end", "an interval of at most 24 hours")
	v.Check(q.Limit >= 0 && q.Limit <= MaxEligibleLimit, "limit", "0 to 500")
	if err := v.Err(); err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultEligibleLimit
	}
	sc, fr, st, _ := scope(ctx)
	q.OnlyStore, q.OnlyFranch = uuid.Nil, uuid.Nil
	switch sc {
	case auth.ScopeTenant:
	case auth.ScopeFranchisee:
		if fr == uuid.Nil {
			return []Candidate{}, nil
		}
		q.OnlyFranch = fr
	case auth.ScopeStore:
		if st == uuid.Nil {
			return []Candidate{}, nil
		}
		q.OnlyStore = st
	default:
		return nil, ErrOutOfScope
	}
	var out []Candidate
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.Eligible(ctx, q)
		return err
	})
	return out, err
}
