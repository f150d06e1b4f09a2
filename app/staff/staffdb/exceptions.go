package staffdb

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/staff"
)

type exceptionRow struct {
	ID        uuid.UUID
	StaffID   uuid.UUID
	Kind      string
	Lo        time.Time
	Hi        time.Time
	Note      string
	CreatedBy *uuid.UUID
	CreatedAt time.Time
}

func (r *Repo) AddException(ctx context.Context, e staff.Exception) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.db.Conn(ctx).Exec(`insert into staff_exceptions (tenant_id, id, staff_id, kind, during, note, created_by, created_at)
		values (?, ?, ?, ?, tstzrange(cast(? as timestamptz), cast(? as timestamptz)), ?, ?, ?)`,
		tid, e.ID, e.StaffID, e.Kind, e.Start, e.End, e.Note, nullUUID(e.CreatedBy), e.CreatedAt).Error)
}

const exceptionSelect = `select id, staff_id, kind, lower(during) as lo, upper(during) as hi, note, created_by, created_at from staff_exceptions`

func exceptionToCore(r exceptionRow) staff.Exception {
	e := staff.Exception{ID: r.ID, StaffID: r.StaffID, Kind: r.Kind, Start: r.Lo, End: r.Hi, Note: r.Note, CreatedAt: r.CreatedAt}
	if r.CreatedBy != nil {
		e.CreatedBy = *r.CreatedBy
	}
	return e
}

func (r *Repo) ListExceptions(ctx context.Context, staffID uuid.UUID, from, to time.Time) ([]staff.Exception, error) {
	var rows []exceptionRow
	if err := r.db.Conn(ctx).Raw(exceptionSelect+` where staff_id = ? and during && tstzrange(cast(? as timestamptz), cast(? as timestamptz))
		order by lower(during), id`, staffID, from, to).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]staff.Exception, 0, len(rows))
	for _, row := range rows {
		out = append(out, exceptionToCore(row))
	}
	return out, nil
}

func (r *Repo) DeleteException(ctx context.Context, staffID, id uuid.UUID) (staff.Exception, error) {
	var rows []exceptionRow
	if err := r.db.Conn(ctx).Raw(`delete from staff_exceptions where staff_id = ? and id = ?
		returning id, staff_id, kind, lower(during) as lo, upper(during) as hi, note, created_by, created_at`, staffID, id).Scan(&rows).Error; err != nil {
		return staff.Exception{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return staff.Exception{}, staff.ErrExceptionNotFound
	}
	return exceptionToCore(rows[0]), nil
}
