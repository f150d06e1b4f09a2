// Package staff owns the staff roster: profiles linked to user accounts (badge number, level,
// home store, status, skills), qualification certificates with their review and expiry,
// weekly working hours with exceptions (leave, extra shifts), service areas and the last known
// location, plus the tenant's staff levels and certificate types. Its eligibility query tells
// booking and dispatch who can serve a service at an address during an interval.
package staff

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/kit/page"
)

// Statuses of a staff member. Only active staff are eligible for work.
const (
	StatusOnboarding = "onboarding"
	StatusActive     = "active"
	StatusSuspended  = "suspended"
	StatusLeft       = "left"
)

// Service-area kinds.
const (
	AreaStore   = "store"   // the home store's territory
	AreaPolygon = "polygon" // an own polygon
	AreaRadius  = "radius"  // a radius around the home point
)

// Certificate statuses: uploaded certificates wait for review; approved ones expire.
const (
	CertPending  = "pending"
	CertApproved = "approved"
	CertRejected = "rejected"
	CertExpired  = "expired"
)

// Exception kinds.
const (
	ExceptionLeave = "leave"
	ExceptionExtra = "extra"
)

// Level is a tenant-defined staff level; a higher Rank is more senior.
type Level struct {
	ID        uuid.UUID
	Code      string
	NameZh    string
	NameEn    string
	Rank      int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CertType is a kind of qualification document. Mandatory types are required of everybody.
type CertType struct {
	Code      string
	NameZh    string
	NameEn    string
	Mandatory bool
	CreatedAt time.Time
}

// Area is where a staff member works.
type Area struct {
	Kind    string
	Polygon *geo.Polygon // AreaPolygon
	Home    *geo.Point   // AreaRadius (and, optionally, any kind: where distances start)
	RadiusM int          // AreaRadius
}

// Skill is a service or a category (covering its services and subcategories); exactly one
// of the two is set.
type Skill struct {
	ServiceID  uuid.UUID
	CategoryID uuid.UUID
}

// Hours is one working range on a weekday (0 = Sunday) in the home store's time zone,
// "HH:MM" to "HH:MM" (End may be "24:00").
type Hours struct {
	Weekday int
	Start   string
	End     string
}

// Staff is a staff member's profile.
type Staff struct {
	ID              uuid.UUID
	UserID          uuid.UUID
	StoreID         uuid.UUID
	FranchiseeID    uuid.UUID // of the home store (read only; decides data scope)
	LevelID         uuid.UUID // uuid.Nil: no level yet
	BadgeNo         string
	DisplayName     string
	PhotoURL        string
	Phone           string // E.164
	YearsExperience int
	Bio             string
	Status          string
	Area            Area
	Skills          []Skill // filled by Get, not by List
	Hours           []Hours // filled by Get, not by List
	LastLocation    *geo.Point
	LocatedAt       *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Certificate is an uploaded qualification document. Dates are calendar days (UTC midnight).
type Certificate struct {
	ID           uuid.UUID
	StaffID      uuid.UUID
	Type         string
	Number       string
	FileURL      string
	IssuedOn     *time.Time
	ExpiresOn    *time.Time
	Status       string
	RejectReason string
	ReviewedBy   uuid.UUID
	ReviewedAt   *time.Time
	WarnedAt     *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Exception is leave or an extra shift over [Start, End).
type Exception struct {
	ID        uuid.UUID
	StaffID   uuid.UUID
	Kind      string
	Start     time.Time
	End       time.Time
	Note      string
	CreatedBy uuid.UUID
	CreatedAt time.Time
}

// Filter narrows a listing; Only* fields are set by the service from the principal's scope.
type Filter struct {
	StoreID    uuid.UUID
	Status     string
	SkillID    uuid.UUID // a service or category id the staff member lists as a skill
	LevelID    uuid.UUID
	Query      string // name, badge number or phone
	OnlyStore  uuid.UUID
	OnlyFranch uuid.UUID
	OnlyUser   uuid.UUID
}

// ExpiringCert is a certificate the expiry job acts on, with who to tell.
type ExpiringCert struct {
	CertID     uuid.UUID
	StaffID    uuid.UUID
	UserID     uuid.UUID
	StoreID    uuid.UUID
	StaffName  string
	BadgeNo    string
	Type       string
	TypeNameZh string
	TypeNameEn string
	ExpiresOn  time.Time
	Locale     string // the staff member's account locale ("" = the default)
}

// Errors with stable codes.
var (
	ErrNotFound          = errs.New(errs.NotFound, "staff_not_found", "no such staff member")
	ErrNoProfile         = errs.New(errs.NotFound, "staff_profile_not_found", "your account has no staff profile")
	ErrLevelNotFound     = errs.New(errs.NotFound, "staff_level_not_found", "no such staff level")
	ErrCertTypeNotFound  = errs.New(errs.NotFound, "certificate_type_not_found", "no such certificate type")
	ErrCertNotFound      = errs.New(errs.NotFound, "certificate_not_found", "no such certificate")
	ErrExceptionNotFound = errs.New(errs.NotFound, "exception_not_found", "no such hours exception")
	ErrBadgeTaken        = errs.New(errs.Conflict, "badge_taken", "another staff member has this badge number")
	ErrUserHasProfile    = errs.New(errs.Conflict, "staff_profile_exists", "this account already has a staff profile")
	ErrLevelCodeTaken    = errs.New(errs.Conflict, "level_code_taken", "another level has this code")
	ErrLevelRankTaken    = errs.New(errs.Conflict, "level_rank_taken", "another level has this rank")
	ErrCertTypeTaken     = errs.New(errs.Conflict, "certificate_type_taken", "a certificate type with this code exists")
	ErrInUse             = errs.New(errs.Conflict, "in_use", "the resource is still referenced")
	ErrAlreadyReviewed   = errs.New(errs.Conflict, "certificate_reviewed", "the certificate is not pending review")
	// ErrOutOfScope is org's code for the same refusal, so clients see one code.
	ErrOutOfScope = errs.New(errs.Forbidden, "out_of_scope", "this is outside your part of the organisation")
)

// Repo is the persistence the service needs.
type Repo interface {
	ListLevels(ctx context.Context) ([]Level, error)
	GetLevel(ctx context.Context, id uuid.UUID) (Level, error)
	CreateLevel(ctx context.Context, l Level) error
	UpdateLevel(ctx context.Context, id uuid.UUID, fn func(*Level) error) (Level, error)
	DeleteLevel(ctx context.Context, id uuid.UUID) error
	ListCertTypes(ctx context.Context) ([]CertType, error)
	CreateCertType(ctx context.Context, c CertType) error
	UpdateCertType(ctx context.Context, code string, fn func(*CertType) error) (CertType, error)
	DeleteCertType(ctx context.Context, code string) error

	Create(ctx context.Context, s Staff) error
	Get(ctx context.Context, id uuid.UUID) (Staff, error)
	GetByUser(ctx context.Context, userID uuid.UUID) (Staff, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*Staff) error) (Staff, error)
	List(ctx context.Context, f Filter, p page.Request) (page.Result[Staff], error)
	SetSkills(ctx context.Context, id uuid.UUID, skills []Skill) error
	SetHours(ctx context.Context, id uuid.UUID, hours []Hours) error
	SetLocation(ctx context.Context, id uuid.UUID, at geo.Point, when time.Time) error
	StoreFranchisee(ctx context.Context, storeID uuid.UUID) (uuid.UUID, error)
	UserExists(ctx context.Context, userID uuid.UUID) (bool, error)

	AddException(ctx context.Context, e Exception) error
	ListExceptions(ctx context.Context, staffID uuid.UUID, from, to time.Time) ([]Exception, error)
	DeleteException(ctx context.Context, staffID, id uuid.UUID) (Exception, error)

	AddCertificate(ctx context.Context, c Certificate) error
	ListCertificates(ctx context.Context, staffID uuid.UUID) ([]Certificate, error)
	UpdateCertificate(ctx context.Context, staffID, id uuid.UUID, fn func(*Certificate) error) (Certificate, error)

	CertsToWarn(ctx context.Context, now time.Time, within int) ([]ExpiringCert, error)
	MarkWarned(ctx context.Context, ids []uuid.UUID, at time.Time) error
	ExpireCerts(ctx context.Context, now time.Time) ([]ExpiringCert, error)

	Eligible(ctx context.Context, q EligibleQuery) ([]Candidate, error)
}

var (
	badgeRe    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	levelRe    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	hhmmRe     = regexp.MustCompile(`^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$`)
	validState = map[string]bool{StatusOnboarding: true, StatusActive: true, StatusSuspended: true, StatusLeft: true}
)

// Minutes parses "HH:MM" into minutes after midnight.
func Minutes(hhmm string) int {
	h, _ := strconv.Atoi(hhmm[:2])
	m, _ := strconv.Atoi(hhmm[3:])
	return h*60 + m
}

// HHMM formats minutes after midnight.
func HHMM(min int) string {
	return pad(min/60) + ":" + pad(min%60)
}

func pad(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func validateProfile(s Staff, v *errs.Validation) {
	v.Check(badgeRe.MatchString(s.BadgeNo), "badge_no", "1 to 32 letters, digits, dashes or underscores")
	v.Check(strings.TrimSpace(s.DisplayName) != "" && len([]rune(s.DisplayName)) <= 100, "display_name", "must be 1 to 100 characters")
	v.Check(len(s.PhotoURL) <= 1000 && (s.PhotoURL == "" || strings.HasPrefix(s.PhotoURL, "https://") || strings.HasPrefix(s.PhotoURL, "http://")), "photo_url", "an http(s) URL of at most 1000 characters")
	v.Check(s.YearsExperience >= 0 && s.YearsExperience <= 80, "years_experience", "0 to 80")
	v.Check(len([]rune(s.Bio)) <= 2000, "bio", "at most 2000 characters")
	v.Check(validState[s.Status], "status", "onboarding, active, suspended or left")
	validateArea(s.Area, v)
}

func validateArea(a Area, v *errs.Validation) {
	switch a.Kind {
	case AreaStore:
	case AreaPolygon:
		if a.Polygon == nil {
			v.Add("area.polygon", "required for a polygon area")
		} else if msg := a.Polygon.Check(); msg != "" {
			v.Add("area.polygon", msg)
		}
	case AreaRadius:
		v.Check(a.Home != nil, "area.home", "required for a radius area")
		v.Check(a.RadiusM > 0 && a.RadiusM <= 200000, "area.radius_m", "greater than 0 and at most 200000 metres")
	default:
		v.Add("area.kind", "store, polygon or radius")
	}
	if a.Home != nil {
		v.Check(a.Home.Lng >= -180 && a.Home.Lng <= 180 && a.Home.Lat >= -90 && a.Home.Lat <= 90, "area.home", "longitude -180..180, latitude -90..90")
	}
}

func validateHours(hours []Hours, v *errs.Validation) {
	type span struct{ s, e int }
	byDay := map[int][]span{}
	for i, h := range hours {
		f := "hours[" + strconv.Itoa(i) + "]"
		if h.Weekday < 0 || h.Weekday > 6 {
			v.Add(f+".weekday", "0 (Sunday) to 6")
			continue
		}
		if !hhmmRe.MatchString(h.Start) || !hhmmRe.MatchString(h.End) || h.Start == "24:00" {
			v.Add(f, "start and end are HH:MM")
			continue
		}
		s, e := Minutes(h.Start), Minutes(h.End)
		if s >= e {
			v.Add(f, "start must be before end")
			continue
		}
		for _, o := range byDay[h.Weekday] {
			if s < o.e && o.s < e {
				v.Add(f, "overlaps another range of the same day")
				break
			}
		}
		byDay[h.Weekday] = append(byDay[h.Weekday], span{s, e})
	}
	v.Check(len(hours) <= 7*8, "hours", "at most 56 ranges")
}

func validateLevel(l Level, v *errs.Validation) {
	v.Check(levelRe.MatchString(l.Code), "code", "lower-case letter, then up to 31 lower-case letters, digits or underscores")
	v.Check(strings.TrimSpace(l.NameZh) != "" && len([]rune(l.NameZh)) <= 50, "name_zh", "1 to 50 characters")
	v.Check(strings.TrimSpace(l.NameEn) != "" && len([]rune(l.NameEn)) <= 50, "name_en", "1 to 50 characters")
	v.Check(l.Rank >= 1 && l.Rank <= 100, "rank", "1 to 100")
}

func validateCertType(c CertType, v *errs.Validation) {
	v.Check(levelRe.MatchString(c.Code), "code", "lower-case letter, then up to 31 lower-case letters, digits or underscores")
	v.Check(strings.TrimSpace(c.NameZh) != "" && len([]rune(c.NameZh)) <= 50, "name_zh", "1 to 50 characters")
	v.Check(strings.TrimSpace(c.NameEn) != "" && len([]rune(c.NameEn)) <= 50, "name_en", "1 to 50 characters")
}

func validateCertificate(c Certificate, v *errs.Validation) {
	v.Check(levelRe.MatchString(c.Type), "type", "a certificate type code")
	v.Check(len(c.Number) <= 100, "number", "at most 100 characters")
	v.Check(len(c.FileURL) <= 1000 && (c.FileURL == "" || strings.HasPrefix(c.FileURL, "https://") || strings.HasPrefix(c.FileURL, "http://")), "file_url", "an http(s) URL of at most 1000 characters")
	if c.IssuedOn != nil && c.ExpiresOn != nil {
		v.Check(!c.ExpiresOn.Before(*c.IssuedOn), "expires_on", "must not be before issued_on")
	}
}

// ParseDate parses a "YYYY-MM-DD" calendar day ("" is nil).
func ParseDate(s string) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, false
	}
	return &d, true
}
