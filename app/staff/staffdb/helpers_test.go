package staffdb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/audit"
	"doorstep/app/audit/auditdb"
	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbtest"
	"doorstep/app/kit/dbx"
	"doorstep/app/staff"
	"doorstep/app/staff/staffdb"
	"doorstep/jobs"
)

// world is one tenant's roster fixture: a store whose territory is the square
// 121.40..121.50 × 31.10..31.20 (Asia/Shanghai), levels of rank 1..3, certificate types
// id_card and health (mandatory) and electrician, a category tree root → child with
// services S1 (child, no minimum level) and S2 (child, minimum rank 2, needs electrician),
// and S3 under another root.
type world struct {
	t                  *testing.T
	db                 *dbtest.DB
	svc                *staff.Service
	clk                *clock.Manual
	tenant             uuid.UUID
	ctx                context.Context
	store              uuid.UUID
	levels             [4]uuid.UUID // by rank; [0] unused
	root, child, other uuid.UUID
	s1, s2, s3         uuid.UUID
	n                  int
}

func newWorld(t *testing.T, db *dbtest.DB, slug string) *world {
	t.Helper()
	w := &world{t: t, db: db, clk: clock.NewManual(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC))}
	w.tenant = uuid.Must(uuid.NewV7())
	w.exec(`insert into tenants (id, slug, name) values (?, ?, ?)`, w.tenant, slug, slug)
	w.ctx = dbx.WithTenant(context.Background(), w.tenant)
	w.store = uuid.Must(uuid.NewV7())
	w.exec(`insert into stores (tenant_id, id, code, name, time_zone, location, territory) values (?, ?, 'S1', 'store', 'Asia/Shanghai',
		st_setsrid(st_makepoint(121.45, 31.15), 4326)::geography, st_makeenvelope(121.40, 31.10, 121.50, 31.20, 4326))`, w.tenant, w.store)
	for rank := 1; rank <= 3; rank++ {
		w.levels[rank] = uuid.Must(uuid.NewV7())
		w.exec(`insert into staff_levels (tenant_id, id, code, name_zh, name_en, rank) values (?, ?, ?, ?, ?, ?)`,
			w.tenant, w.levels[rank], fmt.Sprintf("l%d", rank), fmt.Sprintf("级%d", rank), fmt.Sprintf("L%d", rank), rank)
	}
	w.exec(`insert into certificate_types (tenant_id, code, name_zh, name_en, mandatory) values
		(?, 'id_card', '身份证', 'ID card', true), (?, 'health', '健康证', 'Health certificate', true),
		(?, 'electrician', '电工证', 'Electrician', false)`, w.tenant, w.tenant, w.tenant)
	w.root, w.child, w.other = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into catalog_categories (tenant_id, id, parent_id, name_zh, name_en) values (?, ?, null, '根', 'root'),
		(?, ?, ?, '子', 'child'), (?, ?, null, '其他', 'other')`, w.tenant, w.root, w.tenant, w.child, w.root, w.tenant, w.other)
	w.s1, w.s2, w.s3 = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	w.exec(`insert into catalog_services (tenant_id, id, category_id, min_level_id, status) values
		(?, ?, ?, null, 'published'), (?, ?, ?, ?, 'published'), (?, ?, ?, null, 'published')`,
		w.tenant, w.s1, w.child, w.tenant, w.s2, w.child, w.levels[2], w.tenant, w.s3, w.other)
	w.exec(`insert into catalog_service_certificates (tenant_id, service_id, certificate_type) values (?, ?, 'electrician')`, w.tenant, w.s2)
	a := audit.New(db.Tx, auditdb.New(db.Tx))
	w.svc = staff.NewService(staff.Deps{DB: db.Tx, Repo: staffdb.New(db.Tx), Audit: a, Outbox: jobs.NewOutbox(db.Tx, w.clk), Clock: w.clk})
	return w
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	require.NoError(w.t, w.db.Owner.Exec(sql, args...).Error)
}

// user inserts a user account and returns its id.
func (w *world) user() uuid.UUID {
	w.t.Helper()
	w.n++
	id := uuid.Must(uuid.NewV7())
	w.exec(`insert into users (tenant_id, id, email, password_hash, store_id) values (?, ?, ?, 'x', ?)`,
		w.tenant, id, fmt.Sprintf("u%d@%s.test", w.n, w.tenant.String()[:8]), w.store)
	return id
}

// allWeek is 08:00–18:00 Monday to Saturday.
func allWeek() []staff.Hours {
	var h []staff.Hours
	for wd := 1; wd <= 6; wd++ {
		h = append(h, staff.Hours{Weekday: wd, Start: "08:00", End: "18:00"})
	}
	return h
}

// member creates an active staff member with skill S1, level rank 2, the store's area,
// Mon–Sat hours and approved id_card and health certificates valid through 2031; mod may
// change the input before creation.
func (w *world) member(mod func(*staff.NewStaff)) uuid.UUID {
	w.t.Helper()
	n := staff.NewStaff{UserID: w.user(), StoreID: w.store, LevelID: w.levels[2], BadgeNo: fmt.Sprintf("B%04d", w.n),
		DisplayName: fmt.Sprintf("staff %d", w.n), Status: staff.StatusActive, Skills: []staff.Skill{{ServiceID: w.s1}}, Hours: allWeek()}
	if mod != nil {
		mod(&n)
	}
	s, err := w.svc.Create(w.ctx, n)
	require.NoError(w.t, err)
	w.cert(s.ID, "id_card", "2031-12-31", true)
	w.cert(s.ID, "health", "2031-12-31", true)
	return s.ID
}

// cert uploads a certificate and, when approve, approves it.
func (w *world) cert(staffID uuid.UUID, typ, expires string, approve bool) uuid.UUID {
	w.t.Helper()
	c, err := w.svc.AddCertificate(w.ctx, staffID, staff.NewCertificate{Type: typ, Number: "N-" + typ, ExpiresOn: expires})
	require.NoError(w.t, err)
	if approve {
		_, err = w.svc.Review(w.ctx, staffID, c.ID, true, "")
		require.NoError(w.t, err)
	}
	return c.ID
}

// shanghai is a wall-clock time in Asia/Shanghai.
func shanghai(y int, m time.Month, d, h, min int) time.Time {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return time.Date(y, m, d, h, min, 0, 0, loc)
}
