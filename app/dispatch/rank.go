package dispatch

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/booking"
	"doorstep/app/staff"
	"doorstep/tenant"
)

// MaxCandidates is how many eligible staff ranking looks at.
const MaxCandidates = 50

// Candidates ranks the staff who can serve the order, best first, with the reasons.
func (s *Service) Candidates(ctx context.Context, orderID uuid.UUID) ([]Candidate, error) {
	var out []Candidate
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		d, err := s.orders.Get(ctx, orderID)
		if err != nil {
			return err
		}
		out, err = s.rank(ctx, d.Order, nil)
		return err
	})
	return out, err
}

// rank lists eligible staff for o who are free for its window, minus exclude, best first.
func (s *Service) rank(ctx context.Context, o booking.Order, exclude map[uuid.UUID]bool) ([]Candidate, error) {
	set, err := s.orders.Settings(ctx)
	if err != nil {
		return nil, err
	}
	el, err := s.roster.Eligible(ctx, staff.EligibleQuery{ServiceID: o.ServiceID, At: o.Location, Start: o.Start, End: o.End, Limit: MaxCandidates})
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(el))
	for _, c := range el {
		if !exclude[c.StaffID] {
			ids = append(ids, c.StaffID)
		}
	}
	if len(ids) == 0 {
		return []Candidate{}, nil
	}
	busy, err := s.repo.Busy(ctx, ids, o.Start.Add(-time.Duration(set.BufferMinutes)*time.Minute), o.End, o.ID)
	if err != nil {
		return nil, err
	}
	loc, err := s.zone(ctx, o.StoreID)
	if err != nil {
		return nil, err
	}
	ls := o.Start.In(loc)
	dayStart := time.Date(ls.Year(), ls.Month(), ls.Day(), 0, 0, 0, 0, loc)
	load, err := s.repo.Workload(ctx, ids, dayStart, dayStart.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	prev, err := s.repo.Previous(ctx, o.CustomerID, ids, o.ID)
	if err != nil {
		return nil, err
	}
	required, err := s.repo.RequiredRank(ctx, o.ServiceID)
	if err != nil {
		return nil, err
	}
	ratings := map[uuid.UUID]float64{}
	if s.ratings != nil {
		if ratings, err = s.ratings.Of(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make([]Candidate, 0, len(ids))
	for _, c := range el {
		if exclude[c.StaffID] || busy[c.StaffID] {
			continue
		}
		r, ok := ratings[c.StaffID]
		if !ok || r <= 0 {
			r = NeutralRating
		}
		cand := Candidate{StaffID: c.StaffID, UserID: c.UserID, StoreID: c.StoreID, DisplayName: c.DisplayName, BadgeNo: c.BadgeNo,
			DistanceM: c.DistanceM, LevelRank: c.LevelRank, Rating: r, Workload: load[c.StaffID],
			Preferred: o.PreferredStaffID != uuid.Nil && o.PreferredStaffID == c.StaffID, Previous: prev[c.StaffID]}
		cand.Score, cand.Reasons = Score(ScoreInput{DistanceM: c.DistanceM, LevelRank: c.LevelRank, RequiredRank: required, Rating: r,
			Workload: cand.Workload, Preferred: cand.Preferred, Previous: cand.Previous})
		out = append(out, cand)
	}
	Sort(out)
	return out, nil
}

// zone is the time zone "today's workload" counts in: the store's, else the tenant's (which
// requests and jobs alike carry in their context).
func (s *Service) zone(ctx context.Context, storeID uuid.UUID) (*time.Location, error) {
	name, err := s.repo.StoreZone(ctx, storeID)
	if err != nil {
		return nil, err
	}
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, nil
		}
	}
	t, ok := tenant.FromContext(ctx)
	if !ok {
		return nil, errors.New("dispatch: no tenant in the context")
	}
	return t.Location(), nil
}

// Sort orders candidates best first: score, then distance, then id (deterministic).
func Sort(cs []Candidate) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.DistanceM != b.DistanceM {
			return a.DistanceM < b.DistanceM
		}
		return strings.Compare(a.StaffID.String(), b.StaffID.String()) < 0
	})
}
