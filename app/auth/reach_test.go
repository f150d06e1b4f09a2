package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/auth"
)

func TestReachesStore(t *testing.T) {
	store, other, fr := uuid.New(), uuid.New(), uuid.New()
	storesOf := func(_ context.Context, id uuid.UUID) ([]uuid.UUID, error) {
		if id == fr {
			return []uuid.UUID{store}, nil
		}
		return nil, nil
	}
	as := func(p *auth.Principal) context.Context { return auth.WithPrincipal(context.Background(), p) }
	cases := []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"system", context.Background(), true},
		{"operator", as(&auth.Principal{Kind: auth.Operator}), true},
		{"tenant-wide", as(&auth.Principal{Kind: auth.User, Scope: auth.ScopeTenant}), true},
		{"franchisee, own store", as(&auth.Principal{Kind: auth.User, Scope: auth.ScopeFranchisee, FranchiseeID: fr}), true},
		{"store, own", as(&auth.Principal{Kind: auth.User, Scope: auth.ScopeStore, StoreID: store}), true},
		{"store, other", as(&auth.Principal{Kind: auth.User, Scope: auth.ScopeStore, StoreID: other}), false},
		{"franchisee, none", as(&auth.Principal{Kind: auth.User, Scope: auth.ScopeFranchisee}), false},
		{"self-scoped staff of the store", as(&auth.Principal{Kind: auth.User, Scope: auth.ScopeSelf, StoreID: store}), false},
		{"customer", as(&auth.Principal{Kind: auth.Customer, Scope: auth.ScopeSelf}), false},
	}
	for _, c := range cases {
		got, err := auth.ReachesStore(c.ctx, store, storesOf)
		require.NoError(t, err, c.name)
		require.Equal(t, c.want, got, c.name)
	}
	boom := errors.New("boom")
	_, err := auth.ReachesStore(as(&auth.Principal{Kind: auth.User, Scope: auth.ScopeFranchisee, FranchiseeID: fr}), store,
		func(context.Context, uuid.UUID) ([]uuid.UUID, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
}
