package tenant

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"doorstep/app/kit/errs"
)

// Resolver finds the tenant a request belongs to.
type Resolver struct {
	store      Store
	baseDomain string
	devMode    bool
}

// NewResolver returns a resolver for hosts under baseDomain; devMode also accepts X-Tenant.
func NewResolver(store Store, baseDomain string, devMode bool) *Resolver {
	return &Resolver{store: store, baseDomain: strings.ToLower(baseDomain), devMode: devMode}
}

// DevMode reports whether the X-Tenant header is honoured.
func (r *Resolver) DevMode() bool { return r.devMode }

// ByID returns an active tenant; a suspended one is ErrSuspended (with the tenant), an unknown
// one ErrNotFound. Other errors (the database being down) pass through: jobs retry them
// rather than dropping the task as if the tenant did not exist.
func (r *Resolver) ByID(ctx context.Context, id uuid.UUID) (*Tenant, error) {
	t, err := r.store.Get(ctx, id)
	if errs.KindOf(err) == errs.NotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return active(t)
}

// notFound says "no such tenant" for any lookup failure except an unreachable database, which
// keeps its own error (503 unavailable): a tenant is not gone because PostgreSQL restarted.
func notFound(err error) error {
	if errs.KindOf(err) == errs.Unavailable {
		return err
	}
	return ErrNotFound
}

// ByHost resolves {slug}.{base domain} or a custom domain. ok is false when host names no
// tenant at all (for example the bare platform domain); err is set for an unknown tenant host
// or a suspended tenant.
func (r *Resolver) ByHost(ctx context.Context, host string) (t *Tenant, ok bool, err error) {
	host = NormalizeHost(host)
	if host == "" || host == r.baseDomain || host == "www."+r.baseDomain || host == "127.0.0.1" || host == "::1" || host == "[::1]" {
		return nil, false, nil
	}
	var found Tenant
	if r.baseDomain != "" && strings.HasSuffix(host, "."+r.baseDomain) {
		slug := strings.TrimSuffix(host, "."+r.baseDomain)
		if strings.Contains(slug, ".") {
			return nil, true, ErrNotFound
		}
		found, err = r.store.BySlug(ctx, slug)
	} else {
		found, err = r.store.ByDomain(ctx, host)
	}
	if err != nil {
		return nil, true, notFound(err)
	}
	t, err = active(found)
	return t, true, err
}

// ByHeader resolves the dev-mode X-Tenant header (slug or id).
func (r *Resolver) ByHeader(ctx context.Context, v string) (*Tenant, error) {
	if !r.devMode {
		return nil, ErrNotFound
	}
	var t Tenant
	var err error
	if id, perr := uuid.Parse(v); perr == nil {
		t, err = r.store.Get(ctx, id)
	} else {
		t, err = r.store.BySlug(ctx, strings.ToLower(v))
	}
	if err != nil {
		return nil, notFound(err)
	}
	return active(t)
}

func active(t Tenant) (*Tenant, error) {
	if t.Status != Active {
		return &t, ErrSuspended
	}
	return &t, nil
}
