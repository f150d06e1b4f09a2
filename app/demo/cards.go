package demo

import (
	"context"
	"fmt"

	"doorstep/app/card"
)

func visits(n int) *int { return &n }

// demoCards are the prepaid cards each demo tenant sells (F7.5).
var demoCards = map[string][]card.NewProduct{
	"jiajie": {
		{Kind: card.StoredValue, NameZh: "储值卡 充1000送200", NameEn: "Stored value: pay 1,000, get 1,200", Price: 100000, Bonus: 20000, ValidityDays: 365},
		{Kind: card.Visits, NameZh: "上门服务 10 次卡", NameEn: "10 home visits", Price: 150000, Visits: visits(10), ValidityDays: 180},
		{Kind: card.Visits, NameZh: "月卡（当月不限次）", NameEn: "Month pass (unlimited visits)", Price: 99900, ValidityDays: 30},
		{Kind: card.Visits, NameZh: "年卡（全年 24 次）", NameEn: "Year pass (24 visits)", Price: 298800, Visits: visits(24), ValidityDays: 365},
	},
	"fixit": {
		{Kind: card.StoredValue, NameZh: "储值卡 充500送50", NameEn: "Stored value: pay 500, get 550", Price: 50000, Bonus: 5000, ValidityDays: 365},
	},
}

// seedCards publishes the demo tenant's card products.
func seedCards(ctx context.Context, a Services, d demoTenant) error {
	for _, n := range demoCards[d.slug] {
		p, err := a.Card.CreateProduct(ctx, n)
		if err != nil {
			return fmt.Errorf("card product %s: %w", n.NameEn, err)
		}
		if _, err := a.Card.Publish(ctx, p.ID); err != nil {
			return err
		}
	}
	return nil
}
