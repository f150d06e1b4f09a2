package pricing

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
)

// Rules lists the tenant's surcharge rules.
func (s *Service) Rules(ctx context.Context) ([]Rule, error) {
	var out []Rule
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.Rules(ctx)
		return err
	})
	return out, err
}

// CreateRule adds a surcharge rule.
func (s *Service) CreateRule(ctx context.Context, r Rule) (Rule, error) {
	r.ID = uuid.Must(uuid.NewV7())
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.repo.SaveRule(ctx, r, true); err != nil {
			return err
		}
		return s.audit.Record(ctx, "pricing.rule.create", "pricing_rule", r.ID.String(), nil, r)
	})
	return r, err
}

// UpdateRule replaces a rule through fn.
func (s *Service) UpdateRule(ctx context.Context, id uuid.UUID, fn func(*Rule)) (Rule, error) {
	var out Rule
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		before, err := s.repo.GetRule(ctx, id)
		if err != nil {
			return err
		}
		out = before
		fn(&out)
		out.ID, out.Kind = before.ID, before.Kind
		if err := out.Validate(); err != nil {
			return err
		}
		if err := s.repo.SaveRule(ctx, out, false); err != nil {
			return err
		}
		return s.audit.Record(ctx, "pricing.rule.update", "pricing_rule", id.String(), before, out)
	})
	return out, err
}

// DeleteRule removes a rule.
func (s *Service) DeleteRule(ctx context.Context, id uuid.UUID) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		before, err := s.repo.GetRule(ctx, id)
		if err != nil {
			return err
		}
		if err := s.repo.DeleteRule(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, "pricing.rule.delete", "pricing_rule", id.String(), before, nil)
	})
}

// Holidays lists the holiday calendar between two dates (inclusive).
func (s *Service) Holidays(ctx context.Context, from, to time.Time) (map[string]string, error) {
	var out map[string]string
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.Holidays(ctx, from, to)
		return err
	})
	return out, err
}

// SetHoliday adds or renames a holiday.
func (s *Service) SetHoliday(ctx context.Context, day time.Time, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return errs.InvalidFields(errs.Field("name", "1 to 100 characters"))
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.repo.SetHoliday(ctx, day, name); err != nil {
			return err
		}
		return s.audit.Record(ctx, "pricing.holiday.set", "holiday", day.Format(time.DateOnly), nil, map[string]string{"name": name})
	})
}

// DeleteHoliday removes a holiday.
func (s *Service) DeleteHoliday(ctx context.Context, day time.Time) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.repo.DeleteHoliday(ctx, day); err != nil {
			return err
		}
		return s.audit.Record(ctx, "pricing.holiday.delete", "holiday", day.Format(time.DateOnly), nil, nil)
	})
}

// Travel returns the travel policy of a store (uuid.Nil: the tenant default).
func (s *Service) Travel(ctx context.Context, storeID uuid.UUID) (Travel, error) {
	var out Travel
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.Travel(ctx, storeID)
		return err
	})
	return out, err
}

// SetTravel sets the tenant default (uuid.Nil) or a store's travel policy.
func (s *Service) SetTravel(ctx context.Context, storeID uuid.UUID, t Travel) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		before, err := s.repo.Travel(ctx, storeID)
		if err != nil {
			return err
		}
		if err := s.repo.SetTravel(ctx, storeID, t); err != nil {
			return err
		}
		return s.audit.Record(ctx, "pricing.travel.set", "travel_policy", storeID.String(), before, t)
	})
}
