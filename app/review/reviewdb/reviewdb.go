// Package reviewdb stores reviews and staff rating aggregates in PostgreSQL.
package reviewdb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/kit/dbx"
	"doorstep/app/kit/page"
	"doorstep/app/review"
)

// Repo implements review.Repo.
type Repo struct{ db *dbx.DB }

// New returns the repository.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

var _ review.Repo = (*Repo)(nil)

// lastStaff is the staff member who last held the visit (a released assignment did not serve).
const lastStaff = `(select a.staff_id from assignments a where a.tenant_id = o.tenant_id and a.order_id = o.id
	and a.status <> 'released' order by a.created_at desc limit 1)`

// Order implements review.Repo.
func (r *Repo) Order(ctx context.Context, id uuid.UUID) (review.OrderFacts, error) {
	var row struct {
		ID, CustomerID, StoreID, ServiceID uuid.UUID
		StaffID                            *uuid.UUID
		Status                             string
	}
	res := r.db.Conn(ctx).Raw(`select o.id, o.customer_id, o.store_id, o.service_id, o.status, `+lastStaff+` as staff_id
		from orders o where o.id = ? for update of o`, id).Scan(&row)
	if res.Error != nil {
		return review.OrderFacts{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return review.OrderFacts{}, review.ErrOrderNotFound
	}
	f := review.OrderFacts{ID: row.ID, CustomerID: row.CustomerID, StoreID: row.StoreID, ServiceID: row.ServiceID, Status: row.Status}
	if row.StaffID != nil {
		f.StaffID = *row.StaffID
	}
	return f, nil
}

func nilID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

const upsertRating = `insert into staff_ratings (tenant_id, staff_id, count, attitude_sum, quality_sum, punctuality_sum, updated_at)
	values (?, ?, 1, ?, ?, ?, ?)
	on conflict (tenant_id, staff_id) do update set count = staff_ratings.count + 1,
	  attitude_sum = staff_ratings.attitude_sum + excluded.attitude_sum, quality_sum = staff_ratings.quality_sum + excluded.quality_sum,
	  punctuality_sum = staff_ratings.punctuality_sum + excluded.punctuality_sum, updated_at = excluded.updated_at`

// Insert implements review.Repo.
func (r *Repo) Insert(ctx context.Context, v review.Review) error {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	photos, err := json.Marshal(v.Photos)
	if err != nil {
		return err
	}
	err = r.db.Conn(ctx).Exec(`insert into reviews (tenant_id, id, order_id, customer_id, staff_id, store_id, service_id, attitude, quality,
		punctuality, text, photos, auto, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenant, v.ID, v.OrderID, v.CustomerID, nilID(v.StaffID), v.StoreID, nilID(v.ServiceID), v.Attitude, v.Quality, v.Punctuality, v.Text,
		string(photos), v.Auto, v.CreatedAt).Error
	if dbx.IsConstraint(err, "reviews_order_key") {
		return review.ErrAlreadyReviewed
	}
	if err != nil {
		return dbx.Err(err)
	}
	if v.StaffID == uuid.Nil {
		return nil
	}
	return dbx.Err(r.db.Conn(ctx).Exec(upsertRating, tenant, v.StaffID, v.Attitude, v.Quality, v.Punctuality, v.CreatedAt).Error)
}

type row struct {
	ID, OrderID, CustomerID, StoreID uuid.UUID
	StaffID, ServiceID               *uuid.UUID
	Attitude, Quality, Punctuality   int
	Text                             string
	Photos                           []byte
	Auto                             bool
	Reply, RepliedBy                 *string
	RepliedAt                        *time.Time
	HiddenAt                         *time.Time
	CreatedAt                        time.Time
}

const columns = `id, order_id, customer_id, staff_id, store_id, service_id, attitude, quality, punctuality, text, photos, auto, reply,
	replied_by, replied_at, hidden_at, created_at`

func (x row) core() (review.Review, error) {
	v := review.Review{ID: x.ID, OrderID: x.OrderID, CustomerID: x.CustomerID, StoreID: x.StoreID, Attitude: x.Attitude,
		Quality: x.Quality, Punctuality: x.Punctuality, Text: x.Text, Auto: x.Auto, RepliedAt: x.RepliedAt, HiddenAt: x.HiddenAt, CreatedAt: x.CreatedAt}
	if x.StaffID != nil {
		v.StaffID = *x.StaffID
	}
	if x.ServiceID != nil {
		v.ServiceID = *x.ServiceID
	}
	if x.Reply != nil {
		v.Reply = *x.Reply
	}
	if x.RepliedBy != nil {
		v.RepliedBy = *x.RepliedBy
	}
	v.Photos = []string{}
	if len(x.Photos) > 0 {
		if err := json.Unmarshal(x.Photos, &v.Photos); err != nil {
			return v, fmt.Errorf("reviewdb: review %s photos: %w", x.ID, err)
		}
	}
	return v, nil
}

// Get implements review.Repo.
func (r *Repo) Get(ctx context.Context, id uuid.UUID, lock bool) (review.Review, error) {
	q := `select ` + columns + ` from reviews where id = ?`
	if lock {
		q += ` for update`
	}
	var x row
	res := r.db.Conn(ctx).Raw(q, id).Scan(&x)
	if res.Error != nil {
		return review.Review{}, dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return review.Review{}, review.ErrReviewNotFound
	}
	return x.core()
}

// SaveReply implements review.Repo.
func (r *Repo) SaveReply(ctx context.Context, v review.Review) error {
	return dbx.Err(r.db.Conn(ctx).Exec(`update reviews set reply = ?, replied_by = ?, replied_at = ? where id = ?`,
		v.Reply, v.RepliedBy, v.RepliedAt, v.ID).Error)
}

// List implements review.Repo.
func (r *Repo) List(ctx context.Context, f review.Filter, p page.Request) (page.Result[review.Review], error) {
	q := r.db.Conn(ctx).Table("reviews")
	if f.StoreID != uuid.Nil {
		q = q.Where("store_id = ?", f.StoreID)
	}
	if f.StaffID != uuid.Nil {
		q = q.Where("staff_id = ?", f.StaffID)
	}
	if f.CustomerID != uuid.Nil {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	if f.StoreIDs != nil {
		q = q.Where("store_id in ?", f.StoreIDs)
	}
	var out page.Result[review.Review]
	if err := q.Session(&gorm.Session{}).Count(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []row
	if err := q.Select(columns).Order("created_at desc, id desc").Limit(p.Limit).Offset(p.Offset).Scan(&rows).Error; err != nil {
		return out, dbx.Err(err)
	}
	out.Items = make([]review.Review, 0, len(rows))
	for _, x := range rows {
		v, err := x.core()
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// Ratings implements review.Repo.
func (r *Repo) Ratings(ctx context.Context, staffIDs []uuid.UUID) ([]review.Rating, error) {
	var rows []struct {
		StaffID                                        uuid.UUID
		Count, AttitudeSum, QualitySum, PunctualitySum int64
	}
	if err := r.db.Conn(ctx).Raw(`select staff_id, count, attitude_sum, quality_sum, punctuality_sum from staff_ratings
		where staff_id in ? and count > 0`, staffIDs).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]review.Rating, 0, len(rows))
	for _, x := range rows {
		n := float64(x.Count)
		rt := review.Rating{StaffID: x.StaffID, Count: x.Count, Attitude: float64(x.AttitudeSum) / n, Quality: float64(x.QualitySum) / n,
			Punctuality: float64(x.PunctualitySum) / n}
		rt.Overall = float64(x.AttitudeSum+x.QualitySum+x.PunctualitySum) / (3 * n)
		out = append(out, rt)
	}
	return out, nil
}

// AutoReview implements review.Repo: one statement inserts the reviews (on conflict of the
// order's unique key, nothing) and adds them to the aggregates.
func (r *Repo) AutoReview(ctx context.Context, now time.Time) (int, error) {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = r.db.Conn(ctx).Raw(`with ins as (
	  insert into reviews (tenant_id, id, order_id, customer_id, staff_id, store_id, service_id, attitude, quality, punctuality, auto, created_at)
	  select o.tenant_id, gen_random_uuid(), o.id, o.customer_id, `+lastStaff+`, o.store_id, o.service_id, 5, 5, 5, true, ?
	  from orders o join booking_settings b on b.tenant_id = o.tenant_id
	  where o.tenant_id = ? and b.auto_review_days is not null and o.status in ('completed', 'closed')
	    and coalesce(o.accepted_at, o.completed_at, o.updated_at) < ?::timestamptz - make_interval(days => b.auto_review_days)
	    and not exists (select 1 from reviews x where x.tenant_id = o.tenant_id and x.order_id = o.id)
	  on conflict (tenant_id, order_id) do nothing
	  returning staff_id
	), agg as (
	  insert into staff_ratings (tenant_id, staff_id, count, attitude_sum, quality_sum, punctuality_sum, updated_at)
	  select ?, staff_id, count(*), 5 * count(*), 5 * count(*), 5 * count(*), ? from ins where staff_id is not null group by staff_id
	  on conflict (tenant_id, staff_id) do update set count = staff_ratings.count + excluded.count,
	    attitude_sum = staff_ratings.attitude_sum + excluded.attitude_sum, quality_sum = staff_ratings.quality_sum + excluded.quality_sum,
	    punctuality_sum = staff_ratings.punctuality_sum + excluded.punctuality_sum, updated_at = excluded.updated_at
	)
	select count(*) from ins`, now, tenant, now, tenant, now).Scan(&n).Error
	return n, dbx.Err(err)
}

// SetHidden implements review.Repo.
func (r *Repo) SetHidden(ctx context.Context, id uuid.UUID, at *time.Time) error {
	return dbx.Err(r.db.Conn(ctx).Exec(`update reviews set hidden_at = ? where id = ?`, at, id).Error)
}

// Subject implements review.Repo.
func (r *Repo) Subject(ctx context.Context, f review.PublicFilter) (bool, error) {
	q, id := `select exists (select 1 from catalog_services where id = ?)`, f.ServiceID
	if f.StaffID != uuid.Nil {
		q, id = `select exists (select 1 from staff where id = ?)`, f.StaffID
	}
	var ok bool
	err := r.db.Conn(ctx).Raw(q, id).Scan(&ok).Error
	return ok, dbx.Err(err)
}

// published is the shown reviews of f (reviews_staff_shown_idx, reviews_service_shown_idx).
func (r *Repo) published(ctx context.Context, f review.PublicFilter) *gorm.DB {
	q := r.db.Conn(ctx).Table("reviews r").Where("r.hidden_at is null")
	if f.StaffID != uuid.Nil {
		return q.Where("r.staff_id = ?", f.StaffID)
	}
	return q.Where("r.service_id = ?", f.ServiceID)
}

// Published implements review.Repo.
func (r *Repo) Published(ctx context.Context, f review.PublicFilter, p page.Request) (page.Result[review.PublicReview], error) {
	var out page.Result[review.PublicReview]
	if err := r.published(ctx, f).Count(&out.Total).Error; err != nil {
		return out, dbx.Err(err)
	}
	var rows []struct {
		ID                             uuid.UUID
		Reviewer, StaffName            string
		Attitude, Quality, Punctuality int
		Text                           string
		Photos                         []byte
		Auto                           bool
		Reply                          *string
		RepliedAt                      *time.Time
		CreatedAt                      time.Time
	}
	err := r.published(ctx, f).Select(`r.id, coalesce(c.name, '') as reviewer, coalesce(s.display_name, '') as staff_name, r.attitude,
		r.quality, r.punctuality, r.text, r.photos, r.auto, r.reply, r.replied_at, r.created_at`).
		Joins("left join customers c on c.tenant_id = r.tenant_id and c.id = r.customer_id").
		Joins("left join staff s on s.tenant_id = r.tenant_id and s.id = r.staff_id").
		Order("r.created_at desc, r.id desc").Limit(p.Limit).Offset(p.Offset).Scan(&rows).Error
	if err != nil {
		return out, dbx.Err(err)
	}
	out.Items = make([]review.PublicReview, 0, len(rows))
	for _, x := range rows {
		v := review.PublicReview{ID: x.ID, Reviewer: x.Reviewer, StaffName: x.StaffName, Attitude: x.Attitude, Quality: x.Quality,
			Punctuality: x.Punctuality, Text: x.Text, Photos: []string{}, Auto: x.Auto, RepliedAt: x.RepliedAt, CreatedAt: x.CreatedAt}
		if x.Reply != nil {
			v.Reply = *x.Reply
		}
		if len(x.Photos) > 0 {
			if err := json.Unmarshal(x.Photos, &v.Photos); err != nil {
				return out, fmt.Errorf("reviewdb: review %s photos: %w", x.ID, err)
			}
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// Summary implements review.Repo.
func (r *Repo) Summary(ctx context.Context, f review.PublicFilter) (review.Summary, error) {
	var x struct {
		N                              int64
		Attitude, Quality, Punctuality *float64
	}
	if err := r.published(ctx, f).Select(`count(*) as n, avg(r.attitude)::float8 as attitude, avg(r.quality)::float8 as quality,
		avg(r.punctuality)::float8 as punctuality`).Scan(&x).Error; err != nil {
		return review.Summary{}, dbx.Err(err)
	}
	out := review.Summary{Count: x.N}
	if x.N > 0 && x.Attitude != nil && x.Quality != nil && x.Punctuality != nil {
		out.Attitude, out.Quality, out.Punctuality = *x.Attitude, *x.Quality, *x.Punctuality
		out.Overall = (out.Attitude + out.Quality + out.Punctuality) / 3
	}
	return out, nil
}

// StaffStores implements review.Repo.
func (r *Repo) StaffStores(ctx context.Context, staffIDs []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
	var rows []struct{ ID, StoreID uuid.UUID }
	if err := r.db.Conn(ctx).Raw(`select id, store_id from staff where id in ?`, staffIDs).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make(map[uuid.UUID]uuid.UUID, len(rows))
	for _, x := range rows {
		out[x.ID] = x.StoreID
	}
	return out, nil
}
