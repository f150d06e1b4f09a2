package platform

import (
	"context"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/danielgtaylor/huma/v2"

	"doorstep/app/kit/httpx"
)

// Register adds operator sign-in.
// With "session": true the operator gets a web session (for the job dashboard) instead.
func Register(h huma.API, s *Service, sessions *scs.SessionManager) {
	huma.Register(h, httpx.Op(huma.Operation{OperationID: "platform-login", Method: http.MethodPost, Path: "/api/v1/platform/login",
		Summary: "Platform operator sign-in", Tags: []string{"Platform"}}, httpx.Access{Audience: httpx.Public}),
		func(ctx context.Context, in *struct {
			Body struct {
				Email    string `json:"email" maxLength:"254"`
				Password string `json:"password" maxLength:"200"`
				Session  bool   `json:"session,omitempty"`
			}
		}) (*httpx.Body[struct {
			Token     string    `json:"token"`
			ExpiresAt time.Time `json:"expires_at"`
		}], error) {
			tok, exp, opID, err := s.Login(ctx, in.Body.Email, in.Body.Password, httpx.ClientIPFrom(ctx))
			if err != nil {
				return nil, err
			}
			if in.Body.Session && sessions != nil {
				if err := sessions.RenewToken(ctx); err != nil {
					return nil, err
				}
				sessions.Put(ctx, "kind", "operator")
				sessions.Put(ctx, "subject_id", opID.String())
			}
			out := &httpx.Body[struct {
				Token     string    `json:"token"`
				ExpiresAt time.Time `json:"expires_at"`
			}]{}
			out.Body.Token, out.Body.ExpiresAt = tok, exp
			return out, nil
		})
}
