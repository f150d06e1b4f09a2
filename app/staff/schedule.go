package staff

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
)

// NewException is leave or an extra shift.
type NewException struct {
	Kind       string
	Start, End time.Time
	Note       string
}

const maxException = 92 * 24 * time.Hour

func validateException(e NewException, v *errs.Validation) {
	v.Check(e.Kind == ExceptionLeave || e.Kind == ExceptionExtra, "kind", "leave or extra")
	v.Check(!e.Start.IsZero() && !e.End.IsZero() && e.Start.Before(e.End), "end", "start must be before end")
	v.Check(e.End.Sub(e.Start) <= maxException, "end", "at most 92 days")
	v.Check(len([]rune(e.Note)) <= 500, "note", "at most 500 characters")
}

// AddException records leave or an extra shift for a staff member in the caller's scope.
func (s *Service) AddException(ctx context.Context, staffID uuid.UUID, n NewException) (Exception, error) {
	var out Exception
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		st, err := s.visibleStaff(ctx, staffID)
		if err != nil {
			return err
		}
		out, err = s.addException(ctx, st, n)
		return err
	})
	return out, err
}

func (s *Service) addException(ctx context.Context, st Staff, n NewException) (Exception, error) {
	var v errs.Validation
	validateException(n, &v)
	if err := v.Err(); err != nil {
		return Exception{}, err
	}
	e := Exception{ID: uuid.Must(uuid.NewV7()), StaffID: st.ID, Kind: n.Kind, Start: n.Start, End: n.End,
		Note: strings.TrimSpace(n.Note), CreatedAt: s.clock.Now()}
	if p, ok := auth.FromContext(ctx); ok {
		e.CreatedBy = p.SubjectID
	}
	if err := s.repo.AddException(ctx, e); err != nil {
		return Exception{}, err
	}
	return e, s.audit.Record(ctx, "staff_exception.create", "staff", st.ID.String(), nil, e)
}

// ListExceptions lists a staff member's exceptions overlapping [from, to).
func (s *Service) ListExceptions(ctx context.Context, staffID uuid.UUID, from, to time.Time) ([]Exception, error) {
	var out []Exception
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.visibleStaff(ctx, staffID)
		if err != nil {
			return err
		}
		out, err = s.repo.ListExceptions(ctx, staffID, from, to)
		return err
	})
	return out, err
}

// DeleteException removes an exception of a staff member in the caller's scope.
func (s *Service) DeleteException(ctx context.Context, staffID, id uuid.UUID) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.visibleStaff(ctx, staffID)
		if err != nil {
			return err
		}
		e, err := s.repo.DeleteException(ctx, staffID, id)
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "staff_exception.delete", "staff", staffID.String(), e, nil)
	})
}

func validatePoint(p geo.Point, v *errs.Validation) {
	v.Check(p.Lng >= -180 && p.Lng <= 180 && p.Lat >= -90 && p.Lat <= 90, "location", "longitude -180..180, latitude -90..90")
}
