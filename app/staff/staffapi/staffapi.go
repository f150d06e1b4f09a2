// Package staffapi exposes the staff roster: profiles, skills, hours, exceptions,
// certificates and their review, levels and certificate types, the eligibility query, and
// the staff member's own self-service operations.
package staffapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/kit/httpx"
	"doorstep/app/staff"
)

type api struct{ svc *staff.Service }

// Register adds the roster operations.
func Register(h huma.API, svc *staff.Service) {
	a := api{svc: svc}
	reg := func(id, method, path, summary, perm string, tag string, status int) huma.Operation {
		op := huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: []string{tag}, DefaultStatus: status}
		return httpx.Op(op, httpx.Access{Audience: httpx.Staff, Permission: perm})
	}
	const settings, roster, self = "Staff settings", "Staff", "Staff self-service"
	huma.Register(h, reg("list-staff-levels", http.MethodGet, "/api/v1/staff-levels", "List staff levels", "staff:read", settings, 0), a.listLevels)
	huma.Register(h, reg("create-staff-level", http.MethodPost, "/api/v1/staff-levels", "Create a staff level (HQ)", "staff:write", settings, http.StatusCreated), a.createLevel)
	huma.Register(h, reg("update-staff-level", http.MethodPatch, "/api/v1/staff-levels/{id}", "Change a staff level (HQ)", "staff:write", settings, 0), a.updateLevel)
	huma.Register(h, reg("delete-staff-level", http.MethodDelete, "/api/v1/staff-levels/{id}", "Delete an unused staff level (HQ)", "staff:write", settings, http.StatusNoContent), a.deleteLevel)
	huma.Register(h, reg("list-certificate-types", http.MethodGet, "/api/v1/certificate-types", "List certificate types", "staff:read", settings, 0), a.listCertTypes)
	huma.Register(h, reg("create-certificate-type", http.MethodPost, "/api/v1/certificate-types", "Create a certificate type (HQ)", "staff:write", settings, http.StatusCreated), a.createCertType)
	huma.Register(h, reg("update-certificate-type", http.MethodPatch, "/api/v1/certificate-types/{code}", "Change a certificate type (HQ)", "staff:write", settings, 0), a.updateCertType)
	huma.Register(h, reg("delete-certificate-type", http.MethodDelete, "/api/v1/certificate-types/{code}", "Delete an unused certificate type (HQ)", "staff:write", settings, http.StatusNoContent), a.deleteCertType)

	huma.Register(h, reg("list-staff", http.MethodGet, "/api/v1/staff", "List staff in your scope", "staff:read", roster, 0), a.list)
	huma.Register(h, reg("create-staff", http.MethodPost, "/api/v1/staff", "Create a staff profile for a user account", "staff:write", roster, http.StatusCreated), a.create)
	huma.Register(h, reg("get-staff", http.MethodGet, "/api/v1/staff/{id}", "Get a staff profile", "staff:read", roster, 0), a.get)
	huma.Register(h, reg("reveal-staff-phone", http.MethodPost, "/api/v1/staff/{id}/phone", "Show a staff member's full phone number (audited)", "staff:phone", roster, 0), a.revealPhone)
	huma.Register(h, reg("update-staff", http.MethodPatch, "/api/v1/staff/{id}", "Change a staff profile", "staff:write", roster, 0), a.update)
	huma.Register(h, reg("set-staff-status", http.MethodPost, "/api/v1/staff/{id}/status", "Change a staff member's status", "staff:write", roster, 0), a.setStatus)
	huma.Register(h, reg("set-staff-skills", http.MethodPut, "/api/v1/staff/{id}/skills", "Replace a staff member's skills", "staff:write", roster, 0), a.setSkills)
	huma.Register(h, reg("set-staff-hours", http.MethodPut, "/api/v1/staff/{id}/hours", "Replace a staff member's weekly hours", "staff:write", roster, 0), a.setHours)
	huma.Register(h, reg("list-staff-exceptions", http.MethodGet, "/api/v1/staff/{id}/exceptions", "List leave and extra shifts", "staff:read", roster, 0), a.listExceptions)
	huma.Register(h, reg("add-staff-exception", http.MethodPost, "/api/v1/staff/{id}/exceptions", "Add leave or an extra shift", "staff:write", roster, http.StatusCreated), a.addException)
	huma.Register(h, reg("delete-staff-exception", http.MethodDelete, "/api/v1/staff/{id}/exceptions/{exception_id}", "Delete leave or an extra shift", "staff:write", roster, http.StatusNoContent), a.deleteException)
	huma.Register(h, reg("list-staff-certificates", http.MethodGet, "/api/v1/staff/{id}/certificates", "List a staff member's certificates", "staff:read", roster, 0), a.listCertificates)
	huma.Register(h, reg("add-staff-certificate", http.MethodPost, "/api/v1/staff/{id}/certificates", "Upload a certificate on a staff member's behalf", "staff:write", roster, http.StatusCreated), a.addCertificate)
	huma.Register(h, reg("review-staff-certificate", http.MethodPost, "/api/v1/staff/{id}/certificates/{certificate_id}/review", "Approve or reject a certificate", "staff:review", roster, 0), a.review)
	huma.Register(h, reg("find-eligible-staff", http.MethodGet, "/api/v1/staff-eligibility", "Staff who can serve a service at an address during an interval, nearest first", "staff:read", roster, 0), a.eligible)

	huma.Register(h, reg("get-my-staff-profile", http.MethodGet, "/api/v1/me/staff", "Your staff profile", "staff:self", self, 0), a.me)
	huma.Register(h, reg("list-my-certificates", http.MethodGet, "/api/v1/me/staff/certificates", "Your certificates", "staff:self", self, 0), a.myCertificates)
	huma.Register(h, reg("add-my-certificate", http.MethodPost, "/api/v1/me/staff/certificates", "Upload a certificate for review", "staff:self", self, http.StatusCreated), a.addMyCertificate)
	huma.Register(h, reg("set-my-location", http.MethodPut, "/api/v1/me/staff/location", "Report where you are", "staff:self", self, 0), a.setMyLocation)
	huma.Register(h, reg("list-my-exceptions", http.MethodGet, "/api/v1/me/staff/exceptions", "Your leave and extra shifts", "staff:self", self, 0), a.myExceptions)
	huma.Register(h, reg("request-my-leave", http.MethodPost, "/api/v1/me/staff/leave", "Take leave", "staff:self", self, http.StatusCreated), a.requestLeave)
}

// IDPath is the {id} path parameter; exported because huma only fills exported embedded fields.
type IDPath struct {
	ID uuid.UUID `path:"id" format:"uuid"`
}

// CodePath is the {code} path parameter.
type CodePath struct {
	Code string `path:"code" maxLength:"32"`
}

// RangeQuery is an optional time window; the default is from a day ago to 92 days ahead.
type RangeQuery struct {
	From time.Time `query:"from" doc:"RFC 3339; default: 24 hours ago"`
	To   time.Time `query:"to" doc:"RFC 3339; default: 92 days ahead"`
}

func (q RangeQuery) window() (time.Time, time.Time) {
	from, to := q.From, q.To
	if from.IsZero() {
		from = time.Now().Add(-24 * time.Hour)
	}
	if to.IsZero() || !to.After(from) {
		to = from.Add(93 * 24 * time.Hour)
	}
	return from, to
}

func list[T any](items []T) *httpx.Body[httpx.List[T]] {
	return &httpx.Body[httpx.List[T]]{Body: httpx.List[T]{Items: items, Total: int64(len(items)), Limit: len(items)}}
}

func mapAll[S, T any](in []S, f func(S) T) []T {
	out := make([]T, 0, len(in))
	for _, s := range in {
		out = append(out, f(s))
	}
	return out
}

// ---- settings ----

func (a api) listLevels(ctx context.Context, _ *struct{}) (*httpx.Body[httpx.List[LevelDTO]], error) {
	ls, err := a.svc.ListLevels(ctx)
	if err != nil {
		return nil, err
	}
	return list(mapAll(ls, toLevelDTO)), nil
}

func (a api) createLevel(ctx context.Context, in *struct{ Body NewLevelDTO }) (*httpx.Body[LevelDTO], error) {
	b := in.Body
	l, err := a.svc.CreateLevel(ctx, staff.Level{Code: b.Code, NameZh: b.NameZh, NameEn: b.NameEn, Rank: b.Rank})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[LevelDTO]{Body: toLevelDTO(l)}, nil
}

func (a api) updateLevel(ctx context.Context, in *struct {
	IDPath
	Body LevelPatch
}) (*httpx.Body[LevelDTO], error) {
	b := in.Body
	l, err := a.svc.UpdateLevel(ctx, in.ID, staff.LevelUpdate{Code: b.Code, NameZh: b.NameZh, NameEn: b.NameEn, Rank: b.Rank})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[LevelDTO]{Body: toLevelDTO(l)}, nil
}

func (a api) deleteLevel(ctx context.Context, in *IDPath) (*struct{}, error) {
	return nil, a.svc.DeleteLevel(ctx, in.ID)
}

func (a api) listCertTypes(ctx context.Context, _ *struct{}) (*httpx.Body[httpx.List[CertTypeDTO]], error) {
	cs, err := a.svc.ListCertTypes(ctx)
	if err != nil {
		return nil, err
	}
	return list(mapAll(cs, toCertTypeDTO)), nil
}

func (a api) createCertType(ctx context.Context, in *struct{ Body NewCertTypeDTO }) (*httpx.Body[CertTypeDTO], error) {
	b := in.Body
	c, err := a.svc.CreateCertType(ctx, staff.CertType{Code: b.Code, NameZh: b.NameZh, NameEn: b.NameEn, Mandatory: b.Mandatory})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CertTypeDTO]{Body: toCertTypeDTO(c)}, nil
}

func (a api) updateCertType(ctx context.Context, in *struct {
	CodePath
	Body CertTypePatch
}) (*httpx.Body[CertTypeDTO], error) {
	b := in.Body
	c, err := a.svc.UpdateCertType(ctx, in.Code, staff.CertTypeUpdate{NameZh: b.NameZh, NameEn: b.NameEn, Mandatory: b.Mandatory})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CertTypeDTO]{Body: toCertTypeDTO(c)}, nil
}

func (a api) deleteCertType(ctx context.Context, in *CodePath) (*struct{}, error) {
	return nil, a.svc.DeleteCertType(ctx, in.Code)
}

// ---- roster ----

func (a api) one(ctx context.Context, s staff.Staff, err error) (*httpx.Body[StaffDTO], error) {
	if err != nil {
		return nil, err
	}
	return &httpx.Body[StaffDTO]{Body: toStaffDTO(s, a.svc.CanSeePhones(ctx))}, nil
}

func (a api) list(ctx context.Context, in *struct {
	httpx.PageQuery
	StoreID string `query:"store_id" format:"uuid" doc:"Only staff of this home store"`
	Status  string `query:"status" enum:"onboarding,active,suspended,left,"`
	SkillID string `query:"skill" format:"uuid" doc:"Only staff listing this service or category as a skill"`
	LevelID string `query:"level_id" format:"uuid"`
	Q       string `query:"q" maxLength:"100" doc:"Search name, badge number and phone"`
}) (*httpx.Body[httpx.List[StaffDTO]], error) {
	p := in.Page()
	f := staff.Filter{Status: in.Status, Query: in.Q}
	// format:"uuid" has validated these.
	if in.StoreID != "" {
		f.StoreID = uuid.MustParse(in.StoreID)
	}
	if in.SkillID != "" {
		f.SkillID = uuid.MustParse(in.SkillID)
	}
	if in.LevelID != "" {
		f.LevelID = uuid.MustParse(in.LevelID)
	}
	r, err := a.svc.List(ctx, f, p)
	if err != nil {
		return nil, err
	}
	show := a.svc.CanSeePhones(ctx)
	return &httpx.Body[httpx.List[StaffDTO]]{Body: httpx.ListOf(r, p, func(s staff.Staff) StaffDTO { return toStaffDTO(s, show) })}, nil
}

func (a api) create(ctx context.Context, in *struct{ Body NewStaffDTO }) (*httpx.Body[StaffDTO], error) {
	b := in.Body
	n := staff.NewStaff{UserID: b.UserID, StoreID: b.StoreID, BadgeNo: b.BadgeNo, DisplayName: b.DisplayName, PhotoURL: b.PhotoURL,
		Phone: b.Phone, YearsExperience: b.YearsExperience, Bio: b.Bio, Status: b.Status, Skills: toSkills(b.Skills), Hours: toHours(b.Hours)}
	if b.LevelID != nil {
		n.LevelID = *b.LevelID
	}
	if b.Area != nil {
		n.Area = toArea(*b.Area)
	}
	s, err := a.svc.Create(ctx, n)
	return a.one(ctx, s, err)
}

func (a api) get(ctx context.Context, in *IDPath) (*httpx.Body[StaffDTO], error) {
	s, err := a.svc.Get(ctx, in.ID)
	return a.one(ctx, s, err)
}

// PhoneDTO is a revealed phone number.
type PhoneDTO struct {
	Phone string `json:"phone"`
}

func (a api) revealPhone(ctx context.Context, in *IDPath) (*httpx.Body[PhoneDTO], error) {
	ph, err := a.svc.RevealPhone(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[PhoneDTO]{Body: PhoneDTO{Phone: ph}}, nil
}

func (a api) update(ctx context.Context, in *struct {
	IDPath
	Body StaffPatch
}) (*httpx.Body[StaffDTO], error) {
	b := in.Body
	u := staff.Update{StoreID: b.StoreID, LevelID: b.LevelID, BadgeNo: b.BadgeNo, DisplayName: b.DisplayName, PhotoURL: b.PhotoURL,
		Phone: b.Phone, YearsExperience: b.YearsExperience, Bio: b.Bio}
	if b.Area != nil {
		area := toArea(*b.Area)
		u.Area = &area
	}
	s, err := a.svc.Update(ctx, in.ID, u)
	return a.one(ctx, s, err)
}

func (a api) setStatus(ctx context.Context, in *struct {
	IDPath
	Body struct {
		Status string `json:"status" enum:"onboarding,active,suspended,left"`
		Reason string `json:"reason,omitempty" maxLength:"500"`
	}
}) (*httpx.Body[StaffDTO], error) {
	s, err := a.svc.SetStatus(ctx, in.ID, in.Body.Status, in.Body.Reason)
	return a.one(ctx, s, err)
}

func (a api) setSkills(ctx context.Context, in *struct {
	IDPath
	Body struct {
		Skills []SkillDTO `json:"skills" maxItems:"200"`
	}
}) (*httpx.Body[StaffDTO], error) {
	s, err := a.svc.SetSkills(ctx, in.ID, toSkills(in.Body.Skills))
	return a.one(ctx, s, err)
}

func (a api) setHours(ctx context.Context, in *struct {
	IDPath
	Body struct {
		Hours []HoursDTO `json:"hours" maxItems:"56"`
	}
}) (*httpx.Body[StaffDTO], error) {
	s, err := a.svc.SetHours(ctx, in.ID, toHours(in.Body.Hours))
	return a.one(ctx, s, err)
}

func (a api) listExceptions(ctx context.Context, in *struct {
	IDPath
	RangeQuery
}) (*httpx.Body[httpx.List[ExceptionDTO]], error) {
	from, to := in.window()
	es, err := a.svc.ListExceptions(ctx, in.ID, from, to)
	if err != nil {
		return nil, err
	}
	return list(mapAll(es, toExceptionDTO)), nil
}

func (a api) addException(ctx context.Context, in *struct {
	IDPath
	Body NewExceptionDTO
}) (*httpx.Body[ExceptionDTO], error) {
	b := in.Body
	e, err := a.svc.AddException(ctx, in.ID, staff.NewException{Kind: b.Kind, Start: b.Start, End: b.End, Note: b.Note})
	if err != nil {
		return nil, err
	}
	return &httpx.Body[ExceptionDTO]{Body: toExceptionDTO(e)}, nil
}

func (a api) deleteException(ctx context.Context, in *struct {
	IDPath
	ExceptionID uuid.UUID `path:"exception_id" format:"uuid"`
}) (*struct{}, error) {
	return nil, a.svc.DeleteException(ctx, in.ID, in.ExceptionID)
}

func (a api) listCertificates(ctx context.Context, in *IDPath) (*httpx.Body[httpx.List[CertificateDTO]], error) {
	cs, err := a.svc.ListCertificates(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return list(mapAll(cs, toCertificateDTO)), nil
}

func (a api) addCertificate(ctx context.Context, in *struct {
	IDPath
	Body NewCertificateDTO
}) (*httpx.Body[CertificateDTO], error) {
	c, err := a.svc.AddCertificate(ctx, in.ID, toNewCertificate(in.Body))
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CertificateDTO]{Body: toCertificateDTO(c)}, nil
}

func (a api) review(ctx context.Context, in *struct {
	IDPath
	CertificateID uuid.UUID `path:"certificate_id" format:"uuid"`
	Body          ReviewDTO
}) (*httpx.Body[CertificateDTO], error) {
	c, err := a.svc.Review(ctx, in.ID, in.CertificateID, in.Body.Decision == "approve", in.Body.Reason)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CertificateDTO]{Body: toCertificateDTO(c)}, nil
}

func (a api) eligible(ctx context.Context, in *struct {
	ServiceID uuid.UUID `query:"service_id" format:"uuid" required:"true"`
	Lng       float64   `query:"lng" minimum:"-180" maximum:"180" required:"true"`
	Lat       float64   `query:"lat" minimum:"-90" maximum:"90" required:"true"`
	Start     time.Time `query:"start" required:"true" doc:"RFC 3339"`
	End       time.Time `query:"end" required:"true" doc:"RFC 3339"`
	StoreID   string    `query:"store_id" format:"uuid" doc:"Only staff of this home store"`
	Limit     int       `query:"limit" minimum:"0" maximum:"500" default:"50"`
}) (*httpx.Body[httpx.List[CandidateDTO]], error) {
	q := staff.EligibleQuery{ServiceID: in.ServiceID, Start: in.Start, End: in.End, Limit: in.Limit}
	q.At.Lng, q.At.Lat = in.Lng, in.Lat
	if in.StoreID != "" {
		q.StoreID = uuid.MustParse(in.StoreID)
	}
	cs, err := a.svc.Eligible(ctx, q)
	if err != nil {
		return nil, err
	}
	return list(mapAll(cs, toCandidateDTO)), nil
}

// ---- self-service ----

func (a api) me(ctx context.Context, _ *struct{}) (*httpx.Body[StaffDTO], error) {
	s, err := a.svc.Me(ctx)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[StaffDTO]{Body: toStaffDTO(s, true)}, nil // one's own number
}

func (a api) myCertificates(ctx context.Context, _ *struct{}) (*httpx.Body[httpx.List[CertificateDTO]], error) {
	cs, err := a.svc.MyCertificates(ctx)
	if err != nil {
		return nil, err
	}
	return list(mapAll(cs, toCertificateDTO)), nil
}

func (a api) addMyCertificate(ctx context.Context, in *struct{ Body NewCertificateDTO }) (*httpx.Body[CertificateDTO], error) {
	c, err := a.svc.AddMyCertificate(ctx, toNewCertificate(in.Body))
	if err != nil {
		return nil, err
	}
	return &httpx.Body[CertificateDTO]{Body: toCertificateDTO(c)}, nil
}

func (a api) setMyLocation(ctx context.Context, in *struct{ Body LocationDTO }) (*httpx.Body[StaffDTO], error) {
	s, err := a.svc.SetMyLocation(ctx, in.Body.Location)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[StaffDTO]{Body: toStaffDTO(s, true)}, nil
}

func (a api) myExceptions(ctx context.Context, in *RangeQuery) (*httpx.Body[httpx.List[ExceptionDTO]], error) {
	from, to := in.window()
	es, err := a.svc.MyExceptions(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return list(mapAll(es, toExceptionDTO)), nil
}

func (a api) requestLeave(ctx context.Context, in *struct{ Body LeaveDTO }) (*httpx.Body[ExceptionDTO], error) {
	e, err := a.svc.RequestLeave(ctx, in.Body.Start, in.Body.End, in.Body.Note)
	if err != nil {
		return nil, err
	}
	return &httpx.Body[ExceptionDTO]{Body: toExceptionDTO(e)}, nil
}
