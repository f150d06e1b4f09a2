// Package dispatchdb stores dispatch offers in PostgreSQL and answers ranking's questions
// about assignments (busy, workload, served before).
package dispatchdb

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"doorstep/app/dispatch"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
)

// Repo implements dispatch.Repo. Row-level security scopes every query to the tenant.
type Repo struct{ db *dbx.DB }

// New returns a Repo.
func New(db *dbx.DB) *Repo { return &Repo{db: db} }

var _ dispatch.Repo = (*Repo)(nil)

func (r *Repo) conn(ctx context.Context) *gorm.DB { return r.db.Conn(ctx) }

var errOrderNotFound = errs.New(errs.NotFound, "order_not_found", "no such order")

// LockOrder takes the order's row lock (the one booking's transitions take).
func (r *Repo) LockOrder(ctx context.Context, orderID uuid.UUID) error {
	var ids []uuid.UUID
	if err := r.conn(ctx).Raw(`select id from orders where id = ? for update`, orderID).Scan(&ids).Error; err != nil {
		return dbx.Err(err)
	}
	if len(ids) == 0 {
		return errOrderNotFound
	}
	return nil
}

// RequiredRank is the rank of the service's minimum level (0: none).
func (r *Repo) RequiredRank(ctx context.Context, serviceID uuid.UUID) (int, error) {
	var ranks []int
	err := r.conn(ctx).Raw(`select coalesce(l.rank, 0) from catalog_services s left join staff_levels l on l.tenant_id = s.tenant_id and l.id = s.min_level_id
		where s.id = ?`, serviceID).Scan(&ranks).Error
	if err != nil || len(ranks) == 0 {
		return 0, dbx.Err(err)
	}
	return ranks[0], nil
}

type idCount struct {
	StaffID uuid.UUID
	N       int
}

// Busy tells which staff hold an active assignment overlapping [from, to) on another order.
func (r *Repo) Busy(ctx context.Context, staffIDs []uuid.UUID, from, to time.Time, exceptOrder uuid.UUID) (map[uuid.UUID]bool, error) {
	var rows []idCount
	if err := r.conn(ctx).Raw(`select staff_id, count(*) as n from assignments where status = 'active' and staff_id in ?
		and during && tstzrange(?, ?) and order_id <> ? group by staff_id`, staffIDs, from, to, exceptOrder).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make(map[uuid.UUID]bool, len(rows))
	for _, x := range rows {
		out[x.StaffID] = true
	}
	return out, nil
}

// Workload counts each staff member's active assignments starting in [from, to).
func (r *Repo) Workload(ctx context.Context, staffIDs []uuid.UUID, from, to time.Time) (map[uuid.UUID]int, error) {
	var rows []idCount
	if err := r.conn(ctx).Raw(`select staff_id, count(*) as n from assignments where status = 'active' and staff_id in ?
		and lower(during) >= ? and lower(during) < ? group by staff_id`, staffIDs, from, to).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, x := range rows {
		out[x.StaffID] = x.N
	}
	return out, nil
}

// Previous tells which staff finished (or hold) a visit for the customer on another order.
func (r *Repo) Previous(ctx context.Context, customerID uuid.UUID, staffIDs []uuid.UUID, exceptOrder uuid.UUID) (map[uuid.UUID]bool, error) {
	var rows []idCount
	if err := r.conn(ctx).Raw(`select a.staff_id, count(*) as n from assignments a join orders o on o.tenant_id = a.tenant_id and o.id = a.order_id
		where o.customer_id = ? and a.status in ('active', 'done') and a.staff_id in ? and a.order_id <> ? group by a.staff_id`,
		customerID, staffIDs, exceptOrder).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make(map[uuid.UUID]bool, len(rows))
	for _, x := range rows {
		out[x.StaffID] = true
	}
	return out, nil
}

// Excluded lists staff not to try again for the order: offers they declined or let expire,
// and assignments of it they were released from (declined, timed out, unassigned).
func (r *Repo) Excluded(ctx context.Context, orderID uuid.UUID) (map[uuid.UUID]bool, error) {
	var ids []uuid.UUID
	if err := r.conn(ctx).Raw(`select staff_id from dispatch_offers where order_id = ? and status in ('declined', 'expired')
		union select staff_id from assignments where order_id = ? and status = 'released'`, orderID, orderID).Scan(&ids).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// OpenOffers counts the order's pool offers still open at now.
func (r *Repo) OpenOffers(ctx context.Context, orderID uuid.UUID, now time.Time) (int, error) {
	var n int64
	err := r.conn(ctx).Raw(`select count(*) from dispatch_offers where order_id = ? and kind = 'pool' and status = 'offered' and expires_at > ?`,
		orderID, now).Scan(&n).Error
	return int(n), dbx.Err(err)
}

// InsertOffers writes offers.
func (r *Repo) InsertOffers(ctx context.Context, offers []dispatch.Offer) error {
	tn, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	for _, o := range offers {
		if err := r.conn(ctx).Exec(`insert into dispatch_offers (tenant_id, id, order_id, staff_id, kind, status, score, rank, round, expires_at, created_at)
			values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tn, o.ID, o.OrderID, o.StaffID, o.Kind, o.Status, o.Score, o.Rank, max(o.Round, 1), o.ExpiresAt, o.CreatedAt).Error; err != nil {
			return dbx.Err(err)
		}
	}
	return nil
}

type offerRow struct {
	ID        uuid.UUID
	OrderID   uuid.UUID
	StaffID   uuid.UUID
	Kind      string
	Status    string
	Score     float64
	Rank      int
	Round     int
	ExpiresAt time.Time
	CreatedAt time.Time
	DecidedAt *time.Time
}

func (x offerRow) offer() dispatch.Offer {
	return dispatch.Offer{ID: x.ID, OrderID: x.OrderID, StaffID: x.StaffID, Kind: x.Kind, Status: x.Status, Score: x.Score, Rank: x.Rank, Round: x.Round,
		ExpiresAt: x.ExpiresAt, CreatedAt: x.CreatedAt, DecidedAt: x.DecidedAt}
}

const offerCols = `id, order_id, staff_id, kind, status, score, rank, round, expires_at, created_at, decided_at`

// GetOffer returns an offer.
func (r *Repo) GetOffer(ctx context.Context, id uuid.UUID) (dispatch.Offer, error) {
	var rows []offerRow
	if err := r.conn(ctx).Raw(`select `+offerCols+` from dispatch_offers where id = ?`, id).Scan(&rows).Error; err != nil {
		return dispatch.Offer{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return dispatch.Offer{}, dispatch.ErrOfferNotFound
	}
	return rows[0].offer(), nil
}

// TakeOffer accepts an open, unexpired offer; false when it is not open any more. The
// unique index dispatch_offers_one_accepted refuses a second accepted offer for an order.
func (r *Repo) TakeOffer(ctx context.Context, id uuid.UUID, now time.Time) (bool, error) {
	res := r.conn(ctx).Exec(`update dispatch_offers set status = 'accepted', decided_at = ? where id = ? and status = 'offered' and expires_at > ?`, now, id, now)
	if res.Error != nil {
		return false, res.Error // the caller checks the constraint name
	}
	return res.RowsAffected == 1, nil
}

// CloseOthers marks the order's other open offers taken.
func (r *Repo) CloseOthers(ctx context.Context, orderID, except uuid.UUID, now time.Time) error {
	return dbx.Err(r.conn(ctx).Exec(`update dispatch_offers set status = 'taken', decided_at = ? where order_id = ? and id <> ? and status = 'offered'`,
		now, orderID, except).Error)
}

// SetStatus moves an offer from one status to another; false when it was not in from.
func (r *Repo) SetStatus(ctx context.Context, id uuid.UUID, from, to string, now time.Time) (bool, error) {
	res := r.conn(ctx).Exec(`update dispatch_offers set status = ?, decided_at = ? where id = ? and status = ?`, to, now, id, from)
	return res.RowsAffected == 1, dbx.Err(res.Error)
}

// ExpireAuto expires the staff member's open auto offer for the order, and reports whether
// there was one.
func (r *Repo) ExpireAuto(ctx context.Context, orderID, staffID uuid.UUID, now time.Time) (bool, error) {
	res := r.conn(ctx).Exec(`update dispatch_offers set status = 'expired', decided_at = ? where order_id = ? and staff_id = ? and kind = 'auto' and status = 'offered'`,
		now, orderID, staffID)
	return res.RowsAffected > 0, dbx.Err(res.Error)
}

// StaffOffers lists a staff member's pool offers created since, newest first (at most 100).
func (r *Repo) StaffOffers(ctx context.Context, staffID uuid.UUID, since time.Time) ([]dispatch.Offer, error) {
	var rows []offerRow
	if err := r.conn(ctx).Raw(`select `+offerCols+` from dispatch_offers where staff_id = ? and kind = 'pool' and created_at >= ?
		order by created_at desc, id limit 100`, staffID, since).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]dispatch.Offer, len(rows))
	for i, x := range rows {
		out[i] = x.offer()
	}
	return out, nil
}

// Offered lists every staff member offered the order in the pool.
func (r *Repo) Offered(ctx context.Context, orderID uuid.UUID) (map[uuid.UUID]bool, error) {
	var ids []uuid.UUID
	if err := r.conn(ctx).Raw(`select distinct staff_id from dispatch_offers where order_id = ? and kind = 'pool'`, orderID).Scan(&ids).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// LastRound is the order's latest pool round (0: none).
func (r *Repo) LastRound(ctx context.Context, orderID uuid.UUID) (int, error) {
	var n int
	err := r.conn(ctx).Raw(`select coalesce(max(round), 0) from dispatch_offers where order_id = ? and kind = 'pool'`, orderID).Scan(&n).Error
	return n, dbx.Err(err)
}

// ExpireRound expires the round's open pool offers.
func (r *Repo) ExpireRound(ctx context.Context, orderID uuid.UUID, round int, now time.Time) (int, error) {
	res := r.conn(ctx).Exec(`update dispatch_offers set status = 'expired', decided_at = ? where order_id = ? and kind = 'pool' and round = ? and status = 'offered'`,
		now, orderID, round)
	return int(res.RowsAffected), dbx.Err(res.Error)
}

// AutoAttempts counts the order's auto offers.
func (r *Repo) AutoAttempts(ctx context.Context, orderID uuid.UUID) (int, error) {
	var n int
	err := r.conn(ctx).Raw(`select count(*) from dispatch_offers where order_id = ? and kind = 'auto'`, orderID).Scan(&n).Error
	return n, dbx.Err(err)
}

// CloseAuto moves the staff member's open auto offer for the order to status.
func (r *Repo) CloseAuto(ctx context.Context, orderID, staffID uuid.UUID, status string, now time.Time) error {
	return dbx.Err(r.conn(ctx).Exec(`update dispatch_offers set status = ?, decided_at = ? where order_id = ? and staff_id = ? and kind = 'auto' and status = 'offered'`,
		status, now, orderID, staffID).Error)
}

// Flag marks the order at risk.
func (r *Repo) Flag(ctx context.Context, orderID uuid.UUID, reason string, rounds int, now time.Time) error {
	tn, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.conn(ctx).Exec(`insert into dispatch_flags (tenant_id, order_id, reason, rounds, flagged_at) values (?, ?, ?, ?, ?)
		on conflict (tenant_id, order_id) do update set reason = excluded.reason, rounds = excluded.rounds, flagged_at = excluded.flagged_at`,
		tn, orderID, reason, rounds, now).Error)
}

// Unflag clears the order's flag.
func (r *Repo) Unflag(ctx context.Context, orderID uuid.UUID) error {
	return dbx.Err(r.conn(ctx).Exec(`delete from dispatch_flags where order_id = ?`, orderID).Error)
}

// StoreZone is the store's time zone name.
func (r *Repo) StoreZone(ctx context.Context, storeID uuid.UUID) (string, error) {
	var zs []string
	if err := r.conn(ctx).Raw(`select time_zone from stores where id = ?`, storeID).Scan(&zs).Error; err != nil {
		return "", dbx.Err(err)
	}
	if len(zs) == 0 {
		return "", nil
	}
	return zs[0], nil
}

var _ dispatch.BoardRepo = (*Repo)(nil)

type boardRow struct {
	ID       uuid.UUID
	Number   string
	Status   string
	StartsAt time.Time
	EndsAt   time.Time
	Address  string
	StaffID  *uuid.UUID
	Flag     *string
}

// BoardOrders lists the store's orders starting in [from, to) that wait for staff or for
// their accept (confirmed, assigned), by start.
func (r *Repo) BoardOrders(ctx context.Context, storeID uuid.UUID, from, to time.Time) ([]dispatch.BoardOrder, error) {
	var rows []boardRow
	if err := r.conn(ctx).Raw(`select o.id, o.number, o.status, o.starts_at, o.ends_at, o.address, a.staff_id, f.reason as flag
		from orders o left join assignments a on a.tenant_id = o.tenant_id and a.order_id = o.id and a.status = 'active'
		  left join dispatch_flags f on f.tenant_id = o.tenant_id and f.order_id = o.id
		where o.store_id = ? and o.starts_at >= ? and o.starts_at < ? and o.status in ('confirmed', 'assigned')
		order by o.starts_at, o.number limit 1000`, storeID, from, to).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]dispatch.BoardOrder, len(rows))
	for i, x := range rows {
		out[i] = dispatch.BoardOrder{ID: x.ID, Number: x.Number, Status: x.Status, Start: x.StartsAt, End: x.EndsAt, Address: x.Address}
		if x.StaffID != nil {
			out[i].StaffID = *x.StaffID
		}
		if x.Flag != nil {
			out[i].Flag = *x.Flag
		}
	}
	return out, nil
}

type loadRow struct {
	StaffID     uuid.UUID
	DisplayName string
	BadgeNo     string
	Visits      int
	Minutes     float64
	Lng, Lat    *float64
	LocatedAt   *time.Time
}

// StoreLoad lists the store's active staff with their visits that day and last position.
func (r *Repo) StoreLoad(ctx context.Context, storeID uuid.UUID, from, to time.Time) ([]dispatch.StaffLoad, error) {
	var rows []loadRow
	if err := r.conn(ctx).Raw(`select s.id as staff_id, s.display_name, s.badge_no,
		  count(a.id) as visits, coalesce(sum(extract(epoch from upper(a.during) - lower(a.during)) / 60), 0) as minutes,
		  st_x(s.last_location::geometry) as lng, st_y(s.last_location::geometry) as lat, s.located_at
		from staff s left join assignments a on a.tenant_id = s.tenant_id and a.staff_id = s.id and a.status = 'active'
		  and lower(a.during) >= ? and lower(a.during) < ?
		where s.store_id = ? and s.status = 'active'
		group by s.tenant_id, s.id order by visits desc, s.badge_no limit 1000`, from, to, storeID).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]dispatch.StaffLoad, len(rows))
	for i, x := range rows {
		out[i] = dispatch.StaffLoad{StaffID: x.StaffID, DisplayName: x.DisplayName, BadgeNo: x.BadgeNo, Visits: x.Visits, Minutes: int(x.Minutes), LocatedAt: x.LocatedAt}
		if x.Lng != nil && x.Lat != nil {
			out[i].Location = &geo.Point{Lng: *x.Lng, Lat: *x.Lat}
		}
	}
	return out, nil
}
