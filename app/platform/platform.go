// Package platform owns platform operators: the SaaS owner's staff, who live outside every
// tenant, create and suspend tenants and watch the job dashboard. Their accounts and tokens are
// platform tables.
package platform

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"doorstep/app/auth"
	"doorstep/app/identity"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
)

const tokenPrefix = "dsp_"

// Service signs operators in and authenticates their tokens.
type Service struct {
	db      *dbx.DB
	limiter *redis_rate.Limiter
	ttl     time.Duration
}

// NewService returns the operator service; sign-ins are rate-limited in Redis.
func NewService(db *dbx.DB, rdb *redis.Client) *Service {
	return &Service{db: db, limiter: redis_rate.NewLimiter(rdb), ttl: 12 * time.Hour}
}

// loginLimit is per operator e-mail and per client address.
var loginLimit = redis_rate.PerMinute(10)

func (s *Service) allow(ctx context.Context, key string) error {
	res, err := s.limiter.Allow(ctx, "doorstep:rl:platform:"+key, loginLimit)
	if err != nil {
		return errs.Wrap(err, errs.Unavailable, "rate_limiter_unavailable", "try again shortly")
	}
	if res.Allowed == 0 {
		return &errs.Error{Kind: errs.RateLimited, Code: "rate_limited", Detail: "too many attempts; wait before trying again", RetryAfter: res.RetryAfter}
	}
	return nil
}

type operatorRow struct {
	ID           uuid.UUID
	Email        string
	PasswordHash string
	Name         string
	CreatedAt    time.Time
}

func (operatorRow) TableName() string { return "platform_operators" }

type tokenRow struct {
	ID         uuid.UUID
	OperatorID uuid.UUID
	TokenHash  []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}

func (tokenRow) TableName() string { return "platform_tokens" }

// EnsureOperator creates an operator or resets their password (used by the CLI and dev seed).
func (s *Service) EnsureOperator(ctx context.Context, email, password, name string) (uuid.UUID, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") || len(password) < 10 {
		return uuid.Nil, errs.InvalidFields(errs.Field("email", "an e-mail address"), errs.Field("password", "at least 10 characters"))
	}
	hash, err := identity.HashPassword(password)
	if err != nil {
		return uuid.Nil, err
	}
	row := operatorRow{ID: uuid.Must(uuid.NewV7()), Email: email, PasswordHash: hash, Name: name, CreatedAt: time.Now()}
	err = s.db.Conn(ctx).Exec(`insert into platform_operators (id, email, password_hash, name, created_at) values (?, ?, ?, ?, ?)
		on conflict (email) do update set password_hash = excluded.password_hash`, row.ID, row.Email, row.PasswordHash, row.Name, row.CreatedAt).Error
	if err != nil {
		return uuid.Nil, dbx.Err(err)
	}
	var got operatorRow
	if err := s.db.Conn(ctx).Where("email = ?", email).Take(&got).Error; err != nil {
		return uuid.Nil, dbx.Err(err)
	}
	return got.ID, nil
}

// Login checks an operator's password and issues a token.
func (s *Service) Login(ctx context.Context, email, password, ip string) (string, time.Time, uuid.UUID, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	for _, key := range []string{"ip:" + ip, "email:" + email} {
		if err := s.allow(ctx, key); err != nil {
			return "", time.Time{}, uuid.Nil, err
		}
	}
	var op operatorRow
	err := s.db.Conn(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Take(&op).Error
	if err != nil {
		op.PasswordHash = ""
	}
	if !identity.CheckPassword(password, op.PasswordHash) {
		return "", time.Time{}, uuid.Nil, identity.ErrBadCredentials
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	sum := sha256.Sum256(b[:])
	now := time.Now()
	t := tokenRow{ID: uuid.Must(uuid.NewV7()), OperatorID: op.ID, TokenHash: sum[:], CreatedAt: now, ExpiresAt: now.Add(s.ttl)}
	if err := s.db.Conn(ctx).Create(&t).Error; err != nil {
		return "", time.Time{}, uuid.Nil, dbx.Err(err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), t.ExpiresAt, op.ID, nil
}

// IsToken reports whether raw looks like an operator token.
func IsToken(raw string) bool { return strings.HasPrefix(raw, tokenPrefix) }

// Authenticate turns an operator token into a principal.
func (s *Service) Authenticate(ctx context.Context, raw string) (*auth.Principal, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(raw, tokenPrefix))
	if err != nil || len(b) != 32 {
		return nil, identity.ErrUnauthenticated
	}
	sum := sha256.Sum256(b)
	var t tokenRow
	if err := s.db.Conn(ctx).Where("token_hash = ?", sum[:]).Take(&t).Error; err != nil {
		return nil, identity.ErrUnauthenticated
	}
	switch {
	case t.RevokedAt != nil:
		return nil, identity.ErrTokenRevoked
	case !time.Now().Before(t.ExpiresAt):
		return nil, identity.ErrTokenExpired
	}
	return &auth.Principal{Kind: auth.Operator, SubjectID: t.OperatorID, TokenID: t.ID, Scope: auth.ScopeTenant}, nil
}
