package staff

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
)

// Self-service: a staff member keeps their own profile (permission staff:self). Every method
// acts on the caller's own profile only, found through their user account.

func (s *Service) mine(ctx context.Context) (Staff, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind != auth.User {
		return Staff{}, ErrNoProfile
	}
	st, err := s.repo.GetByUser(ctx, p.SubjectID)
	if errs.KindOf(err) == errs.NotFound {
		return Staff{}, ErrNoProfile
	}
	return st, err
}

// Me returns the caller's own profile.
func (s *Service) Me(ctx context.Context) (Staff, error) {
	var out Staff
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.mine(ctx)
		return err
	})
	return out, err
}

// MyCertificates lists the caller's own certificates.
func (s *Service) MyCertificates(ctx context.Context) ([]Certificate, error) {
	var out []Certificate
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		st, err := s.mine(ctx)
		if err != nil {
			return err
		}
		out, err = s.repo.ListCertificates(ctx, st.ID)
		return err
	})
	return out, err
}

// AddMyCertificate uploads a certificate of the caller's own; it waits for review.
func (s *Service) AddMyCertificate(ctx context.Context, n NewCertificate) (Certificate, error) {
	var out Certificate
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		st, err := s.mine(ctx)
		if err != nil {
			return err
		}
		out, err = s.addCertificate(ctx, st, n)
		return err
	})
	return out, err
}

// throttleLocation spends one of the staff member's location updates (redis_rate, GCRA, per
// tenant and staff member); none left is a 429 location_rate_limited with Retry-After.
func (s *Service) throttleLocation(ctx context.Context, st Staff) error {
	if s.lim == nil {
		return nil
	}
	tn, _ := dbx.TenantID(ctx)
	res, err := s.lim.Allow(ctx, "doorstep:rl:staff-location:"+tn.String()+":"+st.ID.String(), s.locLim)
	if err != nil {
		return errs.Wrap(err, errs.Unavailable, "rate_limiter_unavailable", "try again shortly")
	}
	if res.Allowed == 0 {
		return &errs.Error{Kind: errs.RateLimited, Code: ErrLocationRateLimited.Code,
			Detail: ErrLocationRateLimited.Detail, RetryAfter: res.RetryAfter}
	}
	return nil
}

// SetMyLocation records where the caller is now (it feeds dispatch distances and the
// customer's ETA), at most the location limit's rate per staff member.
func (s *Service) SetMyLocation(ctx context.Context, at geo.Point) (Staff, error) {
	var v errs.Validation
	validatePoint(at, &v)
	if err := v.Err(); err != nil {
		return Staff{}, err
	}
	var out Staff
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		st, err := s.mine(ctx)
		if err != nil {
			return err
		}
		if err := s.throttleLocation(ctx, st); err != nil {
			return err
		}
		if err := s.repo.SetLocation(ctx, st.ID, at, s.clock.Now()); err != nil {
			return err
		}
		out, err = s.repo.Get(ctx, st.ID)
		return err
	})
	return out, err
}

// RequestLeave records leave for the caller. Staff may only take leave themselves; extra
// shifts are arranged by their store.
func (s *Service) RequestLeave(ctx context.Context, start, end time.Time, note string) (Exception, error) {
	var out Exception
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		st, err := s.mine(ctx)
		if err != nil {
			return err
		}
		out, err = s.addException(ctx, st, NewException{Kind: ExceptionLeave, Start: start, End: end, Note: note})
		return err
	})
	return out, err
}

// MyExceptions lists the caller's exceptions overlapping [from, to).
func (s *Service) MyExceptions(ctx context.Context, from, to time.Time) ([]Exception, error) {
	var out []Exception
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		st, err := s.mine(ctx)
		if err != nil {
			return err
		}
		out, err = s.repo.ListExceptions(ctx, st.ID, from, to)
		return err
	})
	return out, err
}

// SetLocation records a staff member's location on their behalf (dispatch tools, tests).
func (s *Service) SetLocation(ctx context.Context, staffID uuid.UUID, at geo.Point, when time.Time) error {
	var v errs.Validation
	validatePoint(at, &v)
	if err := v.Err(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.visibleStaff(ctx, staffID)
		if err != nil {
			return err
		}
		return s.repo.SetLocation(ctx, staffID, at, when)
	})
}
