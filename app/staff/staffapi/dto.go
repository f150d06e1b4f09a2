package staffapi

import (
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/geo"
	"doorstep/app/kit/phone"
	"doorstep/app/staff"
)

// AreaDTO is a service area: the home store's territory, an own GeoJSON polygon, or a radius
// in metres around home.
type AreaDTO struct {
	Kind    string       `json:"kind" enum:"store,polygon,radius"`
	Polygon *geo.Polygon `json:"polygon,omitempty"`
	Home    *geo.Point   `json:"home,omitempty"`
	RadiusM int          `json:"radius_m,omitempty" minimum:"0"`
}

func toArea(a AreaDTO) staff.Area {
	return staff.Area{Kind: a.Kind, Polygon: a.Polygon, Home: a.Home, RadiusM: a.RadiusM}
}

func toAreaDTO(a staff.Area) AreaDTO {
	return AreaDTO{Kind: a.Kind, Polygon: a.Polygon, Home: a.Home, RadiusM: a.RadiusM}
}

// SkillDTO names a service or a category (covering its services and subcategories).
type SkillDTO struct {
	ServiceID  *uuid.UUID `json:"service_id,omitempty"`
	CategoryID *uuid.UUID `json:"category_id,omitempty"`
}

func toSkills(in []SkillDTO) []staff.Skill {
	out := make([]staff.Skill, 0, len(in))
	for _, s := range in {
		var k staff.Skill
		if s.ServiceID != nil {
			k.ServiceID = *s.ServiceID
		}
		if s.CategoryID != nil {
			k.CategoryID = *s.CategoryID
		}
		out = append(out, k)
	}
	return out
}

func toSkillDTOs(in []staff.Skill) []SkillDTO {
	out := make([]SkillDTO, 0, len(in))
	for _, s := range in {
		var d SkillDTO
		if s.ServiceID != uuid.Nil {
			id := s.ServiceID
			d.ServiceID = &id
		}
		if s.CategoryID != uuid.Nil {
			id := s.CategoryID
			d.CategoryID = &id
		}
		out = append(out, d)
	}
	return out
}

// HoursDTO is one working range on a weekday (0 = Sunday) in the home store's time zone.
type HoursDTO struct {
	Weekday int    `json:"weekday" minimum:"0" maximum:"6"`
	Start   string `json:"start" example:"08:00"`
	End     string `json:"end" example:"18:00"`
}

func toHours(in []HoursDTO) []staff.Hours {
	out := make([]staff.Hours, 0, len(in))
	for _, h := range in {
		out = append(out, staff.Hours{Weekday: h.Weekday, Start: h.Start, End: h.End})
	}
	return out
}

func toHoursDTOs(in []staff.Hours) []HoursDTO {
	out := make([]HoursDTO, 0, len(in))
	for _, h := range in {
		out = append(out, HoursDTO{Weekday: h.Weekday, Start: h.Start, End: h.End})
	}
	return out
}

// StaffDTO is a staff profile; the phone is masked for callers without staff:phone.
type StaffDTO struct {
	ID              uuid.UUID  `json:"id"`
	UserID          uuid.UUID  `json:"user_id"`
	StoreID         uuid.UUID  `json:"store_id"`
	LevelID         *uuid.UUID `json:"level_id"`
	BadgeNo         string     `json:"badge_no"`
	DisplayName     string     `json:"display_name"`
	PhotoURL        string     `json:"photo_url"`
	Phone           string     `json:"phone"`
	YearsExperience int        `json:"years_experience"`
	Bio             string     `json:"bio"`
	Status          string     `json:"status" enum:"onboarding,active,suspended,left"`
	Area            AreaDTO    `json:"area"`
	Skills          []SkillDTO `json:"skills,omitempty" doc:"Only in single-profile answers"`
	Hours           []HoursDTO `json:"hours,omitempty" doc:"Only in single-profile answers"`
	LastLocation    *geo.Point `json:"last_location"`
	LocatedAt       *time.Time `json:"located_at"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

func toStaffDTO(s staff.Staff, showPhone bool) StaffDTO {
	d := StaffDTO{ID: s.ID, UserID: s.UserID, StoreID: s.StoreID, BadgeNo: s.BadgeNo, DisplayName: s.DisplayName, PhotoURL: s.PhotoURL,
		Phone: s.Phone, YearsExperience: s.YearsExperience, Bio: s.Bio, Status: s.Status, Area: toAreaDTO(s.Area),
		LastLocation: s.LastLocation, LocatedAt: s.LocatedAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if !showPhone {
		d.Phone = phone.Mask(s.Phone)
	}
	if s.LevelID != uuid.Nil {
		id := s.LevelID
		d.LevelID = &id
	}
	if s.Skills != nil {
		d.Skills = toSkillDTOs(s.Skills)
	}
	if s.Hours != nil {
		d.Hours = toHoursDTOs(s.Hours)
	}
	return d
}

// NewStaffDTO creates a profile for an existing user account.
type NewStaffDTO struct {
	UserID          uuid.UUID  `json:"user_id"`
	StoreID         uuid.UUID  `json:"store_id"`
	LevelID         *uuid.UUID `json:"level_id,omitempty"`
	BadgeNo         string     `json:"badge_no" pattern:"^[A-Za-z0-9_-]{1,32}$" doc:"Badge number (工号), unique in the tenant"`
	DisplayName     string     `json:"display_name" minLength:"1" maxLength:"100"`
	PhotoURL        string     `json:"photo_url,omitempty" maxLength:"1000"`
	Phone           string     `json:"phone,omitempty" maxLength:"32"`
	YearsExperience int        `json:"years_experience,omitempty" minimum:"0" maximum:"80"`
	Bio             string     `json:"bio,omitempty" maxLength:"2000"`
	Status          string     `json:"status,omitempty" enum:"onboarding,active,suspended,left"`
	Area            *AreaDTO   `json:"area,omitempty"`
	Skills          []SkillDTO `json:"skills,omitempty" maxItems:"200"`
	Hours           []HoursDTO `json:"hours,omitempty" maxItems:"56"`
}

// StaffPatch changes a profile; area replaces the whole area.
type StaffPatch struct {
	StoreID         *uuid.UUID `json:"store_id,omitempty"`
	LevelID         *uuid.UUID `json:"level_id,omitempty" doc:"The nil UUID clears the level"`
	BadgeNo         *string    `json:"badge_no,omitempty" pattern:"^[A-Za-z0-9_-]{1,32}$"`
	DisplayName     *string    `json:"display_name,omitempty" minLength:"1" maxLength:"100"`
	PhotoURL        *string    `json:"photo_url,omitempty" maxLength:"1000"`
	Phone           *string    `json:"phone,omitempty" maxLength:"32" doc:"Empty clears the phone"`
	YearsExperience *int       `json:"years_experience,omitempty" minimum:"0" maximum:"80"`
	Bio             *string    `json:"bio,omitempty" maxLength:"2000"`
	Area            *AreaDTO   `json:"area,omitempty"`
}

// LevelDTO is a staff level.
type LevelDTO struct {
	ID        uuid.UUID `json:"id"`
	Code      string    `json:"code"`
	NameZh    string    `json:"name_zh"`
	NameEn    string    `json:"name_en"`
	Rank      int       `json:"rank" doc:"Higher is more senior"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toLevelDTO(l staff.Level) LevelDTO {
	return LevelDTO{ID: l.ID, Code: l.Code, NameZh: l.NameZh, NameEn: l.NameEn, Rank: l.Rank, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}
}

// NewLevelDTO creates a level.
type NewLevelDTO struct {
	Code   string `json:"code" pattern:"^[a-z][a-z0-9_]{0,31}$"`
	NameZh string `json:"name_zh" minLength:"1" maxLength:"50"`
	NameEn string `json:"name_en" minLength:"1" maxLength:"50"`
	Rank   int    `json:"rank" minimum:"1" maximum:"100"`
}

// LevelPatch changes a level.
type LevelPatch struct {
	Code   *string `json:"code,omitempty" pattern:"^[a-z][a-z0-9_]{0,31}$"`
	NameZh *string `json:"name_zh,omitempty" minLength:"1" maxLength:"50"`
	NameEn *string `json:"name_en,omitempty" minLength:"1" maxLength:"50"`
	Rank   *int    `json:"rank,omitempty" minimum:"1" maximum:"100"`
}

// CertTypeDTO is a certificate type.
type CertTypeDTO struct {
	Code      string    `json:"code"`
	NameZh    string    `json:"name_zh"`
	NameEn    string    `json:"name_en"`
	Mandatory bool      `json:"mandatory" doc:"Required of every staff member, whatever the service"`
	CreatedAt time.Time `json:"created_at"`
}

func toCertTypeDTO(c staff.CertType) CertTypeDTO {
	return CertTypeDTO{Code: c.Code, NameZh: c.NameZh, NameEn: c.NameEn, Mandatory: c.Mandatory, CreatedAt: c.CreatedAt}
}

// NewCertTypeDTO creates a certificate type.
type NewCertTypeDTO struct {
	Code      string `json:"code" pattern:"^[a-z][a-z0-9_]{0,31}$"`
	NameZh    string `json:"name_zh" minLength:"1" maxLength:"50"`
	NameEn    string `json:"name_en" minLength:"1" maxLength:"50"`
	Mandatory bool   `json:"mandatory,omitempty"`
}

// CertTypePatch changes a certificate type.
type CertTypePatch struct {
	NameZh    *string `json:"name_zh,omitempty" minLength:"1" maxLength:"50"`
	NameEn    *string `json:"name_en,omitempty" minLength:"1" maxLength:"50"`
	Mandatory *bool   `json:"mandatory,omitempty"`
}

// CertificateDTO is a qualification document.
type CertificateDTO struct {
	ID           uuid.UUID  `json:"id"`
	StaffID      uuid.UUID  `json:"staff_id"`
	Type         string     `json:"type"`
	Number       string     `json:"number"`
	FileURL      string     `json:"file_url"`
	IssuedOn     string     `json:"issued_on,omitempty" format:"date"`
	ExpiresOn    string     `json:"expires_on,omitempty" format:"date"`
	Status       string     `json:"status" enum:"pending,approved,rejected,expired"`
	RejectReason string     `json:"reject_reason,omitempty"`
	ReviewedBy   *uuid.UUID `json:"reviewed_by,omitempty"`
	ReviewedAt   *time.Time `json:"reviewed_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

func dateStr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

func toCertificateDTO(c staff.Certificate) CertificateDTO {
	d := CertificateDTO{ID: c.ID, StaffID: c.StaffID, Type: c.Type, Number: c.Number, FileURL: c.FileURL, IssuedOn: dateStr(c.IssuedOn),
		ExpiresOn: dateStr(c.ExpiresOn), Status: c.Status, RejectReason: c.RejectReason, ReviewedAt: c.ReviewedAt, CreatedAt: c.CreatedAt}
	if c.ReviewedBy != uuid.Nil {
		id := c.ReviewedBy
		d.ReviewedBy = &id
	}
	return d
}

// NewCertificateDTO uploads a certificate (the file itself lives in object storage).
type NewCertificateDTO struct {
	Type      string `json:"type" pattern:"^[a-z][a-z0-9_]{0,31}$" doc:"A certificate type code"`
	Number    string `json:"number,omitempty" maxLength:"100"`
	FileURL   string `json:"file_url,omitempty" maxLength:"1000"`
	IssuedOn  string `json:"issued_on,omitempty" format:"date"`
	ExpiresOn string `json:"expires_on,omitempty" format:"date" doc:"Last valid day; empty: does not expire"`
}

func toNewCertificate(b NewCertificateDTO) staff.NewCertificate {
	return staff.NewCertificate{Type: b.Type, Number: b.Number, FileURL: b.FileURL, IssuedOn: b.IssuedOn, ExpiresOn: b.ExpiresOn}
}

// ReviewDTO approves or rejects a pending certificate.
type ReviewDTO struct {
	Decision string `json:"decision" enum:"approve,reject"`
	Reason   string `json:"reason,omitempty" maxLength:"500" doc:"Required to reject"`
}

// ExceptionDTO is leave or an extra shift.
type ExceptionDTO struct {
	ID        uuid.UUID `json:"id"`
	StaffID   uuid.UUID `json:"staff_id"`
	Kind      string    `json:"kind" enum:"leave,extra"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

func toExceptionDTO(e staff.Exception) ExceptionDTO {
	return ExceptionDTO{ID: e.ID, StaffID: e.StaffID, Kind: e.Kind, Start: e.Start, End: e.End, Note: e.Note, CreatedAt: e.CreatedAt}
}

// NewExceptionDTO adds leave or an extra shift.
type NewExceptionDTO struct {
	Kind  string    `json:"kind" enum:"leave,extra"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Note  string    `json:"note,omitempty" maxLength:"500"`
}

// LeaveDTO is a staff member's own leave.
type LeaveDTO struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Note  string    `json:"note,omitempty" maxLength:"500"`
}

// CandidateDTO is an eligible staff member.
type CandidateDTO struct {
	StaffID      uuid.UUID  `json:"staff_id"`
	StoreID      uuid.UUID  `json:"store_id"`
	LevelID      *uuid.UUID `json:"level_id"`
	LevelRank    int        `json:"level_rank"`
	BadgeNo      string     `json:"badge_no"`
	DisplayName  string     `json:"display_name"`
	DistanceM    float64    `json:"distance_m" doc:"-1 when no location is known"`
	DistanceFrom string     `json:"distance_from" enum:"last_location,home,store,"`
	LocatedAt    *time.Time `json:"located_at"`
}

func toCandidateDTO(c staff.Candidate) CandidateDTO {
	d := CandidateDTO{StaffID: c.StaffID, StoreID: c.StoreID, LevelRank: c.LevelRank, BadgeNo: c.BadgeNo, DisplayName: c.DisplayName,
		DistanceM: c.DistanceM, DistanceFrom: c.DistanceFrom, LocatedAt: c.LocatedAt}
	if c.LevelID != uuid.Nil {
		id := c.LevelID
		d.LevelID = &id
	}
	return d
}

// LocationDTO is where the caller is now.
type LocationDTO struct {
	Location geo.Point `json:"location"`
}
