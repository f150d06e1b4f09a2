package catalog

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
)

// Item runs the catalogue.
type Service struct {
	db     *dbx.DB
	repo   Repo
	stores Stores
	audit  Auditor
	now    func() time.Time
}

// NewService wires the catalogue service.
func NewService(db *dbx.DB, repo Repo, stores Stores, a Auditor) *Service {
	return &Service{db: db, repo: repo, stores: stores, audit: a, now: time.Now}
}

// hqOnly refuses catalogue changes from principals narrower than the tenant: the permission
// says what, the scope says where, and the catalogue belongs to HQ. Calls without a principal
// (provisioning, the demo seed) have tenant scope.
func hqOnly(ctx context.Context) error {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind == auth.Operator || p.Scope == auth.ScopeTenant {
		return nil
	}
	return ErrOutOfScope
}

func actor(ctx context.Context) string {
	if p, ok := auth.FromContext(ctx); ok {
		return p.Subject()
	}
	return "system"
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func invalid(field, msg string) error {
	return errs.InvalidFields(errs.Field(field, msg))
}

// ---- categories ----

// NewCategory is the input for a category.
type NewCategory struct {
	ParentID       uuid.UUID
	Position       int
	NameZh, NameEn string
}

// CreateCategory adds a category under ParentID (uuid.Nil: a root).
func (s *Service) CreateCategory(ctx context.Context, n NewCategory) (Category, error) {
	if err := hqOnly(ctx); err != nil {
		return Category{}, err
	}
	now := s.now()
	c := Category{ID: uuid.Must(uuid.NewV7()), ParentID: n.ParentID, Position: n.Position,
		NameZh: strings.TrimSpace(n.NameZh), NameEn: strings.TrimSpace(n.NameEn), CreatedAt: now, UpdatedAt: now}
	var v errs.Validation
	validateCategory(c, &v)
	if err := v.Err(); err != nil {
		return Category{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if c.ParentID != uuid.Nil {
			if _, err := s.repo.GetCategory(ctx, c.ParentID); err != nil {
				return notFoundAs(err, "parent_id", "no such category")
			}
		}
		if err := s.repo.CreateCategory(ctx, c); err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.category.create", "catalog_category", c.ID.String(), nil, c)
	})
	if err != nil {
		return Category{}, err
	}
	return c, nil
}

// notFoundAs turns a not-found reference into a field error; other errors pass.
func notFoundAs(err error, field, msg string) error {
	if errs.KindOf(err) == errs.NotFound {
		return invalid(field, msg)
	}
	return err
}

// CategoryUpdate is a partial update; SetParent moves the category (ParentID uuid.Nil: root).
type CategoryUpdate struct {
	SetParent      bool
	ParentID       uuid.UUID
	Position       *int
	NameZh, NameEn *string
}

// UpdateCategory renames, reorders or moves a category; a move under its own subtree fails.
func (s *Service) UpdateCategory(ctx context.Context, id uuid.UUID, u CategoryUpdate) (Category, error) {
	if err := hqOnly(ctx); err != nil {
		return Category{}, err
	}
	var out Category
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if u.SetParent && u.ParentID != uuid.Nil {
			if _, err := s.repo.GetCategory(ctx, u.ParentID); err != nil {
				return notFoundAs(err, "parent_id", "no such category")
			}
			cycle, err := s.repo.IsDescendant(ctx, u.ParentID, id)
			if err != nil {
				return err
			}
			if cycle {
				return invalid("parent_id", "a category cannot move under itself or its subcategories")
			}
		}
		var before Category
		var err error
		out, err = s.repo.UpdateCategory(ctx, id, func(c *Category) error {
			before = *c
			if u.SetParent {
				c.ParentID = u.ParentID
			}
			set(&c.Position, u.Position)
			set(&c.NameZh, u.NameZh)
			set(&c.NameEn, u.NameEn)
			c.NameZh, c.NameEn = strings.TrimSpace(c.NameZh), strings.TrimSpace(c.NameEn)
			c.UpdatedAt = s.now()
			var v errs.Validation
			validateCategory(*c, &v)
			return v.Err()
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.category.update", "catalog_category", id.String(), before, out)
	})
	return out, err
}

// DeleteCategory removes a category without subcategories or services.
func (s *Service) DeleteCategory(ctx context.Context, id uuid.UUID) error {
	if err := hqOnly(ctx); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		c, err := s.repo.GetCategory(ctx, id)
		if err != nil {
			return err
		}
		if err := s.repo.DeleteCategory(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.category.delete", "catalog_category", id.String(), c, nil)
	})
}

// Categories returns the whole tree, depth first, siblings by position.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	var all []Category
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		all, err = s.repo.Categories(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return depthFirst(all), nil
}

// depthFirst orders a flat list (already sorted by position, name) as a tree walk.
func depthFirst(all []Category) []Category {
	children := map[uuid.UUID][]Category{}
	ids := map[uuid.UUID]bool{}
	for _, c := range all {
		ids[c.ID] = true
	}
	for _, c := range all {
		parent := c.ParentID
		if !ids[parent] {
			parent = uuid.Nil
		}
		children[parent] = append(children[parent], c)
	}
	out := make([]Category, 0, len(all))
	var walk func(uuid.UUID)
	walk = func(p uuid.UUID) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c.ID)
		}
	}
	walk(uuid.Nil)
	return out
}

// ---- services ----

// CreateService adds a draft service.
func (s *Service) CreateService(ctx context.Context, in Item) (Item, error) {
	if err := hqOnly(ctx); err != nil {
		return Item{}, err
	}
	now := s.now()
	in.ID, in.Status, in.PublishedAt, in.CreatedAt, in.UpdatedAt = uuid.Must(uuid.NewV7()), Draft, nil, now, now
	normalizeService(&in)
	var v errs.Validation
	validateService(in, &v)
	if err := v.Err(); err != nil {
		return Item{}, err
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.repo.GetCategory(ctx, in.CategoryID); err != nil {
			return notFoundAs(err, "category_id", "no such category")
		}
		if err := s.repo.CreateService(ctx, in); err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.service.create", "catalog_service", in.ID.String(), nil, in)
	})
	if err != nil {
		return Item{}, err
	}
	return in, nil
}

func normalizeService(sv *Item) {
	sv.NameZh, sv.NameEn = strings.TrimSpace(sv.NameZh), strings.TrimSpace(sv.NameEn)
	if sv.Images == nil {
		sv.Images = []string{}
	}
	if sv.Checklist == nil {
		sv.Checklist = []Step{}
	}
	if sv.CertificateTypes == nil {
		sv.CertificateTypes = []string{}
	}
	slices.Sort(sv.CertificateTypes)
}

// GetService returns a service in any state (console).
func (s *Service) GetService(ctx context.Context, id uuid.UUID) (Item, error) {
	var out Item
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.GetService(ctx, id)
		return err
	})
	return out, err
}

// ListServices lists services of any state (console).
func (s *Service) ListServices(ctx context.Context, f ServiceFilter, p page.Request) (page.Result[Item], error) {
	var out page.Result[Item]
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.ListServices(ctx, f, p.Normalize())
		return err
	})
	return out, err
}

// ServiceUpdate is a partial update; slices replace the whole list when not nil.
type ServiceUpdate struct {
	CategoryID                                   *uuid.UUID
	NameZh, NameEn, DescriptionZh, DescriptionEn *string
	Images                                       *[]string
	DurationMinutes                              *int
	Skill                                        *string
	SetMinLevel                                  bool
	MinLevelID                                   uuid.UUID
	CertificateTypes                             *[]string
	Checklist                                    *[]Step
	Position                                     *int
}

// UpdateService changes a service's content; publication goes through Publish/Unpublish.
func (s *Service) UpdateService(ctx context.Context, id uuid.UUID, u ServiceUpdate) (Item, error) {
	if err := hqOnly(ctx); err != nil {
		return Item{}, err
	}
	var out Item
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if u.CategoryID != nil {
			if _, err := s.repo.GetCategory(ctx, *u.CategoryID); err != nil {
				return notFoundAs(err, "category_id", "no such category")
			}
		}
		var before Item
		var err error
		out, err = s.repo.UpdateService(ctx, id, func(sv *Item) error {
			before = *sv
			set(&sv.CategoryID, u.CategoryID)
			set(&sv.NameZh, u.NameZh)
			set(&sv.NameEn, u.NameEn)
			set(&sv.DescriptionZh, u.DescriptionZh)
			set(&sv.DescriptionEn, u.DescriptionEn)
			set(&sv.Images, u.Images)
			set(&sv.DurationMinutes, u.DurationMinutes)
			set(&sv.Skill, u.Skill)
			if u.SetMinLevel {
				sv.MinLevelID = u.MinLevelID
			}
			if u.CertificateTypes != nil {
				sv.CertificateTypes = slices.Clone(*u.CertificateTypes)
			}
			set(&sv.Checklist, u.Checklist)
			set(&sv.Position, u.Position)
			sv.UpdatedAt = s.now()
			normalizeService(sv)
			var v errs.Validation
			validateService(*sv, &v)
			return v.Err()
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.service.update", "catalog_service", id.String(), before, out)
	})
	return out, err
}

// DeleteService removes a draft service with its packages, add-ons and overrides. Services
// that have been on sale are unpublished instead, so that history keeps its references.
func (s *Service) DeleteService(ctx context.Context, id uuid.UUID) error {
	if err := hqOnly(ctx); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		sv, err := s.repo.GetService(ctx, id)
		if err != nil {
			return err
		}
		if sv.Status != Draft {
			return ErrServiceNotDraft
		}
		if err := s.repo.DeleteService(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, "catalog.service.delete", "catalog_service", id.String(), sv, nil)
	})
}

// Publish puts a service on sale; it needs at least one active package.
func (s *Service) Publish(ctx context.Context, id uuid.UUID) (Item, error) {
	return s.setStatus(ctx, id, Published)
}

// Unpublish takes a service off sale: the storefront stops listing it and quotes fail.
func (s *Service) Unpublish(ctx context.Context, id uuid.UUID) (Item, error) {
	return s.setStatus(ctx, id, Unpublished)
}

func (s *Service) setStatus(ctx context.Context, id uuid.UUID, to Status) (Item, error) {
	if err := hqOnly(ctx); err != nil {
		return Item{}, err
	}
	var out Item
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if to == Published {
			pkgs, err := s.repo.Packages(ctx, []uuid.UUID{id})
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(pkgs, func(p Package) bool { return p.Active }) {
				if _, err := s.repo.GetService(ctx, id); err != nil {
					return err
				}
				return ErrNotPublishable
			}
		}
		var before Item
		var err error
		out, err = s.repo.UpdateService(ctx, id, func(sv *Item) error {
			before = *sv
			if sv.Status == to {
				return nil
			}
			now := s.now()
			sv.Status, sv.UpdatedAt = to, now
			if to == Published {
				sv.PublishedAt = &now
			}
			return nil
		})
		if err != nil || before.Status == to {
			return err
		}
		return s.audit.Record(ctx, "catalog.service."+map[Status]string{Published: "publish", Unpublished: "unpublish"}[to],
			"catalog_service", id.String(), map[string]Status{"status": before.Status}, map[string]Status{"status": to})
	})
	return out, err
}
