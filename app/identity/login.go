package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/dbx"
	"doorstep/app/kit/errs"
	"doorstep/app/kit/phone"
	"doorstep/tenant"
)

// LoginResult is a successful sign-in.
type LoginResult struct {
	Token     string // empty for web-session logins
	ExpiresAt time.Time
	Principal *auth.Principal
}

// rateLimit allows one event under key or returns a RateLimited error with Retry-After.
func (s *Service) rateLimit(ctx context.Context, key string, l redis_rate.Limit) error {
	res, err := s.limiter.Allow(ctx, "doorstep:rl:"+key, l)
	if err != nil {
		return errs.Wrap(err, errs.Unavailable, "rate_limiter_unavailable", "try again shortly")
	}
	if res.Allowed == 0 {
		return &errs.Error{Kind: errs.RateLimited, Code: "rate_limited", Detail: "too many attempts; wait before trying again", RetryAfter: res.RetryAfter}
	}
	return nil
}

// normalizeLogin turns an e-mail or phone login into lookup keys.
func normalizeLogin(login, region string) (email, ph string) {
	login = strings.TrimSpace(login)
	if strings.Contains(login, "@") {
		return strings.ToLower(login), ""
	}
	if p, err := phone.Normalize(login, region); err == nil {
		return "", p
	}
	return "", ""
}

// Login checks a staff-side user's password in the tenant in ctx. With issueToken a bearer
// token is created; otherwise the caller keeps the principal in a web session.
func (s *Service) Login(ctx context.Context, login, password, ip string, issueToken bool) (LoginResult, error) {
	t, ok := tenant.FromContext(ctx)
	if !ok {
		return LoginResult{}, tenant.ErrNotFound
	}
	if err := s.rateLimit(ctx, "login:ip:"+ip, redis_rate.PerMinute(s.cfg.LoginPerMinIP)); err != nil {
		return LoginResult{}, err
	}
	email, ph := normalizeLogin(login, t.PhoneRegion)
	if err := s.rateLimit(ctx, "login:acct:"+t.ID.String()+":"+email+ph+strings.ToLower(strings.TrimSpace(login)), redis_rate.PerMinute(s.cfg.LoginPerMinute)); err != nil {
		return LoginResult{}, err
	}
	var res LoginResult
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		u, err := s.repo.UserByLogin(ctx, email, ph)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return err
		}
		if !CheckPassword(password, u.PasswordHash) || (email == "" && ph == "") {
			return ErrBadCredentials
		}
		if u.Status != "active" {
			return ErrDisabled
		}
		now := s.clock.Now()
		if err := s.repo.TouchUserLogin(ctx, u.ID, now); err != nil {
			return err
		}
		res.Principal, err = s.principalFor(ctx, auth.User, u.ID)
		if err != nil {
			return err
		}
		if issueToken {
			res.Token, res.ExpiresAt, err = s.issue(ctx, auth.User, u.ID, "login", s.cfg.SessionTTL)
		}
		return err
	})
	return res, err
}

// RequestCode sends a one-time login code to a customer's phone.
func (s *Service) RequestCode(ctx context.Context, rawPhone, ip string) error {
	t, ok := tenant.FromContext(ctx)
	if !ok {
		return tenant.ErrNotFound
	}
	ph, err := phone.Normalize(rawPhone, t.PhoneRegion)
	if err != nil {
		return errs.InvalidFields(errs.Field("phone", "not a valid phone number"))
	}
	if err := s.rateLimit(ctx, "code:ip:"+ip, redis_rate.PerMinute(s.cfg.CodesPerMinIP)); err != nil {
		return err
	}
	if err := s.rateLimit(ctx, "code:phone:"+t.ID.String()+":"+ph, redis_rate.Limit{Rate: 1, Burst: 1, Period: time.Minute}); err != nil {
		return err
	}
	if err := s.rateLimit(ctx, "code:phone-hour:"+t.ID.String()+":"+ph, redis_rate.PerHour(s.cfg.CodesPerHour)); err != nil {
		return err
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	key := codeKey(t.ID, ph)
	sum := sha256.Sum256([]byte(key + ":" + code))
	if err := s.rdb.HSet(ctx, key, "h", hex.EncodeToString(sum[:]), "n", 0).Err(); err != nil {
		return errs.Wrap(err, errs.Unavailable, "code_store_unavailable", "try again shortly")
	}
	s.rdb.Expire(ctx, key, s.cfg.CodeTTL)
	return s.db.InTx(ctx, func(ctx context.Context) error {
		return s.codes.SendLoginCode(ctx, ph, code, t.Locale, t.BrandName(), s.cfg.CodeTTL)
	})
}

func codeKey(tid uuid.UUID, ph string) string { return "doorstep:otp:" + tid.String() + ":" + ph }

// VerifyCode signs a customer in with a one-time code, creating the customer on first login.
func (s *Service) VerifyCode(ctx context.Context, rawPhone, code string) (LoginResult, error) {
	t, ok := tenant.FromContext(ctx)
	if !ok {
		return LoginResult{}, tenant.ErrNotFound
	}
	ph, err := phone.Normalize(rawPhone, t.PhoneRegion)
	if err != nil {
		return LoginResult{}, ErrBadCode
	}
	key := codeKey(t.ID, ph)
	// Count the attempt before comparing, atomically, so parallel guesses share the budget.
	n, err := s.rdb.HIncrBy(ctx, key, "n", 1).Result()
	if err != nil {
		return LoginResult{}, errs.Wrap(err, errs.Unavailable, "code_store_unavailable", "try again shortly")
	}
	stored, _ := s.rdb.HGet(ctx, key, "h").Result()
	if stored == "" {
		s.rdb.Del(ctx, key)
		return LoginResult{}, ErrBadCode
	}
	if n > int64(s.cfg.CodeAttempts) {
		s.rdb.Del(ctx, key)
		return LoginResult{}, ErrBadCode
	}
	sum := sha256.Sum256([]byte(key + ":" + strings.TrimSpace(code)))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(stored)) != 1 {
		return LoginResult{}, ErrBadCode
	}
	s.rdb.Del(ctx, key)
	var res LoginResult
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		c, err := s.repo.CustomerByPhone(ctx, ph)
		now := s.clock.Now()
		switch {
		case errs.KindOf(err) == errs.NotFound:
			c = Customer{ID: uuid.Must(uuid.NewV7()), Phone: ph, Status: "active", CreatedAt: now, UpdatedAt: now}
			if err := s.repo.CreateCustomer(ctx, c); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if c.Status != "active" {
			return ErrDisabled
		}
		if err := s.repo.TouchCustomerLogin(ctx, c.ID, now); err != nil {
			return err
		}
		res.Principal, err = s.principalFor(ctx, auth.Customer, c.ID)
		if err != nil {
			return err
		}
		res.Token, res.ExpiresAt, err = s.issue(ctx, auth.Customer, c.ID, "login", s.cfg.SessionTTL)
		return err
	})
	return res, err
}

// issue creates a bearer token in the current transaction.
func (s *Service) issue(ctx context.Context, kind auth.Kind, subject uuid.UUID, name string, ttl time.Duration) (string, time.Time, error) {
	tid, _ := dbx.TenantID(ctx)
	raw, hash := newToken(tid)
	now := s.clock.Now()
	tok := Token{ID: uuid.Must(uuid.NewV7()), SubjectKind: kind, SubjectID: subject, Hash: hash, Name: name,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.repo.CreateToken(ctx, tok); err != nil {
		return "", time.Time{}, err
	}
	return raw, tok.ExpiresAt, nil
}

// Authenticate turns a bearer token into a principal. The tenant is read from the token, and
// the token's row is then looked up under that tenant's row-level security.
func (s *Service) Authenticate(ctx context.Context, raw string) (*auth.Principal, error) {
	tid, hash, ok := parseToken(raw)
	if !ok {
		return nil, ErrUnauthenticated
	}
	var p *auth.Principal
	err := s.db.InTx(dbx.WithTenant(ctx, tid), func(ctx context.Context) error {
		tok, err := s.repo.TokenByHash(ctx, hash)
		if err != nil {
			if errs.KindOf(err) == errs.NotFound {
				return ErrUnauthenticated
			}
			return err
		}
		now := s.clock.Now()
		switch {
		case tok.RevokedAt != nil:
			return ErrTokenRevoked
		case !now.Before(tok.ExpiresAt):
			return ErrTokenExpired
		}
		if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > time.Minute {
			if err := s.repo.TouchToken(ctx, tok.ID, now); err != nil {
				return err
			}
		}
		p, err = s.principalFor(ctx, tok.SubjectKind, tok.SubjectID)
		if err != nil {
			return err
		}
		p.TokenID = tok.ID
		return nil
	})
	return p, err
}

// PrincipalFor rebuilds the principal of a web session (tenant in ctx).
func (s *Service) PrincipalFor(ctx context.Context, kind auth.Kind, subject uuid.UUID) (*auth.Principal, error) {
	var p *auth.Principal
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		p, err = s.principalFor(ctx, kind, subject)
		return err
	})
	if err != nil {
		return nil, err
	}
	p.Session = true
	return p, nil
}

func (s *Service) principalFor(ctx context.Context, kind auth.Kind, subject uuid.UUID) (*auth.Principal, error) {
	tid, _ := dbx.TenantID(ctx)
	p := &auth.Principal{Kind: kind, TenantID: tid, SubjectID: subject}
	switch kind {
	case auth.User:
		u, err := s.repo.GetUser(ctx, subject)
		if err != nil {
			return nil, ErrUnauthenticated
		}
		if u.Status != "active" {
			return nil, ErrDisabled
		}
		p.Roles = s.roles.RolesOf(tid, p.Subject())
		if p.Scope, err = s.roles.ScopeOf(ctx, p.Roles); err != nil {
			return nil, err
		}
		p.FranchiseeID, p.StoreID = u.FranchiseeID, u.StoreID
		if p.StoreID != uuid.Nil && p.FranchiseeID == uuid.Nil && s.stores != nil {
			if fr, err := s.stores.FranchiseeOf(ctx, p.StoreID); err == nil {
				p.FranchiseeID = fr
			}
		}
	case auth.Customer:
		c, err := s.repo.GetCustomer(ctx, subject)
		if err != nil {
			return nil, ErrUnauthenticated
		}
		if c.Status != "active" {
			return nil, ErrDisabled
		}
		// Every customer holds the customer role implicitly; no policy row per customer.
		p.Roles, p.Scope = []string{"customer"}, auth.ScopeSelf
	default:
		return nil, ErrUnauthenticated
	}
	return p, nil
}

// Logout revokes the bearer token the principal used (web sessions are destroyed by the caller).
func (s *Service) Logout(ctx context.Context, p *auth.Principal) error {
	if p.TokenID == uuid.Nil {
		return nil
	}
	return s.RevokeToken(ctx, p, p.TokenID)
}
