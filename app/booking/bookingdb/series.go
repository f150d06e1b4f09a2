package bookingdb

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"doorstep/app/booking"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/geo"
)

type seriesRow struct {
	ID               uuid.UUID
	CustomerID       uuid.UUID
	PackageID        uuid.UUID
	AddOns           string
	Lng, Lat         float64
	Address          string
	Contact          string
	Property         string
	SpecialNotes     string
	PreferredStaffID *uuid.UUID
	Frequency        string
	LocalTime        string
	FirstDate        time.Time
	NextDate         time.Time
	SkipDates        string
	Paused           bool
	LastError        string
	CreatedBy        string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

const seriesCols = `id, customer_id, package_id, add_ons::text as add_ons, st_x(location::geometry) as lng, st_y(location::geometry) as lat,
	address, contact::text as contact, property::text as property, special_notes::text as special_notes, preferred_staff_id, frequency,
	local_time, first_date, next_date, array_to_json(skip_dates)::text as skip_dates, paused, last_error, created_by, created_at, updated_at`

func toSeries(x seriesRow) booking.Series {
	sr := booking.Series{ID: x.ID, CustomerID: x.CustomerID, PackageID: x.PackageID, Location: geo.Point{Lng: x.Lng, Lat: x.Lat},
		Address: x.Address, Frequency: x.Frequency, LocalTime: x.LocalTime, FirstDate: utcDate(x.FirstDate), NextDate: utcDate(x.NextDate),
		Paused: x.Paused, LastError: x.LastError, CreatedBy: x.CreatedBy, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt, SkipDates: []time.Time{}}
	_ = json.Unmarshal([]byte(x.AddOns), &sr.AddOns)
	_ = json.Unmarshal([]byte(x.Contact), &sr.Contact)
	_ = json.Unmarshal([]byte(x.Property), &sr.Property)
	_ = json.Unmarshal([]byte(x.SpecialNotes), &sr.Notes)
	if x.PreferredStaffID != nil {
		sr.PreferredStaffID = *x.PreferredStaffID
	}
	var days []string
	_ = json.Unmarshal([]byte(x.SkipDates), &days)
	for _, d := range days {
		if t, err := time.Parse(time.DateOnly, d); err == nil {
			sr.SkipDates = append(sr.SkipDates, t)
		}
	}
	return sr
}

func utcDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dates(ds []time.Time) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Format(time.DateOnly)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// CreateSeries inserts a recurring series.
func (r *Repo) CreateSeries(ctx context.Context, sr booking.Series) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	return dbx.Err(r.conn(ctx).Exec(`insert into recurring_series (tenant_id, id, customer_id, package_id, add_ons, location, address, contact,
		property, special_notes, preferred_staff_id, frequency, local_time, first_date, next_date, skip_dates, paused, created_by, created_at, updated_at)
		values (?, ?, ?, ?, ?::jsonb, st_setsrid(st_makepoint(?, ?), 4326)::geography, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?, ?::date, ?::date, ?::date[], ?, ?, ?, ?)`,
		tid, sr.ID, sr.CustomerID, sr.PackageID, mustJSON(sr.AddOns), sr.Location.Lng, sr.Location.Lat, sr.Address, mustJSON(sr.Contact),
		mustJSON(sr.Property), mustJSON(sr.Notes), nullID(sr.PreferredStaffID), sr.Frequency, sr.LocalTime, sr.FirstDate.Format(time.DateOnly),
		sr.NextDate.Format(time.DateOnly), dates(sr.SkipDates), sr.Paused, sr.CreatedBy, sr.CreatedAt, sr.UpdatedAt).Error)
}

// GetSeries reads a series, locking it when lock.
func (r *Repo) GetSeries(ctx context.Context, id uuid.UUID, lock bool) (booking.Series, error) {
	q := `select ` + seriesCols + ` from recurring_series where id = ?`
	if lock {
		q += ` for update`
	}
	var rows []seriesRow
	if err := r.conn(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return booking.Series{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return booking.Series{}, booking.ErrSeriesNotFound
	}
	return toSeries(rows[0]), nil
}

// SaveSeries writes a series' schedule state.
func (r *Repo) SaveSeries(ctx context.Context, sr booking.Series) error {
	return dbx.Err(r.conn(ctx).Exec(`update recurring_series set next_date = ?::date, skip_dates = ?::date[], paused = ?, last_error = ?, updated_at = ?
		where id = ?`, sr.NextDate.Format(time.DateOnly), dates(sr.SkipDates), sr.Paused, truncate(sr.LastError, 1000), sr.UpdatedAt, sr.ID).Error)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// ListSeries lists a customer's series, newest first.
func (r *Repo) ListSeries(ctx context.Context, customerID uuid.UUID) ([]booking.Series, error) {
	var rows []seriesRow
	if err := r.conn(ctx).Raw(`select `+seriesCols+` from recurring_series where customer_id = ? order by created_at desc, id`, customerID).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]booking.Series, 0, len(rows))
	for _, x := range rows {
		out = append(out, toSeries(x))
	}
	return out, nil
}

// DueSeries lists active series with an occurrence on or before until.
func (r *Repo) DueSeries(ctx context.Context, until time.Time) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	var rows []struct{ ID uuid.UUID }
	if err := r.conn(ctx).Raw(`select id from recurring_series where not paused and next_date <= ?::date order by next_date, id`,
		until.Format(time.DateOnly)).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	for _, x := range rows {
		ids = append(ids, x.ID)
	}
	return ids, nil
}

var savepoints atomic.Int64

// Savepoint runs fn inside a savepoint of the caller's transaction; when fn fails, only its
// writes are undone and the transaction goes on.
func (r *Repo) Savepoint(ctx context.Context, fn func(ctx context.Context) error) error {
	tx := r.conn(ctx)
	name := fmt.Sprintf("sp_%d", savepoints.Add(1))
	if err := tx.SavePoint(name).Error; err != nil {
		return dbx.Err(err)
	}
	if err := fn(ctx); err != nil {
		if rb := tx.RollbackTo(name).Error; rb != nil {
			return fmt.Errorf("%w (rollback: %v)", err, rb)
		}
		return err
	}
	return nil
}
