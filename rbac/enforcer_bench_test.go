package rbac

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	gormadapter "github.com/casbin/gorm-adapter/v3"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"doorstep/app/kit/dbtest"
)

// Allowed with every template role seeded for N tenants and one user per template in each.
// BenchmarkAllowed is the per-tenant enforcer; BenchmarkAllowedSingleEnforcer is the design it
// replaced, one casbin enforcer over all tenants' rules, on the same data, so that
//
//	go test -run '^$' -bench Allowed -benchmem ./rbac/
//
// shows both on one machine. Each iteration checks the next tenant in turn; "allowed" asks for
// a permission the user's role has (stores:write for a store manager), "denied" for one it does
// not (audit:read), which makes casbin look at every rule it holds.

var benchTenantCounts = []int{10, 100, 1000}

type benchTenant struct {
	id      uuid.UUID
	manager string // subject holding store_manager
}

// seedBench makes a database with n tenants whose template roles and assignments are written
// straight into tenants and casbin_rule, which is what the enforcer reads (SeedTenant per
// tenant would take minutes at 1,000 and also fills roles, which checks never read).
func seedBench(b *testing.B, n int) (*dbtest.DB, []benchTenant) {
	b.Helper()
	start := time.Now()
	d := dbtest.New(b)
	tenants := make([]benchTenant, n)
	type tenantRow struct {
		ID   uuid.UUID
		Slug string
		Name string
	}
	trows := make([]tenantRow, n)
	var rules []gormadapter.CasbinRule
	for i := range tenants {
		id := uuid.Must(uuid.NewV7())
		dom := id.String()
		trows[i] = tenantRow{ID: id, Slug: "b" + strings.ReplaceAll(dom, "-", ""), Name: fmt.Sprintf("Bench %d", i)}
		for _, tpl := range Templates() {
			for _, p := range tpl.Permissions {
				obj, act, _ := splitPermission(p)
				rules = append(rules, gormadapter.CasbinRule{Ptype: "p", V0: RoleSubject(tpl.Name), V1: dom, V2: obj, V3: act})
			}
			sub := userSubject(uuid.New())
			rules = append(rules, gormadapter.CasbinRule{Ptype: "g", V0: sub, V1: RoleSubject(tpl.Name), V2: dom})
			if tpl.Name == "store_manager" {
				tenants[i] = benchTenant{id: id, manager: sub}
			}
		}
	}
	if err := d.Owner.Table("tenants").CreateInBatches(trows, 1000).Error; err != nil {
		b.Fatal(err)
	}
	if err := d.Owner.CreateInBatches(rules, 2000).Error; err != nil {
		b.Fatal(err)
	}
	// Statistics, as autovacuum would have them in production; without them the planner takes
	// the freshly cloned table for empty and the tenant queries scan it.
	if err := d.Owner.Exec("analyze tenants, casbin_rule").Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d tenants, %d rules in %v", n, len(rules), time.Since(start).Round(time.Millisecond))
	return d, tenants
}

// benchChecks runs the allowed and denied sub-benchmarks for n tenants against allowed.
func benchChecks(b *testing.B, n int, tenants []benchTenant, allowed func(tenant uuid.UUID, subject, permission string) bool) {
	for _, tc := range []struct {
		name, permission string
		want             bool
	}{
		{"allowed", "stores:write", true},
		{"denied", "audit:read", false},
	} {
		b.Run(fmt.Sprintf("tenants=%d/%s", n, tc.name), func(b *testing.B) {
			i := 0
			for b.Loop() {
				t := tenants[i%len(tenants)]
				if allowed(t.id, t.manager, tc.permission) != tc.want {
					b.Fatalf("tenant %s: %s is not %v", t.id, tc.permission, tc.want)
				}
				i++
			}
		})
	}
}

func BenchmarkAllowed(b *testing.B) {
	rdb, _ := dbtest.Redis(b)
	for _, n := range benchTenantCounts {
		d, tenants := seedBench(b, n)
		e := benchEnforcer(b, d, rdb)
		start := time.Now()
		for _, t := range tenants { // load every tenant, as a busy instance would have
			if !e.Allowed(t.id, t.manager, "stores:read") {
				b.Fatal("seeded store manager cannot read stores")
			}
		}
		b.Logf("loaded %d tenants on demand in %v", n, time.Since(start).Round(time.Millisecond))
		benchChecks(b, n, tenants, e.Allowed)
	}
}

func BenchmarkAllowedSingleEnforcer(b *testing.B) {
	for _, n := range benchTenantCounts {
		d, tenants := seedBench(b, n)
		se := singleEnforcer(b, d)
		benchChecks(b, n, tenants, func(tenant uuid.UUID, subject, permission string) bool {
			obj, act, ok := splitPermission(permission)
			if !ok || tenant == uuid.Nil || subject == "" {
				return false
			}
			allowed, err := se.Enforce(subject, tenant.String(), obj, act)
			return err == nil && allowed
		})
	}
}

// BenchmarkLoadTenant is what a tenant's first check (or a reload after a change) costs: the
// query and building its enforcer.
func BenchmarkLoadTenant(b *testing.B) {
	rdb, _ := dbtest.Redis(b)
	const n = 1000
	d, tenants := seedBench(b, n)
	e := benchEnforcer(b, d, rdb)
	b.Run(fmt.Sprintf("tenants=%d/query+build", n), func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := e.build(tenants[i%n].id); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	var rows []gormadapter.CasbinRule
	t := tenants[0].id.String()
	if err := d.App.Raw(tenantRulesSQL, t, t).Scan(&rows).Error; err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("tenants=%d/build", n), func(b *testing.B) {
		for b.Loop() {
			if _, err := enforcerFromRules(e.model, rows); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchEnforcer(b *testing.B, d *dbtest.DB, rdb *redis.Client) *Enforcer {
	b.Helper()
	e, err := newEnforcer(context.Background(), d.App, rdb, slog.New(slog.DiscardHandler),
		enforcerConfig{maxTenants: defaultMaxTenants, channel: "doorstep:rbac:bench:" + uuid.NewString()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Close() })
	return e
}

// singleEnforcer is the enforcer as it was before: one SyncedEnforcer loading every tenant's
// rules through gorm-adapter.
func singleEnforcer(b *testing.B, d *dbtest.DB) *casbin.SyncedEnforcer {
	b.Helper()
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		b.Fatal(err)
	}
	adb := d.App.WithContext(context.Background())
	gormadapter.TurnOffAutoMigrate(adb)
	adapter, err := gormadapter.NewAdapterByDB(adb)
	if err != nil {
		b.Fatal(err)
	}
	se, err := casbin.NewSyncedEnforcer(m, adapter)
	if err != nil {
		b.Fatal(err)
	}
	return se
}
