package pricingapi

import (
	"sort"

	"doorstep/app/kit/errs"
)

func sortHolidays(hs []HolidayDTO) {
	sort.Slice(hs, func(i, j int) bool { return hs[i].Day < hs[j].Day })
}

func badDay() error {
	return errs.InvalidFields(errs.Field("day", "a calendar date YYYY-MM-DD"))
}
