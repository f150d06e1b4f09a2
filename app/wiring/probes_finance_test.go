package wiring_test

import (
	"time"
)

// financePeriod is a period around today that every probe's report covers.
func financePeriod() string {
	now := time.Now()
	return "from=" + now.AddDate(0, 0, -30).Format(time.DateOnly) + "&to=" + now.AddDate(0, 0, 1).Format(time.DateOnly)
}

// financeProbes covers the reports. Revenue reports take no object (B reads its own books,
// which must not show A's); statements are aimed at A's staff member and franchisee.
func financeProbes() map[string]probe {
	revenue := func(suffix string) func(e *env, f *fixture) call {
		return func(e *env, f *fixture) call {
			return call{path: "/api/v1/finance/revenue" + suffix + "?by=store&" + financePeriod()}
		}
	}
	staff := func(suffix string) (func(e *env) call, func(e *env, f *fixture) call) {
		return func(e *env) call {
				return call{path: "/api/v1/finance/statements/staff/" + e.A.StaffID.String() + suffix + "?" + financePeriod()}
			}, func(e *env, f *fixture) call {
				return call{path: "/api/v1/finance/statements/staff/" + f.StaffID.String() + suffix + "?" + financePeriod()}
			}
	}
	franchisee := func(suffix string) (func(e *env) call, func(e *env, f *fixture) call) {
		return func(e *env) call {
				return call{path: "/api/v1/finance/statements/franchisees/" + e.A.FranchiseeID.String() + suffix + "?" + financePeriod()}
			}, func(e *env, f *fixture) call {
				return call{path: "/api/v1/finance/statements/franchisees/" + f.FranchiseeID.String() + suffix + "?" + financePeriod()}
			}
	}
	sa, so := staff("")
	sea, seo := staff("/export")
	fa, fo := franchisee("")
	fea, feo := franchisee("/export")
	return map[string]probe{
		"get-revenue-report":          {own: revenue("")},
		"export-revenue-report":       {own: revenue("/export")},
		"get-staff-statement":         {object: true, attack: sa, own: so},
		"export-staff-statement":      {object: true, attack: sea, own: seo},
		"get-franchisee-statement":    {object: true, attack: fa, own: fo},
		"export-franchisee-statement": {object: true, attack: fea, own: feo},
	}
}
