package staff

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
)

// Staff levels and certificate types are HQ settings: anyone with staff:read may list them,
// only tenant-scope callers with staff:write may change them.

// ListLevels returns the tenant's levels, most junior first.
func (s *Service) ListLevels(ctx context.Context) ([]Level, error) {
	var out []Level
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.ListLevels(ctx)
		return err
	})
	return out, err
}

// CreateLevel adds a level.
func (s *Service) CreateLevel(ctx context.Context, l Level) (Level, error) {
	if err := requireTenantScope(ctx); err != nil {
		return Level{}, err
	}
	now := s.clock.Now()
	l.ID, l.CreatedAt, l.UpdatedAt = uuid.Must(uuid.NewV7()), now, now
	l.NameZh, l.NameEn = strings.TrimSpace(l.NameZh), strings.TrimSpace(l.NameEn)
	var v errs.Validation
	validateLevel(l, &v)
	if err := v.Err(); err != nil {
		return Level{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.repo.CreateLevel(ctx, l); err != nil {
			return err
		}
		return s.audit.Record(ctx, "staff_level.create", "staff_level", l.ID.String(), nil, l)
	})
	return l, err
}

// LevelUpdate is a partial update of a level.
type LevelUpdate struct {
	Code, NameZh, NameEn *string
	Rank                 *int
}

// UpdateLevel changes a level.
func (s *Service) UpdateLevel(ctx context.Context, id uuid.UUID, u LevelUpdate) (Level, error) {
	if err := requireTenantScope(ctx); err != nil {
		return Level{}, err
	}
	var out Level
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var before Level
		var err error
		out, err = s.repo.UpdateLevel(ctx, id, func(l *Level) error {
			before = *l
			set(&l.Code, u.Code)
			set(&l.NameZh, u.NameZh)
			set(&l.NameEn, u.NameEn)
			set(&l.Rank, u.Rank)
			l.UpdatedAt = s.clock.Now()
			var v errs.Validation
			validateLevel(*l, &v)
			return v.Err()
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "staff_level.update", "staff_level", id.String(), before, out)
	})
	return out, err
}

// DeleteLevel removes a level nothing references.
func (s *Service) DeleteLevel(ctx context.Context, id uuid.UUID) error {
	if err := requireTenantScope(ctx); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		l, err := s.repo.GetLevel(ctx, id)
		if err != nil {
			return err
		}
		if err := s.repo.DeleteLevel(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, "staff_level.delete", "staff_level", id.String(), l, nil)
	})
}

// ListCertTypes returns the tenant's certificate types.
func (s *Service) ListCertTypes(ctx context.Context) ([]CertType, error) {
	var out []CertType
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.ListCertTypes(ctx)
		return err
	})
	return out, err
}

// CreateCertType adds a certificate type.
func (s *Service) CreateCertType(ctx context.Context, c CertType) (CertType, error) {
	if err := requireTenantScope(ctx); err != nil {
		return CertType{}, err
	}
	c.CreatedAt = s.clock.Now()
	c.NameZh, c.NameEn = strings.TrimSpace(c.NameZh), strings.TrimSpace(c.NameEn)
	var v errs.Validation
	validateCertType(c, &v)
	if err := v.Err(); err != nil {
		return CertType{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.repo.CreateCertType(ctx, c); err != nil {
			return err
		}
		return s.audit.Record(ctx, "certificate_type.create", "certificate_type", c.Code, nil, c)
	})
	return c, err
}

// CertTypeUpdate is a partial update; the code is the key and cannot change.
type CertTypeUpdate struct {
	NameZh, NameEn *string
	Mandatory      *bool
}

// UpdateCertType changes a certificate type. Making a type mandatory makes everybody without
// an approved certificate of that type ineligible at once.
func (s *Service) UpdateCertType(ctx context.Context, code string, u CertTypeUpdate) (CertType, error) {
	if err := requireTenantScope(ctx); err != nil {
		return CertType{}, err
	}
	var out CertType
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var before CertType
		var err error
		out, err = s.repo.UpdateCertType(ctx, code, func(c *CertType) error {
			before = *c
			set(&c.NameZh, u.NameZh)
			set(&c.NameEn, u.NameEn)
			set(&c.Mandatory, u.Mandatory)
			var v errs.Validation
			validateCertType(*c, &v)
			return v.Err()
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "certificate_type.update", "certificate_type", code, before, out)
	})
	return out, err
}

// DeleteCertType removes a type no certificate or service uses.
func (s *Service) DeleteCertType(ctx context.Context, code string) error {
	if err := requireTenantScope(ctx); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.repo.DeleteCertType(ctx, code); err != nil {
			return err
		}
		return s.audit.Record(ctx, "certificate_type.delete", "certificate_type", code, map[string]string{"code": code}, nil)
	})
}
