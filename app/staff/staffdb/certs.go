package staffdb

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/staff"
)

type certRow struct {
	ID           uuid.UUID
	StaffID      uuid.UUID
	Type         string
	Number       string
	FileURL      string
	IssuedOn     *string
	ExpiresOn    *string
	Status       string
	RejectReason string
	ReviewedBy   *uuid.UUID
	ReviewedAt   *time.Time
	WarnedAt     *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const certSelect = `select id, staff_id, type, number, file_url, to_char(issued_on, 'YYYY-MM-DD') as issued_on,
	to_char(expires_on, 'YYYY-MM-DD') as expires_on, status, reject_reason, reviewed_by, reviewed_at, warned_at, created_at, updated_at
	from staff_certificates`

func certToCore(r certRow) staff.Certificate {
	c := staff.Certificate{ID: r.ID, StaffID: r.StaffID, Type: r.Type, Number: r.Number, FileURL: r.FileURL, Status: r.Status,
		RejectReason: r.RejectReason, ReviewedAt: r.ReviewedAt, WarnedAt: r.WarnedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.IssuedOn != nil {
		c.IssuedOn, _ = staff.ParseDate(*r.IssuedOn)
	}
	if r.ExpiresOn != nil {
		c.ExpiresOn, _ = staff.ParseDate(*r.ExpiresOn)
	}
	if r.ReviewedBy != nil {
		c.ReviewedBy = *r.ReviewedBy
	}
	return c
}

func dateArg(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

func (r *Repo) AddCertificate(ctx context.Context, c staff.Certificate) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	err = r.db.Conn(ctx).Exec(`insert into staff_certificates (tenant_id, id, staff_id, type, number, file_url, issued_on, expires_on,
		status, created_at, updated_at) values (?, ?, ?, ?, ?, ?, cast(? as date), cast(? as date), ?, ?, ?)`,
		tid, c.ID, c.StaffID, c.Type, c.Number, c.FileURL, dateArg(c.IssuedOn), dateArg(c.ExpiresOn), c.Status, c.CreatedAt, c.UpdatedAt).Error
	if dbx.IsConstraint(err, "staff_certificates_type_fk") {
		return invalid("type", "no such certificate type")
	}
	return dbx.Err(err)
}

func (r *Repo) ListCertificates(ctx context.Context, staffID uuid.UUID) ([]staff.Certificate, error) {
	var rows []certRow
	if err := r.db.Conn(ctx).Raw(certSelect+" where staff_id = ? order by created_at desc, id desc", staffID).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]staff.Certificate, 0, len(rows))
	for _, row := range rows {
		out = append(out, certToCore(row))
	}
	return out, nil
}

func (r *Repo) UpdateCertificate(ctx context.Context, staffID, id uuid.UUID, fn func(*staff.Certificate) error) (staff.Certificate, error) {
	var rows []certRow
	if err := r.db.Conn(ctx).Raw(certSelect+" where staff_id = ? and id = ? for update", staffID, id).Scan(&rows).Error; err != nil {
		return staff.Certificate{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return staff.Certificate{}, staff.ErrCertNotFound
	}
	c := certToCore(rows[0])
	if err := fn(&c); err != nil {
		return staff.Certificate{}, err
	}
	err := r.db.Conn(ctx).Exec(`update staff_certificates set status = ?, reject_reason = ?, reviewed_by = ?, reviewed_at = ?,
		updated_at = ? where id = ?`, c.Status, c.RejectReason, nullUUID(c.ReviewedBy), c.ReviewedAt, c.UpdatedAt, id).Error
	return c, dbx.Err(err)
}

type expiringRow struct {
	CertID     uuid.UUID
	StaffID    uuid.UUID
	UserID     uuid.UUID
	StoreID    uuid.UUID
	StaffName  string
	BadgeNo    string
	Type       string
	TypeNameZh string
	TypeNameEn string
	ExpiresOn  string
	Locale     string
}

const expiringSelect = `select c.id as cert_id, c.staff_id, s.user_id, s.store_id, s.display_name as staff_name, s.badge_no,
	c.type, t.name_zh as type_name_zh, t.name_en as type_name_en, to_char(c.expires_on, 'YYYY-MM-DD') as expires_on,
	coalesce(nullif(u.locale, ''), (select tn.locale from tenants tn where tn.id = c.tenant_id)) as locale
	from staff_certificates c
	join staff s on s.tenant_id = c.tenant_id and s.id = c.staff_id
	join stores so on so.tenant_id = s.tenant_id and so.id = s.store_id
	join users u on u.tenant_id = s.tenant_id and u.id = s.user_id
	join certificate_types t on t.tenant_id = c.tenant_id and t.code = c.type`

func expiringToCore(rows []expiringRow) []staff.ExpiringCert {
	out := make([]staff.ExpiringCert, 0, len(rows))
	for _, r := range rows {
		d, _ := staff.ParseDate(r.ExpiresOn)
		out = append(out, staff.ExpiringCert{CertID: r.CertID, StaffID: r.StaffID, UserID: r.UserID, StoreID: r.StoreID,
			StaffName: r.StaffName, BadgeNo: r.BadgeNo, Type: r.Type, TypeNameZh: r.TypeNameZh, TypeNameEn: r.TypeNameEn,
			ExpiresOn: *d, Locale: r.Locale})
	}
	return out
}

// CertsToWarn locks approved certificates not yet warned about that expire within `within`
// days of now (the calendar day at the holder's home store), skipping rows another run holds.
func (r *Repo) CertsToWarn(ctx context.Context, now time.Time, within int) ([]staff.ExpiringCert, error) {
	var rows []expiringRow
	err := r.db.Conn(ctx).Raw(expiringSelect+` where c.status = 'approved' and c.warned_at is null and c.expires_on is not null
		and c.expires_on >= (cast(? as timestamptz) at time zone so.time_zone)::date
		and c.expires_on <= (cast(? as timestamptz) at time zone so.time_zone)::date + ?::int
		order by c.expires_on, c.id for update of c skip locked`, now, now, within).Scan(&rows).Error
	if err != nil {
		return nil, dbx.Err(err)
	}
	return expiringToCore(rows), nil
}

func (r *Repo) MarkWarned(ctx context.Context, ids []uuid.UUID, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return dbx.Err(r.db.Conn(ctx).Exec(`update staff_certificates set warned_at = ? where id in ?`, at, ids).Error)
}

// ExpireCerts marks approved certificates whose last valid day has passed as expired and
// returns them.
func (r *Repo) ExpireCerts(ctx context.Context, now time.Time) ([]staff.ExpiringCert, error) {
	var ids []uuid.UUID
	err := r.db.Conn(ctx).Raw(`update staff_certificates c set status = 'expired', updated_at = cast(? as timestamptz)
		from staff s join stores so on so.tenant_id = s.tenant_id and so.id = s.store_id
		where s.tenant_id = c.tenant_id and s.id = c.staff_id and c.status = 'approved' and c.expires_on is not null
		  and c.expires_on < (cast(? as timestamptz) at time zone so.time_zone)::date
		returning c.id`, now, now).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return nil, dbx.Err(err)
	}
	var rows []expiringRow
	if err := r.db.Conn(ctx).Raw(expiringSelect+` where c.id in ? order by c.expires_on, c.id`, ids).Scan(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	return expiringToCore(rows), nil
}
