// Package demo seeds the demo world that `doorstep dev` and `doorstep seed demo` start from: a
// platform operator and two tenants in Shanghai — jiajie (洁家到家, a cleaning chain with a
// franchised second store) and fixit (an appliance-repair workshop) — each with stores and
// territories, staff logins for every role, a published catalogue with packages, add-ons and store
// prices, pricing rules, holidays and travel fees, prepaid card products, and a roster of about
// eight staff per store with levels, skills, certificates (some pending or expired) and leave.
//
// Seed is idempotent: the operator's password is reset, and a tenant whose slug already exists
// is left as it is, so running it again changes nothing. Each tenant is seeded in one
// transaction. Seed prints how to sign in.
//
// The package takes the domain services it uses as a Services value; it does not import wiring.
package demo

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/card"
	"doorstep/app/catalog"
	"doorstep/app/identity"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/page"
	"doorstep/app/org"
	"doorstep/app/platform"
	"doorstep/app/pricing"
	"doorstep/app/staff"
	"doorstep/tenant"
)

// Demo credentials, printed by make dev. They only exist in databases seeded with the demo.
const (
	OperatorEmail = "ops@doorstep.local"
	Password      = "doorstep-demo-2026"
)

// Services are the parts of the app the demo seed uses.
type Services struct {
	DB       *dbx.DB
	Platform *platform.Service
	Tenants  *tenant.Service
	Identity *identity.Service
	Roles    identity.RoleAssigner
	Org      *org.Service
	Catalog  *catalog.Service
	Pricing  *pricing.Service
	Card     *card.Service
	Staff    *staff.Service
}

var pageAll = page.Request{Limit: page.MaxLimit}

type demoStore struct {
	code, name, address string
	lng, lat            float64
	territory           [][2]float64
	franchised          bool
}

type demoTenant struct {
	slug, name, locale, owner string
	stores                    []demoStore
	staff                     []demoStaff
}

type demoStaff struct {
	email, name, role string
	store             int // index into stores, -1 for none
}

// Shanghai territories: rough rectangles around real districts.
var demoTenants = []demoTenant{
	{slug: "jiajie", name: "洁家到家", locale: "zh-CN", owner: "owner@jiajie.demo",
		stores: []demoStore{
			{"SH-XH", "徐汇店", "上海市徐汇区漕溪北路 88 号", 121.4365, 31.1880, [][2]float64{{121.40, 31.15}, {121.48, 31.15}, {121.48, 31.22}, {121.40, 31.22}, {121.40, 31.15}}, false},
			{"SH-PD", "浦东陆家嘴店", "上海市浦东新区世纪大道 100 号", 121.5055, 31.2397, [][2]float64{{121.49, 31.20}, {121.58, 31.20}, {121.58, 31.27}, {121.49, 31.27}, {121.49, 31.20}}, true},
		},
		staff: []demoStaff{
			{"hq@jiajie.demo", "总部管理员 王敏", "hq_admin", -1},
			{"franchise@jiajie.demo", "加盟商 李强", "franchisee_owner", -1},
			{"manager.xh@jiajie.demo", "徐汇店长 张丽", "store_manager", 0},
			{"dispatch.xh@jiajie.demo", "徐汇调度 陈杰", "dispatcher", 0},
			{"finance@jiajie.demo", "财务 赵静", "finance", -1},
			{"support@jiajie.demo", "客服 周婷", "support", -1},
			{"ayi.xh@jiajie.demo", "保洁师 刘阿姨", "staff", 0},
		}},
	{slug: "fixit", name: "FixIt Appliance Repair", locale: "en", owner: "owner@fixit.demo",
		stores: []demoStore{
			{"SH-JA", "Jing'an Workshop", "1 Nanjing West Rd, Jing'an, Shanghai", 121.4480, 31.2290, [][2]float64{{121.42, 31.21}, {121.47, 31.21}, {121.47, 31.25}, {121.42, 31.25}, {121.42, 31.21}}, false},
		},
		staff: []demoStaff{
			{"manager@fixit.demo", "Store manager Amy Lin", "store_manager", 0},
			{"tech@fixit.demo", "Technician Bo Wang", "staff", 0},
		}},
}

// Seed creates the demo operator and tenants unless they exist, and prints how to sign in;
// baseDomain is the host suffix of the printed tenant addresses ({slug}.baseDomain).
func Seed(ctx context.Context, a Services, baseDomain string, out io.Writer) error {
	if _, err := a.Platform.EnsureOperator(ctx, OperatorEmail, Password, "Demo operator"); err != nil {
		return err
	}
	fmt.Fprintf(out, "Demo platform operator: %s / %s (POST /api/v1/platform/login)\n", OperatorEmail, Password)
	for _, d := range demoTenants {
		if err := seedTenant(ctx, a, d); err != nil {
			return fmt.Errorf("seed %s: %w", d.slug, err)
		}
		fmt.Fprintf(out, "Demo tenant %-8s http://%s.%s  owner %s / %s\n", d.slug, d.slug, baseDomain, d.owner, Password)
		for _, s := range d.staff {
			fmt.Fprintf(out, "    %-17s %s / %s\n", s.role, s.email, Password)
		}
		if r, ok := demoRosters[d.slug]; ok {
			fmt.Fprintf(out, "    %-17s %d more staff sign in as {badge}@%s.demo, e.g. %s-%s-002@%s.demo\n", "roster", len(r.members)-1, d.slug,
				strings.ToLower(r.badgePrefix), strings.ToLower(strings.TrimPrefix(d.stores[0].code, "SH-")), d.slug)
		}
	}
	return nil
}

func seedTenant(ctx context.Context, a Services, d demoTenant) error {
	t, err := a.Tenants.Create(ctx, tenant.NewTenant{Name: d.name, Slug: d.slug, Locale: d.locale, Currency: "CNY",
		TimeZone: "Asia/Shanghai", PhoneRegion: "CN", OwnerEmail: d.owner, OwnerPassword: Password, OwnerName: "Owner",
		StoreName: d.stores[0].name})
	if e, ok := errs.As(err); ok && e.Code == tenant.ErrSlugTaken.Code {
		return nil // already seeded
	}
	if err != nil {
		return err
	}
	ctx = tenant.WithTenant(ctx, &t)
	ctx = auth.WithPrincipal(ctx, &auth.Principal{Kind: auth.Operator, Scope: auth.ScopeTenant})
	return a.DB.InTx(ctx, func(ctx context.Context) error {
		fr, err := a.Org.CreateFranchisee(ctx, org.NewFranchisee{Name: d.name + " 加盟商一号", LegalName: "Demo Franchise Co., Ltd.", ContactName: "李强"})
		if err != nil {
			return err
		}
		first, err := a.Org.ListStores(ctx, org.StoreFilter{}, pageAll)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(d.stores))
		for i, s := range d.stores {
			hours := []org.OpeningHours{}
			for wd := 0; wd < 7; wd++ {
				hours = append(hours, org.OpeningHours{Weekday: wd, Open: "08:00", Close: "20:00"})
			}
			st := org.Store{Code: s.code, Name: s.name, Address: s.address, TimeZone: t.TimeZone,
				Location: &geo.Point{Lng: s.lng, Lat: s.lat}, Territory: &geo.Polygon{Type: "Polygon", Coordinates: [][][2]float64{s.territory}}, OpeningHours: hours}
			if s.franchised {
				st.FranchiseeID = fr.ID
			}
			if i == 0 && len(first.Items) == 1 {
				// The provisioned first store becomes the demo's first store.
				code := s.code
				upd, err := a.Org.UpdateStore(ctx, first.Items[0].ID, org.StoreUpdate{Code: &code, Address: &st.Address, OpeningHours: &hours,
					SetLocation: true, Location: st.Location, SetTerritory: true, Territory: st.Territory})
				if err != nil {
					return err
				}
				ids[i] = upd.ID
				continue
			}
			created, err := a.Org.CreateStore(ctx, st)
			if err != nil {
				return err
			}
			ids[i] = created.ID
		}
		for _, s := range d.staff {
			n := identity.NewUser{Email: s.email, Password: Password, DisplayName: s.name, Roles: []string{s.role}}
			if s.store >= 0 {
				n.StoreID = ids[s.store]
			}
			if s.role == "franchisee_owner" {
				n.FranchiseeID = fr.ID
			}
			if _, err := a.Identity.CreateUser(ctx, n, a.Roles); err != nil {
				return err
			}
		}
		if err := seedCatalog(ctx, a, d, ids); err != nil {
			return fmt.Errorf("catalogue: %w", err)
		}
		if err := seedCards(ctx, a, d); err != nil {
			return err
		}
		return seedRoster(ctx, a, d, ids)
	})
}
