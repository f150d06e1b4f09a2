package card

import (
	"context"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/page"
)

// NewProduct is a product as HQ defines it; the currency is the tenant's.
type NewProduct struct {
	Kind                         Kind
	NameZh, NameEn               string
	DescriptionZh, DescriptionEn string
	Price                        int64
	Bonus                        int64
	Visits                       *int
	ServiceID                    uuid.UUID
	ValidityDays                 int
}

func (n *NewProduct) validate() error {
	n.NameZh, n.NameEn = trim(n.NameZh), trim(n.NameEn)
	n.DescriptionZh, n.DescriptionEn = trim(n.DescriptionZh), trim(n.DescriptionEn)
	var v errs.Validation
	v.Check(n.Kind == StoredValue || n.Kind == Visits, "kind", "stored_value or visits")
	v.Check(len([]rune(n.NameZh)) >= 1 && len([]rune(n.NameZh)) <= 100, "name_zh", "1 to 100 characters")
	v.Check(len([]rune(n.NameEn)) >= 1 && len([]rune(n.NameEn)) <= 100, "name_en", "1 to 100 characters")
	v.Check(len([]rune(n.DescriptionZh)) <= 2000, "description_zh", "at most 2000 characters")
	v.Check(len([]rune(n.DescriptionEn)) <= 2000, "description_en", "at most 2000 characters")
	v.Check(n.Price > 0 && n.Price <= 1_000_000_000, "price", "1 to 1,000,000,000 minor units")
	v.Check(n.ValidityDays >= 1 && n.ValidityDays <= 3660, "validity_days", "1 to 3660 days")
	switch n.Kind {
	case StoredValue:
		v.Check(n.Bonus >= 0 && n.Bonus <= 1_000_000_000, "bonus", "0 to 1,000,000,000 minor units")
		v.Check(n.Visits == nil, "visits", "only for visit cards")
		v.Check(n.ServiceID == uuid.Nil, "service_id", "only for visit cards")
	case Visits:
		v.Check(n.Bonus == 0, "bonus", "only for stored-value cards")
		v.Check(n.Visits == nil || (*n.Visits >= 1 && *n.Visits <= 10000), "visits", "1 to 10000, or absent for unlimited visits")
	}
	return v.Err()
}

// CreateProduct adds a draft product (cards:write).
func (s *Service) CreateProduct(ctx context.Context, n NewProduct) (Product, error) {
	if err := n.validate(); err != nil {
		return Product{}, err
	}
	var out Product
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		t, err := s.Repo.Tenant(ctx)
		if err != nil {
			return err
		}
		if err := s.checkService(ctx, n.ServiceID); err != nil {
			return err
		}
		now := s.Clock.Now()
		out = Product{ID: uuid.Must(uuid.NewV7()), Kind: n.Kind, NameZh: n.NameZh, NameEn: n.NameEn, DescriptionZh: n.DescriptionZh,
			DescriptionEn: n.DescriptionEn, Price: n.Price, Currency: t.Currency, Bonus: n.Bonus, Visits: n.Visits, ServiceID: n.ServiceID,
			ValidityDays: n.ValidityDays, Status: Draft, CreatedAt: now, UpdatedAt: now}
		if err := s.Repo.InsertProduct(ctx, out); err != nil {
			return err
		}
		return s.Audit.Record(ctx, "card_product.create", "card_product", out.ID.String(), nil, out)
	})
	return out, err
}

func (s *Service) checkService(ctx context.Context, id uuid.UUID) error {
	if id == uuid.Nil {
		return nil
	}
	ok, err := s.Repo.ServiceExists(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return errs.InvalidFields(errs.Field("service_id", "no such service"))
	}
	return nil
}

// UpdateProduct replaces a draft product's terms (cards:write); published products are fixed
// (retire and create a new one), so every sold card's terms stay what the customer bought.
func (s *Service) UpdateProduct(ctx context.Context, id uuid.UUID, n NewProduct) (Product, error) {
	if err := n.validate(); err != nil {
		return Product{}, err
	}
	var out Product
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		p, err := s.Repo.Product(ctx, id, true)
		if err != nil {
			return err
		}
		if p.Status != Draft {
			return ErrProductNotDraft
		}
		if err := s.checkService(ctx, n.ServiceID); err != nil {
			return err
		}
		before := p
		p.Kind, p.NameZh, p.NameEn, p.DescriptionZh, p.DescriptionEn = n.Kind, n.NameZh, n.NameEn, n.DescriptionZh, n.DescriptionEn
		p.Price, p.Bonus, p.Visits, p.ServiceID, p.ValidityDays = n.Price, n.Bonus, n.Visits, n.ServiceID, n.ValidityDays
		p.UpdatedAt = s.Clock.Now()
		if err := s.Repo.SaveProduct(ctx, p); err != nil {
			return err
		}
		out = p
		return s.Audit.Record(ctx, "card_product.update", "card_product", p.ID.String(), before, p)
	})
	return out, err
}

// Publish puts a draft product on sale (idempotent for a published one).
func (s *Service) Publish(ctx context.Context, id uuid.UUID) (Product, error) {
	return s.setStatus(ctx, id, Published)
}

// Retire takes a product off sale for good; cards sold stay valid (idempotent).
func (s *Service) Retire(ctx context.Context, id uuid.UUID) (Product, error) {
	return s.setStatus(ctx, id, Retired)
}

func (s *Service) setStatus(ctx context.Context, id uuid.UUID, to ProductStatus) (Product, error) {
	var out Product
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		p, err := s.Repo.Product(ctx, id, true)
		if err != nil {
			return err
		}
		out = p
		if p.Status == to {
			return nil
		}
		if p.Status == Retired {
			return ErrProductRetired
		}
		now := s.Clock.Now()
		before := p
		p.Status, p.UpdatedAt = to, now
		if to == Published {
			p.PublishedAt = &now
		} else {
			p.RetiredAt = &now
		}
		if err := s.Repo.SaveProduct(ctx, p); err != nil {
			return err
		}
		out = p
		return s.Audit.Record(ctx, "card_product."+string(to), "card_product", p.ID.String(), before.Status, to)
	})
	return out, err
}

// Product returns a product; customers see only published ones.
func (s *Service) Product(ctx context.Context, id uuid.UUID) (Product, error) {
	var out Product
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		p, err := s.Repo.Product(ctx, id, false)
		if err != nil {
			return err
		}
		if _, cust := customerOf(ctx); cust && p.Status != Published {
			return ErrProductNotFound
		}
		out = p
		return nil
	})
	return out, err
}

// Products lists products; customers see only published ones.
func (s *Service) Products(ctx context.Context, f ProductFilter, p page.Request) (page.Result[Product], error) {
	if _, cust := customerOf(ctx); cust {
		f.Status = Published
	}
	var out page.Result[Product]
	err := s.DB.InTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.Repo.Products(ctx, f, p.Normalize())
		return err
	})
	return out, err
}
