package wiring_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
	"doorstep/app/identity"
	"doorstep/app/staff"
	"doorstep/tenant"
)

// staffProbe helpers act as the tenant's operator through the services, so probes can make
// the objects their calls need. Attacks never create anything in tenant A (the walk proves A
// unchanged); they aim at A's real roster objects, which the fixture made (env_catalog_test.go).

func sysCtx(f *fixture) context.Context {
	return auth.WithPrincipal(tenant.WithTenant(context.Background(), &f.Tenant), &auth.Principal{Kind: auth.Operator, Scope: auth.ScopeTenant})
}

var probeRanks sync.Map // tenant id → *int32 counter for unique level ranks

func hex8() string { return strings.ReplaceAll(uuid.NewString(), "-", "")[:8] }

// probeProfile returns the staff profile of user, creating one in the franchised store.
func probeProfile(e *env, f *fixture, user uuid.UUID) uuid.UUID {
	badge := "U" + strings.ReplaceAll(user.String(), "-", "")[20:]
	r, err := e.app.Staff.List(sysCtx(f), staff.Filter{Query: badge}, pageAll())
	require.NoError(e.t, err)
	if len(r.Items) > 0 {
		return r.Items[0].ID
	}
	s, err := e.app.Staff.Create(sysCtx(f), staff.NewStaff{UserID: user, StoreID: f.FrStoreID, BadgeNo: badge, DisplayName: "probe " + badge,
		Phone: "+8613700000000", Status: staff.StatusActive, Hours: []staff.Hours{{Weekday: 1, Start: "08:00", End: "18:00"}}})
	require.NoError(e.t, err)
	return s.ID
}

// probeUser creates a staff account without a profile.
func probeUser(e *env, f *fixture) uuid.UUID {
	u, err := e.app.Identity.CreateUser(sysCtx(f), identity.NewUser{Email: "p" + hex8() + "@probe.test", Password: password,
		StoreID: f.FrStoreID, Roles: []string{"staff"}}, e.app.Roles)
	require.NoError(e.t, err)
	return u.ID
}

func probeNewProfile(e *env, f *fixture) uuid.UUID { return probeProfile(e, f, probeUser(e, f)) }

func probeCertType(e *env, f *fixture) string {
	code := "pc_" + f.Tenant.Slug
	_, err := e.app.Staff.CreateCertType(sysCtx(f), staff.CertType{Code: code, NameZh: "探针证", NameEn: "Probe cert"})
	if err != nil {
		require.ErrorIs(e.t, err, staff.ErrCertTypeTaken)
	}
	return code
}

func probeLevel(e *env, f *fixture) uuid.UUID {
	n, _ := probeRanks.LoadOrStore(f.Tenant.ID, new(int32))
	ctr := n.(*int32)
	for {
		*ctr++
		l, err := e.app.Staff.CreateLevel(sysCtx(f), staff.Level{Code: "l" + hex8(), NameZh: "级", NameEn: "Level", Rank: int(*ctr)})
		if err == nil {
			return l.ID
		}
		require.ErrorIs(e.t, err, staff.ErrLevelRankTaken)
	}
}

func probeCert(e *env, f *fixture, staffID uuid.UUID) uuid.UUID {
	c, err := e.app.Staff.AddCertificate(sysCtx(f), staffID, staff.NewCertificate{Type: probeCertType(e, f), Number: "P1", ExpiresOn: "2040-01-01"})
	require.NoError(e.t, err)
	return c.ID
}

func probeException(e *env, f *fixture, staffID uuid.UUID) uuid.UUID {
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	x, err := e.app.Staff.AddException(sysCtx(f), staffID, staff.NewException{Kind: staff.ExceptionLeave, Start: start, End: start.Add(time.Hour)})
	require.NoError(e.t, err)
	return x.ID
}

// probeService inserts a catalogue service (contract columns only) as the database owner.
func probeService(e *env, f *fixture) uuid.UUID {
	cat, svc := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	require.NoError(e.t, e.db.Owner.Exec(`insert into catalog_categories (tenant_id, id, name_zh, name_en) values (?, ?, '探针', 'probe')`, f.Tenant.ID, cat).Error)
	require.NoError(e.t, e.db.Owner.Exec(`insert into catalog_services (tenant_id, id, category_id) values (?, ?, ?)`, f.Tenant.ID, svc, cat).Error)
	return svc
}

// staffProbes covers the staff roster operations.
func staffProbes() map[string]probe {
	aStaff := func(e *env) string { return "/api/v1/staff/" + e.A.StaffID.String() } // A's staff user's real profile
	mine := func(path string, body func(e *env, f *fixture) any) func(e *env, f *fixture) call {
		return func(e *env, f *fixture) call {
			probeProfile(e, f, f.UserIDs["staff"])
			var b any
			if body != nil {
				b = body(e, f)
			}
			return call{path: path, body: b}
		}
	}
	window := "?start=2030-01-07T10:00:00%2B08:00&end=2030-01-07T12:00:00%2B08:00&lng=121.45&lat=31.15"
	return map[string]probe{
		// settings
		"list-staff-levels": {own: func(e *env, f *fixture) call { return call{path: "/api/v1/staff-levels"} }},
		"create-staff-level": {own: func(e *env, f *fixture) call {
			n, _ := probeRanks.LoadOrStore(f.Tenant.ID, new(int32))
			*n.(*int32)++
			return call{path: "/api/v1/staff-levels", body: map[string]any{"code": "l" + hex8(), "name_zh": "新级", "name_en": "New", "rank": int(*n.(*int32))}}
		}},
		"update-staff-level": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/staff-levels/" + e.A.StaffLevelID.String(), body: map[string]any{"name_en": "pwned"}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/staff-levels/" + probeLevel(e, f).String(), body: map[string]any{"name_en": "Renamed"}}
		}},
		"delete-staff-level": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/staff-levels/" + e.A.StaffLevelID.String()}
		}, own: func(e *env, f *fixture) call { return call{path: "/api/v1/staff-levels/" + probeLevel(e, f).String()} }},
		"list-certificate-types": {own: func(e *env, f *fixture) call { return call{path: "/api/v1/certificate-types"} }},
		"create-certificate-type": {own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/certificate-types", body: map[string]any{"code": "c" + hex8(), "name_zh": "证", "name_en": "Cert"}}
		}},
		"update-certificate-type": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/certificate-types/" + e.A.CertType, body: map[string]any{"mandatory": true}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/certificate-types/" + probeCertType(e, f), body: map[string]any{"name_en": "Probe certificate"}}
		}},
		"delete-certificate-type": {object: true, attack: func(e *env) call {
			return call{path: "/api/v1/certificate-types/" + e.A.CertType}
		}, own: func(e *env, f *fixture) call {
			code := "d" + hex8()
			_, err := e.app.Staff.CreateCertType(sysCtx(f), staff.CertType{Code: code, NameZh: "删", NameEn: "Delete me"})
			require.NoError(e.t, err)
			return call{path: "/api/v1/certificate-types/" + code}
		}},

		// roster
		"list-staff": {attack: func(e *env) call {
			return call{path: "/api/v1/staff?store_id=" + e.A.FrStoreID.String() + "&level_id=" + e.A.StaffLevelID.String() + "&skill=" + e.A.ServiceID.String()}
		},
			own: func(e *env, f *fixture) call { return call{path: "/api/v1/staff"} }},
		"create-staff": {attack: func(e *env) call {
			return call{path: "/api/v1/staff", body: map[string]any{"user_id": e.A.UserIDs["staff"], "store_id": e.A.FrStoreID, "level_id": e.A.StaffLevelID,
				"badge_no": "SPY1", "display_name": "spy", "skills": []any{map[string]any{"service_id": e.A.ServiceID}}}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/staff", body: map[string]any{"user_id": probeUser(e, f), "store_id": f.FrStoreID, "badge_no": "N" + hex8(), "display_name": "New staff",
				"hours": []map[string]any{{"weekday": 1, "start": "08:00", "end": "18:00"}}}}
		}},
		"get-staff": {object: true, attack: func(e *env) call { return call{path: aStaff(e)} }, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/staff/" + probeProfile(e, f, f.UserIDs["staff"]).String()}
		}},
		"reveal-staff-phone": {object: true, attack: func(e *env) call { return call{path: aStaff(e) + "/phone"} }, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/staff/" + probeProfile(e, f, f.UserIDs["staff"]).String() + "/phone"}
		}},
		"update-staff": {object: true, attack: func(e *env) call { return call{path: aStaff(e), body: map[string]any{"display_name": "pwned"}} },
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/staff/" + probeNewProfile(e, f).String(), body: map[string]any{"bio": "Ten years of deep cleaning"}}
			}},
		"set-staff-status": {object: true, attack: func(e *env) call { return call{path: aStaff(e) + "/status", body: map[string]any{"status": "left"}} },
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/staff/" + probeNewProfile(e, f).String() + "/status", body: map[string]any{"status": "suspended", "reason": "probe"}}
			}},
		"set-staff-skills": {object: true, attack: func(e *env) call {
			return call{path: aStaff(e) + "/skills", body: map[string]any{"skills": []any{map[string]any{"service_id": e.A.ServiceID}}}}
		},
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/staff/" + probeNewProfile(e, f).String() + "/skills", body: map[string]any{"skills": []any{map[string]any{"service_id": probeService(e, f)}}}}
			}},
		"set-staff-hours": {object: true, attack: func(e *env) call { return call{path: aStaff(e) + "/hours", body: map[string]any{"hours": []any{}}} },
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/staff/" + probeNewProfile(e, f).String() + "/hours", body: map[string]any{"hours": []any{
					map[string]any{"weekday": 2, "start": "08:00", "end": "12:00"}, map[string]any{"weekday": 2, "start": "13:00", "end": "18:00"}}}}
			}},
		"list-staff-exceptions": {object: true, attack: func(e *env) call { return call{path: aStaff(e) + "/exceptions"} },
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/staff/" + probeProfile(e, f, f.UserIDs["staff"]).String() + "/exceptions"}
			}},
		"add-staff-exception": {object: true, attack: func(e *env) call {
			return call{path: aStaff(e) + "/exceptions", body: map[string]any{"kind": "leave", "start": "2030-01-01T08:00:00Z", "end": "2030-01-01T10:00:00Z"}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/staff/" + probeProfile(e, f, f.UserIDs["staff"]).String() + "/exceptions",
				body: map[string]any{"kind": "extra", "start": "2030-01-06T08:00:00+08:00", "end": "2030-01-06T12:00:00+08:00", "note": "Sunday shift"}}
		}},
		"delete-staff-exception": {object: true, attack: func(e *env) call {
			return call{path: aStaff(e) + "/exceptions/" + e.A.ExceptionID.String()}
		}, own: func(e *env, f *fixture) call {
			id := probeProfile(e, f, f.UserIDs["staff"])
			return call{path: fmt.Sprintf("/api/v1/staff/%s/exceptions/%s", id, probeException(e, f, id))}
		}},
		"list-staff-certificates": {object: true, attack: func(e *env) call { return call{path: aStaff(e) + "/certificates"} },
			own: func(e *env, f *fixture) call {
				return call{path: "/api/v1/staff/" + probeProfile(e, f, f.UserIDs["staff"]).String() + "/certificates"}
			}},
		"add-staff-certificate": {object: true, attack: func(e *env) call {
			return call{path: aStaff(e) + "/certificates", body: map[string]any{"type": e.A.CertType}}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/staff/" + probeProfile(e, f, f.UserIDs["staff"]).String() + "/certificates",
				body: map[string]any{"type": probeCertType(e, f), "number": "110101199001011234", "expires_on": "2035-12-31"}}
		}},
		"review-staff-certificate": {object: true, attack: func(e *env) call {
			return call{path: aStaff(e) + "/certificates/" + e.A.CertificateID.String() + "/review", body: map[string]any{"decision": "approve"}}
		}, own: func(e *env, f *fixture) call {
			id := probeProfile(e, f, f.UserIDs["staff"])
			return call{path: fmt.Sprintf("/api/v1/staff/%s/certificates/%s/review", id, probeCert(e, f, id)), body: map[string]any{"decision": "approve"}}
		}},
		"find-eligible-staff": {attack: func(e *env) call {
			return call{path: "/api/v1/staff-eligibility" + window + "&service_id=" + e.A.ServiceID.String() + "&store_id=" + e.A.FrStoreID.String()}
		}, own: func(e *env, f *fixture) call {
			return call{path: "/api/v1/staff-eligibility" + window + "&service_id=" + probeService(e, f).String()}
		}},

		// self-service: the staff role holds staff:self; its user gets a profile on first use
		"get-my-staff-profile": {own: mine("/api/v1/me/staff", nil)},
		"list-my-certificates": {own: mine("/api/v1/me/staff/certificates", nil)},
		"add-my-certificate": {own: mine("/api/v1/me/staff/certificates", func(e *env, f *fixture) any {
			return map[string]any{"type": probeCertType(e, f), "number": "H-1", "expires_on": "2031-06-30"}
		})},
		"set-my-location": {own: mine("/api/v1/me/staff/location", func(e *env, f *fixture) any {
			return map[string]any{"location": map[string]any{"lng": 121.47, "lat": 31.23}}
		})},
		"list-my-exceptions": {own: mine("/api/v1/me/staff/exceptions", nil)},
		"request-my-leave": {own: mine("/api/v1/me/staff/leave", func(e *env, f *fixture) any {
			return map[string]any{"start": "2030-02-01T00:00:00+08:00", "end": "2030-02-03T00:00:00+08:00", "note": "Spring Festival"}
		})},
	}
}
