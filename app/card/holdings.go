package card

import (
	"cmp"
	"context"
	"slices"

	"github.com/google/uuid"

	"doorstep/app/ledger"
)

// MyCards is the signed-in customer's cards and balances (storefront).
func (s *Service) MyCards(ctx context.Context) (Holdings, error) {
	cust, ok := customerOf(ctx)
	if !ok {
		return Holdings{}, ErrCustomersOnly
	}
	return s.holdings(ctx, cust)
}

// CustomerCards is a customer's cards and balances for staff (cards:read).
func (s *Service) CustomerCards(ctx context.Context, customerID uuid.UUID) (Holdings, error) {
	var out Holdings
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		ok, err := s.Repo.CustomerExists(ctx, customerID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrCustomerNotFound
		}
		out, err = s.holdings(ctx, customerID)
		return err
	})
	return out, err
}

// GetCard returns one card with its redemptions and adjustments: the customer's own, or any
// card for staff with cards:read.
func (s *Service) GetCard(ctx context.Context, id uuid.UUID) (Card, []Redemption, []Adjustment, error) {
	var c Card
	var rs []Redemption
	var as []Adjustment
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		var err error
		if c, err = s.Repo.Card(ctx, id, false); err != nil {
			return err
		}
		if cust, isCust := customerOf(ctx); isCust && c.CustomerID != cust {
			return ErrCardNotFound
		}
		h, err := s.holdings(ctx, c.CustomerID)
		if err != nil {
			return err
		}
		for _, x := range h.Cards {
			if x.ID == c.ID {
				c = x
			}
		}
		if rs, err = s.Repo.Redemptions(ctx, c.ID); err != nil {
			return err
		}
		as, err = s.Repo.Adjustments(ctx, c.ID)
		return err
	})
	return c, rs, as, err
}

func (s *Service) holdings(ctx context.Context, customerID uuid.UUID) (Holdings, error) {
	h := Holdings{CustomerID: customerID}
	err := s.DB.InTx(ctx, func(ctx context.Context) error {
		t, err := s.Repo.Tenant(ctx)
		if err != nil {
			return err
		}
		h.Currency = t.Currency
		cards, err := s.Repo.CustomerCards(ctx, customerID, false)
		if err != nil {
			return err
		}
		owner := ledger.Customer(customerID)
		if h.StoredValue, err = s.Ledger.Balance(ctx, owner.Account(ledger.StoredValue, ledger.AssetStoredValue)); err != nil {
			return err
		}
		if h.Visits, err = s.Ledger.Balance(ctx, owner.Account(ledger.Visits, ledger.AssetVisits)); err != nil {
			return err
		}
		attribute(cards, h.StoredValue)
		h.Cards = cards
		return nil
	})
	return h, err
}

// attribute fills Remaining: visits left on visit cards; on stored-value cards, the part of
// the customer's pooled balance that is theirs. Spending uses the card that expires first, so
// the balance belongs to the active cards that expire last, each up to what it credited.
func attribute(cards []Card, balance int64) {
	active := make([]int, 0, len(cards))
	for i := range cards {
		c := &cards[i]
		c.Remaining = 0
		if c.Status != Active {
			continue
		}
		switch c.Kind {
		case Visits:
			if c.VisitsRemaining != nil {
				c.Remaining = int64(*c.VisitsRemaining)
			}
		case StoredValue:
			active = append(active, i)
		}
	}
	// latest expiry first
	slices.SortFunc(active, func(a, b int) int {
		return cmp.Or(cards[b].ExpiresAt.Compare(cards[a].ExpiresAt), slices.Compare(cards[b].ID[:], cards[a].ID[:]))
	})
	left := max(balance, 0)
	for _, i := range active {
		take := min(left, cards[i].Credited)
		cards[i].Remaining = take
		left -= take
	}
}
