// Package ledgercheck runs the ledger's consistency check over every tenant: the
// `doorstep ledger check` command and the daily ledger:check job, which logs every mismatch
// at error level and exports the count as a Prometheus gauge.
package ledgercheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"doorstep/app/kit/dbx"
	"doorstep/app/ledger"
	"doorstep/jobs"
)

// TypeCheck is the daily check of every tenant's books.
const TypeCheck = "ledger:check"

// Finding is a mismatch in one tenant's books.
type Finding struct {
	TenantID uuid.UUID
	ledger.Mismatch
}

func (f Finding) String() string {
	return fmt.Sprintf("tenant %s: %s account=%s tx=%s asset=%s cached=%d computed=%d",
		f.TenantID, f.Kind, f.AccountID, f.TxID, f.Asset, f.Cached, f.Computed)
}

// Checker checks every tenant's ledger.
type Checker struct {
	db         *dbx.DB
	ledger     *ledger.Service
	log        *slog.Logger
	mismatches prometheus.Gauge
	lastRun    prometheus.Gauge
}

// New returns a checker; reg may be nil (no metrics, e.g. the command line).
func New(db *dbx.DB, l *ledger.Service, log *slog.Logger, reg prometheus.Registerer) *Checker {
	c := &Checker{db: db, ledger: l, log: log,
		mismatches: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "doorstep", Subsystem: "ledger", Name: "check_mismatches",
			Help: "Mismatches the last ledger check found over all tenants (0: the books are consistent)."}),
		lastRun: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "doorstep", Subsystem: "ledger", Name: "check_last_run_timestamp_seconds",
			Help: "When the last ledger check finished."}),
	}
	if reg != nil {
		reg.MustRegister(c.mismatches, c.lastRun)
	}
	return c
}

// Gauge is the mismatch gauge (for tests).
func (c *Checker) Gauge() prometheus.Gauge { return c.mismatches }

// CheckAll checks every tenant (as the runtime role, with each tenant set, so RLS holds) and
// returns every finding. A tenant that cannot be checked is an error, after the others ran.
func (c *Checker) CheckAll(ctx context.Context) ([]Finding, error) {
	var tenants []uuid.UUID
	if err := c.db.Gorm().WithContext(ctx).Raw("select id from tenants order by id").Scan(&tenants).Error; err != nil {
		return nil, fmt.Errorf("ledger check: list tenants: %w", err)
	}
	var out []Finding
	var all []error
	for _, t := range tenants {
		ms, err := c.ledger.Check(dbx.WithTenant(ctx, t))
		if err != nil {
			all = append(all, fmt.Errorf("tenant %s: %w", t, err))
			continue
		}
		for _, m := range ms {
			out = append(out, Finding{TenantID: t, Mismatch: m})
		}
	}
	return out, errors.Join(all...)
}

// Run is the job: check, log each finding at error level, set the gauges.
func (c *Checker) Run(ctx context.Context) ([]Finding, error) {
	fs, err := c.CheckAll(ctx)
	for _, f := range fs {
		c.log.Error("ledger mismatch", "tenant_id", f.TenantID, "kind", f.Kind, "account_id", f.AccountID, "tx_id", f.TxID,
			"asset", f.Asset, "cached", f.Cached, "computed", f.Computed)
	}
	if err != nil {
		c.log.Error("ledger check incomplete", "err", err)
	}
	c.mismatches.Set(float64(len(fs)))
	c.lastRun.SetToCurrentTime()
	return fs, err
}

// Register adds the job handler to mux.
func (c *Checker) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeCheck, func(ctx context.Context, _ *asynq.Task) error {
		_, err := c.Run(ctx)
		return err
	})
}

// RegisterPeriodic registers the daily run.
func RegisterPeriodic(sch *asynq.Scheduler) error {
	_, err := sch.Register("41 4 * * *", asynq.NewTask(TypeCheck, nil), asynq.Queue(jobs.QueueLow), asynq.MaxRetry(2),
		asynq.Unique(time.Hour), asynq.Timeout(time.Hour))
	return err
}
