package identity

import (
	"context"
	"log/slog"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"doorstep/app/kit/clock"
	"doorstep/app/kit/dbx"
)

// Config holds identity's tunables.
type Config struct {
	SessionTTL     time.Duration // login tokens
	APITokenTTL    time.Duration // named API tokens
	CodeTTL        time.Duration // one-time codes
	CodeAttempts   int
	LoginPerMinute int // per account
	LoginPerMinIP  int // per client IP
	CodesPerHour   int // per phone
	CodesPerMinIP  int // per client IP
}

// DefaultConfig is what production uses.
func DefaultConfig() Config {
	return Config{SessionTTL: 30 * 24 * time.Hour, APITokenTTL: 365 * 24 * time.Hour, CodeTTL: 5 * time.Minute,
		CodeAttempts: 5, LoginPerMinute: 10, LoginPerMinIP: 60, CodesPerHour: 5, CodesPerMinIP: 20}
}

// CodeSender delivers a login code to a phone (through the notification outbox).
type CodeSender interface {
	SendLoginCode(ctx context.Context, phone, code, locale, brand string, ttl time.Duration) error
}

// Service is the identity service.
type Service struct {
	db      *dbx.DB
	repo    Repo
	roles   Roles
	stores  StoreLookup
	audit   Auditor
	codes   CodeSender
	rdb     *redis.Client
	limiter *redis_rate.Limiter
	clock   clock.Clock
	cfg     Config
	log     *slog.Logger
}

// Deps are the service's collaborators.
type Deps struct {
	DB     *dbx.DB
	Repo   Repo
	Roles  Roles
	Stores StoreLookup
	Audit  Auditor
	Codes  CodeSender
	Redis  *redis.Client
	Clock  clock.Clock
	Log    *slog.Logger
}

// NewService wires the identity service.
func NewService(d Deps, cfg Config) *Service {
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	return &Service{db: d.DB, repo: d.Repo, roles: d.Roles, stores: d.Stores, audit: d.Audit, codes: d.Codes,
		rdb: d.Redis, limiter: redis_rate.NewLimiter(d.Redis), clock: d.Clock, cfg: cfg, log: d.Log}
}

// InTx runs fn in the identity database transaction (for API steps that span services).
func (s *Service) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.InTx(ctx, fn)
}
