package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/auth"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/geo"
	"doorstep/app/pricing"
	"doorstep/jobs"
	"doorstep/tenant"
)

// Recurring frequencies.
const (
	Weekly   = "weekly"
	Biweekly = "biweekly"
	Monthly  = "monthly"
)

// RecurringHorizonDays is how far ahead occurrences are booked.
const RecurringHorizonDays = 14

// Series is a recurring booking: every occurrence is quoted and booked like a one-off visit,
// RecurringHorizonDays ahead, by the booking:recurring job.
type Series struct {
	ID               uuid.UUID
	CustomerID       uuid.UUID
	PackageID        uuid.UUID
	AddOns           []pricing.AddOnChoice
	Location         geo.Point
	Address          string
	Contact          Contact
	Property         Property
	Notes            SpecialNotes
	PreferredStaffID uuid.UUID
	Frequency        string
	LocalTime        string    // HH:MM in the tenant's time zone
	FirstDate        time.Time // calendar dates: midnight UTC
	NextDate         time.Time
	SkipDates        []time.Time
	Paused           bool
	LastError        string
	CreatedBy        string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Errors of series.
var ErrSeriesNotFound = errs.New(errs.NotFound, "series_not_found", "no such recurring booking")

// next is the occurrence after d.
func next(freq string, first, d time.Time) time.Time {
	switch freq {
	case Biweekly:
		return d.AddDate(0, 0, 14)
	case Monthly:
		// Same day of month as the first date, clamped to the month's end.
		y, m, _ := d.Date()
		m++
		day := first.Day()
		last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
		return time.Date(y, m, min(day, last), 0, 0, 0, 0, time.UTC)
	default:
		return d.AddDate(0, 0, 7)
	}
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// NewSeries is a customer's request for a recurring booking.
type NewSeries struct {
	PackageID        uuid.UUID
	AddOns           []pricing.AddOnChoice
	Location         geo.Point
	Address          string
	Contact          Contact
	Property         Property
	Notes            SpecialNotes
	PreferredStaffID uuid.UUID
	Frequency        string
	LocalTime        string
	FirstDate        string // YYYY-MM-DD
}

// CreateSeries starts a customer's recurring booking; the first occurrences are booked at once.
func (s *Service) CreateSeries(ctx context.Context, n NewSeries) (Series, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind != auth.Customer {
		return Series{}, ErrNotAllowed
	}
	t, ok := tenant.FromContext(ctx)
	if !ok {
		return Series{}, tenant.ErrNotFound
	}
	var v errs.Validation
	v.Check(n.PackageID != uuid.Nil, "package_id", "required")
	v.Check(n.Frequency == Weekly || n.Frequency == Biweekly || n.Frequency == Monthly, "frequency", "weekly, biweekly or monthly")
	_, terr := time.Parse("15:04", n.LocalTime)
	v.Check(terr == nil && len(n.LocalTime) == 5, "local_time", "HH:MM")
	first, derr := time.Parse(time.DateOnly, n.FirstDate)
	today := dateOnly(s.clock.Now().In(t.Location()))
	v.Check(derr == nil && !first.Before(today) && first.Before(today.AddDate(1, 0, 0)), "first_date", "a date from today to a year ahead")
	addr := strings.TrimSpace(n.Address)
	v.Check(len([]rune(addr)) >= 1 && len([]rune(addr)) <= 500, "address", "1 to 500 characters")
	v.Check(n.Location.Lng >= -180 && n.Location.Lng <= 180 && n.Location.Lat >= -90 && n.Location.Lat <= 90, "location", "longitude and latitude out of range")
	if err := v.Err(); err != nil {
		return Series{}, err
	}
	now := s.clock.Now()
	sr := Series{ID: uuid.Must(uuid.NewV7()), CustomerID: p.SubjectID, PackageID: n.PackageID, AddOns: n.AddOns, Location: n.Location,
		Address: addr, Contact: n.Contact, Property: n.Property, Notes: n.Notes, PreferredStaffID: n.PreferredStaffID,
		Frequency: n.Frequency, LocalTime: n.LocalTime, FirstDate: first, NextDate: first, SkipDates: []time.Time{},
		CreatedBy: auth.Subject(ctx), CreatedAt: now, UpdatedAt: now}
	if sr.AddOns == nil {
		sr.AddOns = []pricing.AddOnChoice{}
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		// Price it once now, so a package or address that cannot be booked fails here.
		if _, err := s.quotes.Quote(ctx, sr.request(first, t)); err != nil {
			return err
		}
		if err := s.repo.CreateSeries(ctx, sr); err != nil {
			return err
		}
		var err error
		sr, err = s.occurrences(ctx, t, sr.ID)
		return err
	})
	return sr, err
}

func (sr Series) request(day time.Time, t *tenant.Tenant) pricing.QuoteRequest {
	hm, _ := time.Parse("15:04", sr.LocalTime)
	start := time.Date(day.Year(), day.Month(), day.Day(), hm.Hour(), hm.Minute(), 0, 0, t.Location())
	return pricing.QuoteRequest{PackageID: sr.PackageID, AddOns: sr.AddOns, Location: sr.Location, Start: start,
		StaffID: sr.PreferredStaffID, CustomerID: sr.CustomerID}
}

// occurrences books the series' due occurrences (up to the horizon) as the system, each in a
// savepoint-free sub-step of the caller's transaction: a failing occurrence (say, the package
// went off sale) is skipped and remembered in last_error, the series moves on.
func (s *Service) occurrences(ctx context.Context, t *tenant.Tenant, id uuid.UUID) (Series, error) {
	sr, err := s.repo.GetSeries(ctx, id, true)
	if err != nil {
		return Series{}, err
	}
	if sr.Paused {
		return sr, nil
	}
	sys := auth.WithPrincipal(ctx, nil)
	until := dateOnly(s.clock.Now().In(t.Location())).AddDate(0, 0, RecurringHorizonDays)
	for !sr.NextDate.After(until) {
		day := sr.NextDate
		sr.NextDate = next(sr.Frequency, sr.FirstDate, day)
		if slices.ContainsFunc(sr.SkipDates, func(d time.Time) bool { return d.Equal(day) }) {
			continue
		}
		req := sr.request(day, t)
		if !req.Start.After(s.clock.Now()) {
			continue
		}
		if err := s.bookOccurrence(sys, sr, req); err != nil {
			if errs.KindOf(err) == errs.Internal {
				return Series{}, err
			}
			sr.LastError = fmt.Sprintf("%s: %s", day.Format(time.DateOnly), err.Error())
		}
	}
	sr.UpdatedAt = s.clock.Now()
	return sr, s.repo.SaveSeries(ctx, sr)
}

func (s *Service) bookOccurrence(ctx context.Context, sr Series, req pricing.QuoteRequest) error {
	return s.repo.Savepoint(ctx, func(ctx context.Context) error {
		q, err := s.quotes.Quote(ctx, req)
		if err != nil {
			return err
		}
		_, err = s.create(ctx, NewOrder{QuoteID: q.ID, CustomerID: sr.CustomerID, Address: sr.Address, Contact: sr.Contact,
			Property: sr.Property, Notes: sr.Notes, PreferredStaffID: sr.PreferredStaffID}, sr.ID)
		return err
	})
}

// MySeries lists the calling customer's recurring bookings.
func (s *Service) MySeries(ctx context.Context) ([]Series, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Kind != auth.Customer {
		return []Series{}, nil
	}
	var out []Series
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.repo.ListSeries(ctx, p.SubjectID)
		return err
	})
	return out, err
}

// ChangeSeries pauses, resumes or skips a date of the caller's own series. A skipped date's
// occurrence, if already booked, is cancelled like any order (the customer does that).
func (s *Service) ChangeSeries(ctx context.Context, id uuid.UUID, paused *bool, skip string) (Series, error) {
	p, ok := auth.FromContext(ctx)
	t, tok := tenant.FromContext(ctx)
	if !ok || p.Kind != auth.Customer || !tok {
		return Series{}, ErrSeriesNotFound
	}
	var skipDay time.Time
	if skip != "" {
		d, err := time.Parse(time.DateOnly, skip)
		if err != nil {
			return Series{}, errs.InvalidFields(errs.Field("skip_date", "YYYY-MM-DD"))
		}
		skipDay = d
	}
	var out Series
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		sr, err := s.repo.GetSeries(ctx, id, true)
		if errs.KindOf(err) == errs.NotFound || (err == nil && sr.CustomerID != p.SubjectID) {
			return ErrSeriesNotFound
		}
		if err != nil {
			return err
		}
		if paused != nil {
			sr.Paused = *paused
			if !sr.Paused {
				// Resuming never books the past.
				today := dateOnly(s.clock.Now().In(t.Location()))
				for sr.NextDate.Before(today) {
					sr.NextDate = next(sr.Frequency, sr.FirstDate, sr.NextDate)
				}
			}
		}
		if !skipDay.IsZero() && !slices.ContainsFunc(sr.SkipDates, func(d time.Time) bool { return d.Equal(skipDay) }) {
			sr.SkipDates = append(sr.SkipDates, skipDay)
		}
		sr.UpdatedAt = s.clock.Now()
		if err := s.repo.SaveSeries(ctx, sr); err != nil {
			return err
		}
		out, err = s.occurrences(ctx, t, id)
		return err
	})
	return out, err
}

// RunRecurring books the due occurrences of every active series of the context's tenant.
func (s *Service) RunRecurring(ctx context.Context) (int, error) {
	t, ok := tenant.FromContext(ctx) // the jobs middleware restores the whole tenant
	if !ok {
		return 0, errors.New("booking: recurring run without a tenant in the context")
	}
	until := dateOnly(s.clock.Now().In(t.Location())).AddDate(0, 0, RecurringHorizonDays)
	var ids []uuid.UUID
	if err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		ids, err = s.repo.DueSeries(ctx, until)
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	var all []error
	for _, id := range ids {
		err := s.db.InTx(ctx, func(ctx context.Context) error {
			_, err := s.occurrences(ctx, t, id)
			return err
		})
		if err != nil {
			all = append(all, fmt.Errorf("series %s: %w", id, err))
			continue
		}
		n++
	}
	return n, errors.Join(all...)
}

// TypeRecurring books one tenant's due recurring occurrences; TypeRecurringSweep is the
// hourly platform task that queues it for every tenant. Occurrences are unique per series and
// start, and next_date moves in the same transaction, so reruns book nothing twice.
const (
	TypeRecurring      = "booking:recurring"
	TypeRecurringSweep = "booking:recurring_sweep"
)

// RecurringPayload is TypeRecurring's payload.
type RecurringPayload struct {
	jobs.Meta
}

// TaskType implements jobs.Payload.
func (*RecurringPayload) TaskType() string { return TypeRecurring }

// RegisterPeriodic registers the hourly sweep.
func RegisterPeriodic(sch *asynq.Scheduler) error {
	_, err := sch.Register("17 * * * *", asynq.NewTask(TypeRecurringSweep, nil), asynq.Queue(jobs.QueueLow), asynq.MaxRetry(3),
		asynq.Unique(30*time.Minute), asynq.Timeout(10*time.Minute))
	return err
}

// SweepRecurring queues TypeRecurring for every active tenant.
func (s *Service) SweepRecurring(ctx context.Context) (int, error) {
	return s.outbox.FanOut(ctx, func() jobs.Payload { return &RecurringPayload{} }, jobs.Queue(jobs.QueueLow))
}
