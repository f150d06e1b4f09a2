package notifydb

import (
	"context"
	"fmt"
	"time"

	"doorstep/app/kit/dbx"
	"doorstep/app/notify"
)

// Deliveries implements notify.DeliveryStore over notify_deliveries.
type Deliveries struct{ db *dbx.DB }

// NewDeliveries returns the store.
func NewDeliveries(db *dbx.DB) *Deliveries { return &Deliveries{db: db} }

// Claim implements notify.DeliveryStore. One statement decides: the insert creates the row, or
// on conflict the row lock it takes makes concurrent claims of one delivery wait for each
// other, and the update's condition lets only a failed or expired claim be taken over. When
// nothing was claimed, the row (now locked by nobody but committed) says why.
func (s *Deliveries) Claim(ctx context.Context, id, channel string, lease time.Duration) (notify.Claim, error) {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return notify.Claim{}, err
	}
	secs := lease.Seconds()
	var claimed []int
	err = s.db.Conn(ctx).Raw(`insert into notify_deliveries as d
		  (tenant_id, id, channel, status, attempts, claimed_at, lease_until)
		values (?, ?, ?, 'sending', 1, clock_timestamp(), clock_timestamp() + make_interval(secs => ?))
		on conflict (tenant_id, id) do update
		  set status = 'sending', attempts = d.attempts + 1, claimed_at = excluded.claimed_at,
		      lease_until = excluded.lease_until, updated_at = now()
		  where d.status = 'failed' or (d.status = 'sending' and d.lease_until <= clock_timestamp())
		returning d.attempts`, tenant, id, channel, secs).Scan(&claimed).Error
	if err != nil {
		return notify.Claim{}, dbx.Err(err)
	}
	if len(claimed) == 1 {
		return notify.Claim{State: notify.DeliveryClaimed, Attempt: claimed[0]}, nil
	}
	var row struct {
		Status   string
		Attempts int
	}
	res := s.db.Conn(ctx).Raw(`select status, attempts from notify_deliveries where tenant_id = ? and id = ?`, tenant, id).Scan(&row)
	if res.Error != nil {
		return notify.Claim{}, dbx.Err(res.Error)
	}
	switch {
	case res.RowsAffected == 0:
		return notify.Claim{}, fmt.Errorf("notifydb: delivery %s neither claimed nor found", id)
	case row.Status == "sent":
		return notify.Claim{State: notify.DeliverySent, Attempt: row.Attempts}, nil
	default:
		return notify.Claim{State: notify.DeliveryBusy, Attempt: row.Attempts}, nil
	}
}

// MarkSent implements notify.DeliveryStore.
func (s *Deliveries) MarkSent(ctx context.Context, id string) error {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	res := s.db.Conn(ctx).Exec(`update notify_deliveries
		set status = 'sent', sent_at = clock_timestamp(), lease_until = null, last_error = '', updated_at = now()
		where tenant_id = ? and id = ? and status <> 'sent'`, tenant, id)
	return dbx.Err(res.Error)
}

// MarkFailed implements notify.DeliveryStore.
func (s *Deliveries) MarkFailed(ctx context.Context, id string, attempt int, reason string) error {
	tenant, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	res := s.db.Conn(ctx).Exec(`update notify_deliveries
		set status = 'failed', lease_until = null, last_error = ?, updated_at = now()
		where tenant_id = ? and id = ? and status = 'sending' and attempts = ?`, reason, tenant, id, attempt)
	return dbx.Err(res.Error)
}
