package booking

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/tenant"
)

// visible decides whether the caller may read o: customers their own orders; staff-side users
// with tenant, franchisee or store scope the orders of stores in it; self-scoped staff the
// orders they are (or were) assigned to.
func (s *Service) visible(ctx context.Context, o Order, asg *Assignment) bool {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind == auth.Operator {
		return true
	}
	if p.Kind == auth.Customer {
		return o.CustomerID == p.SubjectID
	}
	if p.Scope != auth.ScopeSelf && s.checkStoreScope(ctx, o.StoreID) == nil {
		return true
	}
	me, err := s.staff.Mine(ctx)
	if err != nil {
		return false
	}
	if asg != nil && asg.StaffID == me.ID {
		return true
	}
	// Past jobs: a done assignment of theirs.
	r, err := s.repo.List(ctx, Filter{OnlyStaff: me.ID, OrderID: o.ID}, page.Request{Limit: 1})
	return err == nil && len(r.Items) == 1
}

// Get returns an order with its assignment, the assigned staff member's card, extras and
// reports, if the caller may see it; the acceptance code only to its customer.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Detail, error) {
	var d Detail
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		o, err := s.repo.Get(ctx, id, false)
		if errs.KindOf(err) == errs.NotFound {
			return ErrOrderNotFound
		}
		if err != nil {
			return err
		}
		asg, err := s.repo.ActiveAssignment(ctx, id)
		if err != nil {
			return err
		}
		if !s.visible(ctx, o, asg) {
			return ErrOrderNotFound
		}
		d = Detail{Order: o, Assignment: asg}
		if asg != nil {
			if c, err := s.staff.Card(ctx, asg.StaffID); err == nil {
				d.Staff = &c
			}
		}
		if d.Extras, err = s.repo.Extras(ctx, id); err != nil {
			return err
		}
		if d.Reports, err = s.repo.Reports(ctx, id); err != nil {
			return err
		}
		return s.fillETA(ctx, &d)
	})
	if err != nil {
		return Detail{}, err
	}
	if p, ok := auth.FromContext(ctx); !ok || p.Kind != auth.Customer {
		d.AcceptanceCode = ""
	}
	return d, nil
}

// fillETA adds, while the staff member is on the way, their last position and the ETA from
// it (distance / the tenant's travel speed), as the "on the way" notification computes it.
func (s *Service) fillETA(ctx context.Context, d *Detail) error {
	if d.Status != OnTheWay || d.Assignment == nil || s.notifier == nil {
		return nil
	}
	sf, err := s.notifier.StaffFacts(ctx, d.Assignment.StaffID)
	if err != nil || sf.LastLocation == nil {
		return nil // no position: no ETA, the order still shows
	}
	set, err := s.repo.Settings(ctx)
	if err != nil {
		return err
	}
	if m, ok := etaMinutes(sf.LastLocation, d.Location, set.TravelKmh); ok {
		d.ETAMinutes, d.StaffLocation, d.StaffSeenAt = &m, sf.LastLocation, sf.LocatedAt
	}
	return nil
}

// Events returns an order's history, oldest first, if the caller may see the order.
func (s *Service) Events(ctx context.Context, id uuid.UUID) ([]Event, error) {
	var out []Event
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Get(ctx, id); err != nil {
			return err
		}
		var err error
		out, err = s.repo.Events(ctx, id)
		return err
	})
	return out, err
}

// MyOrders lists the calling customer's own orders, newest visit first.
func (s *Service) MyOrders(ctx context.Context, statuses []State, p page.Request) (page.Result[Order], error) {
	pr, ok := auth.FromContext(ctx)
	if !ok || pr.Kind != auth.Customer {
		return page.Result[Order]{Items: []Order{}}, nil
	}
	return s.list(ctx, Filter{CustomerID: pr.SubjectID, Statuses: statuses, Desc: true}, p)
}

// Job windows for MyJobs.
const (
	JobsToday    = "today"
	JobsUpcoming = "upcoming"
	JobsPast     = "past"
)

// MyJobs lists the calling staff member's jobs: today's (tenant time zone), upcoming (after
// today) or past (before today, newest first).
func (s *Service) MyJobs(ctx context.Context, when string, p page.Request) (page.Result[Order], error) {
	var out page.Result[Order]
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		me, err := s.staff.Mine(ctx)
		if err != nil {
			return ErrNoStaffProfile
		}
		loc := time.UTC
		if t, ok := tenant.FromContext(ctx); ok {
			loc = t.Location()
		}
		now := s.clock.Now().In(loc)
		dayStart := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
		dayEnd := dayStart.AddDate(0, 0, 1)
		f := Filter{OnlyStaff: me.ID}
		switch when {
		case JobsUpcoming:
			f.From = &dayEnd
		case JobsPast:
			f.To, f.Desc = &dayStart, true
		default:
			f.From, f.To = &dayStart, &dayEnd
		}
		out, err = s.repo.List(ctx, f, p.Normalize())
		return err
	})
	return out, err
}

// List lists orders in the caller's data scope with filters (store side).
func (s *Service) List(ctx context.Context, f Filter, p page.Request) (page.Result[Order], error) {
	f.OnlyStore, f.OnlyFranchisee, f.OnlyStaff = uuid.Nil, uuid.Nil, uuid.Nil
	pr, ok := auth.FromContext(ctx)
	if ok && pr.Kind == auth.Customer {
		f.CustomerID = pr.SubjectID
	}
	if ok && pr.Kind == auth.User {
		switch pr.Scope {
		case auth.ScopeTenant:
		case auth.ScopeFranchisee:
			if pr.FranchiseeID == uuid.Nil {
				return page.Result[Order]{Items: []Order{}}, nil
			}
			f.OnlyFranchisee = pr.FranchiseeID
		case auth.ScopeStore:
			if pr.StoreID == uuid.Nil {
				return page.Result[Order]{Items: []Order{}}, nil
			}
			f.OnlyStore = pr.StoreID
		default:
			var out page.Result[Order]
			err := s.db.InTx(ctx, func(ctx context.Context) error {
				me, err := s.staff.Mine(ctx)
				if err != nil {
					out = page.Result[Order]{Items: []Order{}}
					return nil
				}
				f.OnlyStaff = me.ID
				out, err = s.repo.List(ctx, f, p.Normalize())
				return err
			})
			return out, err
		}
	}
	return s.list(ctx, f, p)
}

func (s *Service) list(ctx context.Context, f Filter, p page.Request) (page.Result[Order], error) {
	var out page.Result[Order]
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.List(ctx, f, p.Normalize())
		return err
	})
	return out, err
}
