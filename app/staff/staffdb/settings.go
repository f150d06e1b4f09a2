package staffdb

import (
	"context"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
	"doorstep/app/staff"
)

type levelRow struct {
	TenantID  uuid.UUID
	ID        uuid.UUID
	Code      string
	NameZh    string
	NameEn    string
	Rank      int
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (levelRow) TableName() string { return "staff_levels" }

func levelToCore(r levelRow) staff.Level {
	return staff.Level{ID: r.ID, Code: r.Code, NameZh: r.NameZh, NameEn: r.NameEn, Rank: r.Rank, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func levelErr(err error) error {
	switch {
	case dbx.IsConstraint(err, "staff_levels_code_key"):
		return staff.ErrLevelCodeTaken
	case dbx.IsConstraint(err, "staff_levels_rank_key"):
		return staff.ErrLevelRankTaken
	}
	return dbx.Err(err)
}

func (r *Repo) ListLevels(ctx context.Context) ([]staff.Level, error) {
	var rows []levelRow
	if err := r.db.Conn(ctx).Order("rank, id").Find(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]staff.Level, 0, len(rows))
	for _, row := range rows {
		out = append(out, levelToCore(row))
	}
	return out, nil
}

func (r *Repo) getLevel(ctx context.Context, id uuid.UUID, lock bool) (staff.Level, error) {
	var rows []levelRow
	q := "select * from staff_levels where id = ?"
	if lock {
		q += " for update"
	}
	if err := r.db.Conn(ctx).Raw(q, id).Scan(&rows).Error; err != nil {
		return staff.Level{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return staff.Level{}, staff.ErrLevelNotFound
	}
	return levelToCore(rows[0]), nil
}

func (r *Repo) GetLevel(ctx context.Context, id uuid.UUID) (staff.Level, error) {
	return r.getLevel(ctx, id, false)
}

func (r *Repo) CreateLevel(ctx context.Context, l staff.Level) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := levelRow{TenantID: tid, ID: l.ID, Code: l.Code, NameZh: l.NameZh, NameEn: l.NameEn, Rank: l.Rank, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}
	return levelErr(r.db.Conn(ctx).Create(&row).Error)
}

func (r *Repo) UpdateLevel(ctx context.Context, id uuid.UUID, fn func(*staff.Level) error) (staff.Level, error) {
	l, err := r.getLevel(ctx, id, true)
	if err != nil {
		return staff.Level{}, err
	}
	if err := fn(&l); err != nil {
		return staff.Level{}, err
	}
	err = r.db.Conn(ctx).Exec(`update staff_levels set code = ?, name_zh = ?, name_en = ?, rank = ?, updated_at = ? where id = ?`,
		l.Code, l.NameZh, l.NameEn, l.Rank, l.UpdatedAt, id).Error
	if err != nil {
		return staff.Level{}, levelErr(err)
	}
	return l, nil
}

func (r *Repo) DeleteLevel(ctx context.Context, id uuid.UUID) error {
	res := r.db.Conn(ctx).Exec("delete from staff_levels where id = ?", id)
	if res.Error != nil {
		if pe, ok := dbx.PgError(res.Error); ok && pe.Code == "23503" {
			return staff.ErrInUse
		}
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return staff.ErrLevelNotFound
	}
	return nil
}

type certTypeRow struct {
	TenantID  uuid.UUID
	Code      string
	NameZh    string
	NameEn    string
	Mandatory bool
	CreatedAt time.Time
}

func (certTypeRow) TableName() string { return "certificate_types" }

func certTypeToCore(r certTypeRow) staff.CertType {
	return staff.CertType{Code: r.Code, NameZh: r.NameZh, NameEn: r.NameEn, Mandatory: r.Mandatory, CreatedAt: r.CreatedAt}
}

func (r *Repo) ListCertTypes(ctx context.Context) ([]staff.CertType, error) {
	var rows []certTypeRow
	if err := r.db.Conn(ctx).Order("code").Find(&rows).Error; err != nil {
		return nil, dbx.Err(err)
	}
	out := make([]staff.CertType, 0, len(rows))
	for _, row := range rows {
		out = append(out, certTypeToCore(row))
	}
	return out, nil
}

func (r *Repo) CreateCertType(ctx context.Context, c staff.CertType) error {
	tid, err := dbx.RequireTenant(ctx)
	if err != nil {
		return err
	}
	row := certTypeRow{TenantID: tid, Code: c.Code, NameZh: c.NameZh, NameEn: c.NameEn, Mandatory: c.Mandatory, CreatedAt: c.CreatedAt}
	err = r.db.Conn(ctx).Create(&row).Error
	if dbx.IsConstraint(err, "certificate_types_pkey") {
		return staff.ErrCertTypeTaken
	}
	return dbx.Err(err)
}

func (r *Repo) UpdateCertType(ctx context.Context, code string, fn func(*staff.CertType) error) (staff.CertType, error) {
	var rows []certTypeRow
	if err := r.db.Conn(ctx).Raw("select * from certificate_types where code = ? for update", code).Scan(&rows).Error; err != nil {
		return staff.CertType{}, dbx.Err(err)
	}
	if len(rows) == 0 {
		return staff.CertType{}, staff.ErrCertTypeNotFound
	}
	c := certTypeToCore(rows[0])
	if err := fn(&c); err != nil {
		return staff.CertType{}, err
	}
	err := r.db.Conn(ctx).Exec(`update certificate_types set name_zh = ?, name_en = ?, mandatory = ? where code = ?`,
		c.NameZh, c.NameEn, c.Mandatory, code).Error
	return c, dbx.Err(err)
}

func (r *Repo) DeleteCertType(ctx context.Context, code string) error {
	res := r.db.Conn(ctx).Exec("delete from certificate_types where code = ?", code)
	if res.Error != nil {
		if pe, ok := dbx.PgError(res.Error); ok && pe.Code == "23503" {
			return staff.ErrInUse
		}
		return dbx.Err(res.Error)
	}
	if res.RowsAffected == 0 {
		return staff.ErrCertTypeNotFound
	}
	return nil
}
