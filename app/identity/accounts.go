package identity

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/app/kit/phone"
	"doorstep/tenant"
)

// ---- tokens ----

// CreateToken issues a named API token for the caller.
func (s *Service) CreateToken(ctx context.Context, p *auth.Principal, name string, ttl time.Duration) (string, time.Time, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", time.Time{}, errs.InvalidFields(errs.Field("name", "1 to 100 characters"))
	}
	if ttl <= 0 || ttl > s.cfg.APITokenTTL {
		ttl = s.cfg.APITokenTTL
	}
	var raw string
	var exp time.Time
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		raw, exp, err = s.issue(ctx, p.Kind, p.SubjectID, name, ttl)
		return err
	})
	return raw, exp, err
}

// ListTokens lists the caller's own tokens.
func (s *Service) ListTokens(ctx context.Context, p *auth.Principal) ([]Token, error) {
	var out []Token
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.ListTokens(ctx, p.Kind, p.SubjectID)
		return err
	})
	return out, err
}

// RevokeToken revokes one of the caller's own tokens.
func (s *Service) RevokeToken(ctx context.Context, p *auth.Principal, id uuid.UUID) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		return s.repo.RevokeToken(ctx, p.Kind, p.SubjectID, id, s.clock.Now())
	})
}

// ---- users ----

// NewUser is the input for creating a staff-side account.
type NewUser struct {
	Email        string
	Phone        string
	Password     string
	DisplayName  string
	FranchiseeID uuid.UUID
	StoreID      uuid.UUID
	Locale       string
	Roles        []string
}

// RoleAssigner assigns roles inside the current transaction (rbac provides it).
type RoleAssigner interface {
	AssignRoles(ctx context.Context, subject string, roles []string) error
}

func (s *Service) validateUser(ctx context.Context, u *User, password string, creating bool, v *errs.Validation) {
	region := "CN"
	if t, ok := tenant.FromContext(ctx); ok {
		region = t.PhoneRegion
	}
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if u.Email != "" {
		v.Check(len(u.Email) <= 254 && strings.Count(u.Email, "@") == 1 && !strings.HasPrefix(u.Email, "@") && !strings.HasSuffix(u.Email, "@"), "email", "must be an e-mail address")
	}
	if u.Phone != "" {
		p, err := phone.Normalize(u.Phone, region)
		v.Check(err == nil, "phone", "not a valid phone number")
		u.Phone = p
	}
	if creating {
		v.Check(u.Email != "" || u.Phone != "", "email", "an e-mail or a phone is required")
	}
	if creating || password != "" {
		v.Check(len(password) >= 10 && len(password) <= 200, "password", "10 to 200 characters")
	}
	v.Check(len(u.DisplayName) <= 100, "display_name", "at most 100 characters")
	v.Check(u.Locale == "" || u.Locale == "zh-CN" || u.Locale == "en", "locale", "zh-CN or en")
	v.Check(u.Status == "active" || u.Status == "disabled", "status", "active or disabled")
}

// checkPlacement applies the caller's scope to where an account is placed.
func (s *Service) checkPlacement(ctx context.Context, storeID, franchiseeID uuid.UUID) error {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Scope == auth.ScopeTenant {
		return nil
	}
	switch p.Scope {
	case auth.ScopeFranchisee:
		if franchiseeID != uuid.Nil && franchiseeID != p.FranchiseeID {
			return errs.New(errs.Forbidden, "out_of_scope", "this is outside your part of the organisation")
		}
		if storeID != uuid.Nil && s.stores != nil {
			fr, err := s.stores.FranchiseeOf(ctx, storeID)
			if err != nil || fr != p.FranchiseeID {
				return errs.New(errs.Forbidden, "out_of_scope", "this is outside your part of the organisation")
			}
		}
		if storeID == uuid.Nil && franchiseeID == uuid.Nil {
			return errs.New(errs.Forbidden, "out_of_scope", "place the account in your franchisee or one of its stores")
		}
	default:
		if storeID != p.StoreID || p.StoreID == uuid.Nil || (franchiseeID != uuid.Nil && franchiseeID != p.FranchiseeID) {
			return errs.New(errs.Forbidden, "out_of_scope", "this is outside your store")
		}
	}
	return nil
}

// CreateUser adds a staff-side account and assigns its roles, all or nothing.
func (s *Service) CreateUser(ctx context.Context, n NewUser, roles RoleAssigner) (User, error) {
	now := s.clock.Now()
	u := User{ID: uuid.Must(uuid.NewV7()), Email: n.Email, Phone: n.Phone, DisplayName: strings.TrimSpace(n.DisplayName),
		Status: "active", FranchiseeID: n.FranchiseeID, StoreID: n.StoreID, Locale: n.Locale, CreatedAt: now, UpdatedAt: now}
	var v errs.Validation
	s.validateUser(ctx, &u, n.Password, true, &v)
	if err := v.Err(); err != nil {
		return User{}, err
	}
	if err := s.checkPlacement(ctx, u.StoreID, u.FranchiseeID); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return User{}, err
	}
	u.PasswordHash = hash
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.repo.CreateUser(ctx, u); err != nil {
			return err
		}
		if len(n.Roles) > 0 && roles != nil {
			if err := roles.AssignRoles(ctx, "user:"+u.ID.String(), n.Roles); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, "user.create", "user", u.ID.String(), nil, userAudit(u, n.Roles))
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

func userAudit(u User, roles []string) map[string]any {
	return map[string]any{"email": u.Email, "phone": phone.Mask(u.Phone), "display_name": u.DisplayName,
		"status": u.Status, "store_id": u.StoreID, "franchisee_id": u.FranchiseeID, "roles": roles}
}

// inScope reports whether the caller may see account u.
func (s *Service) inScope(ctx context.Context, u User) bool {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Scope == auth.ScopeTenant {
		return true
	}
	if p.Kind == auth.User && p.SubjectID == u.ID {
		return true
	}
	switch p.Scope {
	case auth.ScopeFranchisee:
		if u.FranchiseeID == p.FranchiseeID && p.FranchiseeID != uuid.Nil {
			return true
		}
		if u.StoreID != uuid.Nil && s.stores != nil {
			fr, err := s.stores.FranchiseeOf(ctx, u.StoreID)
			return err == nil && fr == p.FranchiseeID && fr != uuid.Nil
		}
		return false
	case auth.ScopeStore:
		return p.StoreID != uuid.Nil && u.StoreID == p.StoreID
	}
	return false
}

// GetUser returns an account in the caller's scope.
func (s *Service) GetUser(ctx context.Context, id uuid.UUID) (User, error) {
	var u User
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if u, err = s.repo.GetUser(ctx, id); err != nil {
			return err
		}
		if !s.inScope(ctx, u) {
			return ErrUserNotFound
		}
		return nil
	})
	return u, err
}

// ListUsers lists accounts in the caller's scope.
func (s *Service) ListUsers(ctx context.Context, f UserFilter, pg page.Request) (page.Result[User], error) {
	if p, ok := auth.FromContext(ctx); ok {
		switch p.Scope {
		case auth.ScopeFranchisee:
			f.FranchiseeID = p.FranchiseeID
		case auth.ScopeStore, auth.ScopeSelf:
			f.StoreID, f.FranchiseeID = p.StoreID, uuid.Nil
			if p.StoreID == uuid.Nil {
				return page.Result[User]{}, nil
			}
		}
	}
	var out page.Result[User]
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.ListUsers(ctx, f, pg.Normalize())
		return err
	})
	return out, err
}

// UserUpdate is a partial update of an account.
type UserUpdate struct {
	Email, Phone, DisplayName, Status, Locale, Password *string
	StoreID, FranchiseeID                               *uuid.UUID
}

// UpdateUser changes an account in the caller's scope.
func (s *Service) UpdateUser(ctx context.Context, id uuid.UUID, in UserUpdate) (User, error) {
	var out User
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var before User
		var err error
		out, err = s.repo.UpdateUser(ctx, id, func(u *User) error {
			if !s.inScope(ctx, *u) {
				return ErrUserNotFound
			}
			before = *u
			setp(&u.Email, in.Email)
			setp(&u.Phone, in.Phone)
			setp(&u.DisplayName, in.DisplayName)
			setp(&u.Status, in.Status)
			setp(&u.Locale, in.Locale)
			setp(&u.StoreID, in.StoreID)
			setp(&u.FranchiseeID, in.FranchiseeID)
			pw := ""
			if in.Password != nil {
				pw = *in.Password
			}
			var v errs.Validation
			s.validateUser(ctx, u, pw, false, &v)
			if err := v.Err(); err != nil {
				return err
			}
			if in.StoreID != nil || in.FranchiseeID != nil {
				if err := s.checkPlacement(ctx, u.StoreID, u.FranchiseeID); err != nil {
					return err
				}
			}
			if pw != "" {
				h, err := HashPassword(pw)
				if err != nil {
					return err
				}
				u.PasswordHash = h
			}
			u.UpdatedAt = s.clock.Now()
			return nil
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "user.update", "user", id.String(), userAudit(before, nil), userAudit(out, nil))
	})
	return out, err
}

// ---- customers ----

// ListCustomers lists the tenant's customers.
func (s *Service) ListCustomers(ctx context.Context, q string, pg page.Request) (page.Result[Customer], error) {
	var out page.Result[Customer]
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.ListCustomers(ctx, q, pg.Normalize())
		return err
	})
	return out, err
}

// GetCustomer returns a customer; a customer may only read themselves.
func (s *Service) GetCustomer(ctx context.Context, id uuid.UUID) (Customer, error) {
	if p, ok := auth.FromContext(ctx); ok && p.Kind == auth.Customer && p.SubjectID != id {
		return Customer{}, ErrCustomerMissing
	}
	var c Customer
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		c, err = s.repo.GetCustomer(ctx, id)
		return err
	})
	return c, err
}

// RevealCustomerPhone returns a customer's full phone number and records who read it.
func (s *Service) RevealCustomerPhone(ctx context.Context, id uuid.UUID) (string, error) {
	var ph string
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		c, err := s.repo.GetCustomer(ctx, id)
		if err != nil {
			return err
		}
		ph = c.Phone
		return s.audit.Record(ctx, "customer.phone.read", "customer", id.String(), nil, nil)
	})
	return ph, err
}

// CanSeePhones reports whether the caller may see unmasked phone numbers of this kind.
func (s *Service) CanSeePhones(ctx context.Context, permission string) bool {
	return s.roles.Can(ctx, permission)
}

func setp[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
