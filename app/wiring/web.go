package wiring

import (
	"net/http"
	"strings"

	"doorstep/app/auth"
	"doorstep/app/platform"
	"doorstep/app/storefront"
	"doorstep/console"
)

// mountWeb adds the console and the storefront to the engine.
func (a *App) mountWeb() {
	closeMon := console.Mount(a.Server.Engine, a.RedisOpt, a.isOperator)
	a.closers = append(a.closers, closeMon)
	a.Server.Engine.NoRoute(storefront.Handler(a.Resolver))
}

// isOperator accepts an operator bearer token or an operator web session.
func (a *App) isOperator(r *http.Request) bool {
	if raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && platform.IsToken(raw) {
		p, err := a.Platform.Authenticate(r.Context(), raw)
		return err == nil && p.Kind == auth.Operator
	}
	return a.Sessions.GetString(r.Context(), "kind") == string(auth.Operator)
}
