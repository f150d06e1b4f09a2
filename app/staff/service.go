package staff

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
	"doorstep/app/kit/phone"
	"doorstep/jobs"
	"doorstep/tenant"
)

// Auditor records changes.
type Auditor interface {
	Record(ctx context.Context, action, objectType, objectID string, before, after any) error
}

// Permissions answers whether the caller holds a permission (rbac provides it).
type Permissions interface {
	Can(ctx context.Context, perm string) bool
}

// Deps are the service's collaborators.
type Deps struct {
	DB     *dbx.DB
	Repo   Repo
	Audit  Auditor
	Outbox *jobs.Outbox
	Perms  Permissions // nil: nobody sees full phone numbers
	Clock  clock.Clock // nil: the system clock
	Log    *slog.Logger
	// Limiter throttles each staff member's location updates (nil: unlimited, store tests);
	// LocationLimit is the budget (zero: DefaultLocationLimit).
	Limiter       *redis_rate.Limiter
	LocationLimit redis_rate.Limit
}

// DefaultLocationLimit: a staff app reporting every 5 seconds or slower is never refused.
var DefaultLocationLimit = redis_rate.Limit{Rate: 12, Burst: 12, Period: time.Minute}

// ErrLocationRateLimited is the 429 for location updates faster than the limit.
var ErrLocationRateLimited = errs.New(errs.RateLimited, "location_rate_limited", "location updates are too frequent; wait before sending the next")

// Service runs the staff roster.
type Service struct {
	db     *dbx.DB
	repo   Repo
	audit  Auditor
	outbox *jobs.Outbox
	perms  Permissions
	clock  clock.Clock
	log    *slog.Logger
	lim    *redis_rate.Limiter
	locLim redis_rate.Limit
}

// NewService wires the roster service.
func NewService(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.LocationLimit == (redis_rate.Limit{}) {
		d.LocationLimit = DefaultLocationLimit
	}
	return &Service{db: d.DB, repo: d.Repo, audit: d.Audit, outbox: d.Outbox, perms: d.Perms, clock: d.Clock, log: d.Log,
		lim: d.Limiter, locLim: d.LocationLimit}
}

// scope returns the principal's reach; calls without a principal (jobs, seeding, other
// services) have tenant scope.
func scope(ctx context.Context) (sc auth.Scope, fr, st, user uuid.UUID) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind == auth.Operator {
		return auth.ScopeTenant, uuid.Nil, uuid.Nil, uuid.Nil
	}
	return p.Scope, p.FranchiseeID, p.StoreID, p.SubjectID
}

// canSee applies the data scope to one staff member.
func canSee(ctx context.Context, s Staff) bool {
	sc, fr, st, user := scope(ctx)
	switch sc {
	case auth.ScopeTenant:
		return true
	case auth.ScopeFranchisee:
		return fr != uuid.Nil && s.FranchiseeID == fr
	case auth.ScopeStore:
		return st != uuid.Nil && s.StoreID == st
	default:
		return user != uuid.Nil && s.UserID == user
	}
}

// requireTenantScope refuses HQ settings to callers below HQ.
func requireTenantScope(ctx context.Context) error {
	if sc, _, _, _ := scope(ctx); sc != auth.ScopeTenant {
		return ErrOutOfScope
	}
	return nil
}

// checkStore refuses placing staff in a store outside the caller's scope.
func (s *Service) checkStore(ctx context.Context, storeID uuid.UUID) error {
	fr, err := s.repo.StoreFranchisee(ctx, storeID)
	if err != nil {
		return errs.InvalidFields(errs.Field("store_id", "no such store"))
	}
	sc, pfr, pst, _ := scope(ctx)
	switch sc {
	case auth.ScopeTenant:
		return nil
	case auth.ScopeFranchisee:
		if pfr != uuid.Nil && fr == pfr {
			return nil
		}
	case auth.ScopeStore:
		if pst != uuid.Nil && storeID == pst {
			return nil
		}
	}
	return ErrOutOfScope
}

// CanSeePhones reports whether the caller may see staff phone numbers unmasked.
func (s *Service) CanSeePhones(ctx context.Context) bool {
	return s.perms != nil && s.perms.Can(ctx, "staff:phone")
}

func (s *Service) phoneRegion(ctx context.Context) string {
	if t, ok := tenant.FromContext(ctx); ok && t.PhoneRegion != "" {
		return t.PhoneRegion
	}
	return "CN"
}

// NewStaff is the input for creating a profile.
type NewStaff struct {
	UserID          uuid.UUID
	StoreID         uuid.UUID
	LevelID         uuid.UUID
	BadgeNo         string
	DisplayName     string
	PhotoURL        string
	Phone           string
	YearsExperience int
	Bio             string
	Status          string // "" = onboarding
	Area            Area   // zero = the home store's territory
	Skills          []Skill
	Hours           []Hours
}

// Create adds a staff profile for an existing user account, in a store inside the caller's scope.
func (s *Service) Create(ctx context.Context, n NewStaff) (Staff, error) {
	now := s.clock.Now()
	st := Staff{ID: uuid.Must(uuid.NewV7()), UserID: n.UserID, StoreID: n.StoreID, LevelID: n.LevelID,
		BadgeNo: strings.TrimSpace(n.BadgeNo), DisplayName: strings.TrimSpace(n.DisplayName), PhotoURL: n.PhotoURL,
		YearsExperience: n.YearsExperience, Bio: n.Bio, Status: n.Status, Area: n.Area, Skills: n.Skills, Hours: n.Hours,
		CreatedAt: now, UpdatedAt: now}
	if st.Status == "" {
		st.Status = StatusOnboarding
	}
	if st.Area.Kind == "" {
		st.Area.Kind = AreaStore
	}
	if st.Skills == nil {
		st.Skills = []Skill{}
	}
	if st.Hours == nil {
		st.Hours = []Hours{}
	}
	var v errs.Validation
	v.Check(n.UserID != uuid.Nil, "user_id", "required")
	v.Check(n.StoreID != uuid.Nil, "store_id", "required")
	if n.Phone != "" {
		p, err := phone.Normalize(n.Phone, s.phoneRegion(ctx))
		v.Check(err == nil, "phone", "not a valid phone number")
		st.Phone = p
	}
	validateProfile(st, &v)
	validateSkills(st.Skills, &v)
	validateHours(st.Hours, &v)
	if err := v.Err(); err != nil {
		return Staff{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkStore(ctx, st.StoreID); err != nil {
			return err
		}
		if ok, err := s.repo.UserExists(ctx, st.UserID); err != nil {
			return err
		} else if !ok {
			return errs.InvalidFields(errs.Field("user_id", "no such user"))
		}
		if err := s.checkLevel(ctx, st.LevelID); err != nil {
			return err
		}
		if err := s.repo.Create(ctx, st); err != nil {
			return err
		}
		if err := s.repo.SetSkills(ctx, st.ID, st.Skills); err != nil {
			return err
		}
		if err := s.repo.SetHours(ctx, st.ID, st.Hours); err != nil {
			return err
		}
		created, err := s.repo.Get(ctx, st.ID)
		if err != nil {
			return err
		}
		st = created
		return s.audit.Record(ctx, "staff.create", "staff", st.ID.String(), nil, auditView(st))
	})
	if err != nil {
		return Staff{}, err
	}
	return st, nil
}

func (s *Service) checkLevel(ctx context.Context, id uuid.UUID) error {
	if id == uuid.Nil {
		return nil
	}
	if _, err := s.repo.GetLevel(ctx, id); err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return errs.InvalidFields(errs.Field("level_id", "no such staff level"))
		}
		return err
	}
	return nil
}

func validateSkills(skills []Skill, v *errs.Validation) {
	v.Check(len(skills) <= 200, "skills", "at most 200 skills")
	for i, sk := range skills {
		v.Check((sk.ServiceID == uuid.Nil) != (sk.CategoryID == uuid.Nil), "skills["+strconv.Itoa(i)+"]", "name exactly one of service_id and category_id")
	}
}

// auditView is what the audit log keeps of a profile: the phone masked.
func auditView(s Staff) Staff {
	s.Phone = phone.Mask(s.Phone)
	s.LastLocation, s.LocatedAt = nil, nil
	return s
}

// Get returns a staff member inside the caller's scope; others are not found.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Staff, error) {
	var st Staff
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		st, err = s.visibleStaff(ctx, id)
		return err
	})
	return st, err
}

// visibleStaff reads a staff member inside the caller's data scope; one outside it is not
// found, as if it did not exist.
func (s *Service) visibleStaff(ctx context.Context, id uuid.UUID) (Staff, error) {
	st, err := s.repo.Get(ctx, id)
	if err != nil {
		return Staff{}, err
	}
	if !canSee(ctx, st) {
		return Staff{}, ErrNotFound
	}
	return st, nil
}

// RevealPhone returns a staff member's full phone number and records who looked (the list
// and detail views mask it for callers without staff:phone).
func (s *Service) RevealPhone(ctx context.Context, id uuid.UUID) (string, error) {
	st, err := s.Get(ctx, id)
	if err != nil {
		return "", err
	}
	if st.Phone == "" {
		return "", errs.New(errs.NotFound, "phone_not_set", "this staff member has no phone number")
	}
	return st.Phone, s.audit.Record(ctx, "staff.phone.reveal", "staff", id.String(), nil, nil)
}

// List lists staff in the caller's scope.
func (s *Service) List(ctx context.Context, f Filter, p page.Request) (page.Result[Staff], error) {
	sc, fr, st, user := scope(ctx)
	f.OnlyStore, f.OnlyFranch, f.OnlyUser = uuid.Nil, uuid.Nil, uuid.Nil
	switch sc {
	case auth.ScopeTenant:
	case auth.ScopeFranchisee:
		if fr == uuid.Nil {
			return page.Result[Staff]{Items: []Staff{}}, nil
		}
		f.OnlyFranch = fr
	case auth.ScopeStore:
		if st == uuid.Nil {
			return page.Result[Staff]{Items: []Staff{}}, nil
		}
		f.OnlyStore = st
	default:
		f.OnlyUser = user
	}
	var out page.Result[Staff]
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.List(ctx, f, p.Normalize())
		return err
	})
	return out, err
}

// Update is a partial profile update; nil fields stay. Status has its own operation.
type Update struct {
	StoreID         *uuid.UUID
	LevelID         *uuid.UUID // uuid.Nil clears the level
	BadgeNo         *string
	DisplayName     *string
	PhotoURL        *string
	Phone           *string // "" clears it
	YearsExperience *int
	Bio             *string
	Area            *Area
}

// Update changes a profile inside the caller's scope.
func (s *Service) Update(ctx context.Context, id uuid.UUID, u Update) (Staff, error) {
	var out Staff
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var before Staff
		var err error
		out, err = s.repo.Update(ctx, id, func(st *Staff) error {
			if !canSee(ctx, *st) {
				return ErrNotFound
			}
			before = *st
			var v errs.Validation
			if u.StoreID != nil && *u.StoreID != st.StoreID {
				if err := s.checkStore(ctx, *u.StoreID); err != nil {
					return err
				}
				st.StoreID = *u.StoreID
			}
			if u.LevelID != nil {
				if err := s.checkLevel(ctx, *u.LevelID); err != nil {
					return err
				}
				st.LevelID = *u.LevelID
			}
			set(&st.BadgeNo, u.BadgeNo)
			set(&st.DisplayName, u.DisplayName)
			set(&st.PhotoURL, u.PhotoURL)
			set(&st.YearsExperience, u.YearsExperience)
			set(&st.Bio, u.Bio)
			if u.Area != nil {
				st.Area = *u.Area
			}
			if u.Phone != nil {
				st.Phone = ""
				if *u.Phone != "" {
					p, err := phone.Normalize(*u.Phone, s.phoneRegion(ctx))
					v.Check(err == nil, "phone", "not a valid phone number")
					st.Phone = p
				}
			}
			st.BadgeNo, st.DisplayName = strings.TrimSpace(st.BadgeNo), strings.TrimSpace(st.DisplayName)
			st.UpdatedAt = s.clock.Now()
			validateProfile(*st, &v)
			return v.Err()
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "staff.update", "staff", id.String(), auditView(before), auditView(out))
	})
	return out, err
}

// SetStatus moves a staff member between onboarding, active, suspended and left; the reason
// goes to the audit log.
func (s *Service) SetStatus(ctx context.Context, id uuid.UUID, status, reason string) (Staff, error) {
	var v errs.Validation
	v.Check(validState[status], "status", "onboarding, active, suspended or left")
	v.Check(len([]rune(reason)) <= 500, "reason", "at most 500 characters")
	if err := v.Err(); err != nil {
		return Staff{}, err
	}
	var out Staff
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var from string
		var err error
		out, err = s.repo.Update(ctx, id, func(st *Staff) error {
			if !canSee(ctx, *st) {
				return ErrNotFound
			}
			from = st.Status
			st.Status = status
			st.UpdatedAt = s.clock.Now()
			return nil
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "staff.status", "staff", id.String(),
			map[string]string{"status": from}, map[string]string{"status": status, "reason": reason})
	})
	return out, err
}

// SetSkills replaces a staff member's skills.
func (s *Service) SetSkills(ctx context.Context, id uuid.UUID, skills []Skill) (Staff, error) {
	var v errs.Validation
	validateSkills(skills, &v)
	if err := v.Err(); err != nil {
		return Staff{}, err
	}
	return s.change(ctx, id, "staff.skills", func(ctx context.Context, st Staff) error {
		return s.repo.SetSkills(ctx, id, skills)
	})
}

// SetHours replaces a staff member's weekly working hours.
func (s *Service) SetHours(ctx context.Context, id uuid.UUID, hours []Hours) (Staff, error) {
	var v errs.Validation
	validateHours(hours, &v)
	if err := v.Err(); err != nil {
		return Staff{}, err
	}
	return s.change(ctx, id, "staff.hours", func(ctx context.Context, st Staff) error {
		return s.repo.SetHours(ctx, id, hours)
	})
}

// change runs fn on a staff member in scope (locked) and audits before and after.
func (s *Service) change(ctx context.Context, id uuid.UUID, action string, fn func(ctx context.Context, st Staff) error) (Staff, error) {
	var out Staff
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var before Staff
		_, err := s.repo.Update(ctx, id, func(st *Staff) error {
			if !canSee(ctx, *st) {
				return ErrNotFound
			}
			before = *st
			st.UpdatedAt = s.clock.Now()
			return nil
		})
		if err != nil {
			return err
		}
		if err := fn(ctx, before); err != nil {
			return err
		}
		if out, err = s.repo.Get(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, action, "staff", id.String(), auditView(before), auditView(out))
	})
	return out, err
}

// LevelOf returns a staff member's level id, ignoring the caller's data scope (pricing asks
// on a customer's behalf). Unknown staff, or staff without a level, is a validation error on
// staff_id.
func (s *Service) LevelOf(ctx context.Context, staffID uuid.UUID) (uuid.UUID, error) {
	var level uuid.UUID
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		st, err := s.repo.Get(ctx, staffID)
		if errs.KindOf(err) == errs.NotFound {
			return errs.InvalidFields(errs.Field("staff_id", "no such staff member"))
		}
		if err != nil {
			return err
		}
		if st.LevelID == uuid.Nil {
			return errs.InvalidFields(errs.Field("staff_id", "the staff member has no level"))
		}
		level = st.LevelID
		return nil
	})
	return level, err
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
