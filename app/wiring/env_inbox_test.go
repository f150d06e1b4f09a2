package wiring_test

import (
	"context"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"doorstep/app/notify"
)

// seedInbox puts a real message in the inbox of f's owner and of f's customer, so the route
// walk has message ids of tenant A to aim at (and checksums them first).
func (e *env) seedInbox(f *fixture) {
	marker := "INBOX-" + f.Tenant.Slug
	params := map[string]string{notify.ParamBrand: f.Tenant.Name, notify.ParamOrderNo: marker, notify.ParamService: "日常保洁",
		notify.ParamTime: "2031-03-03 10:00", notify.ParamAddress: f.Tenant.Slug + " road 1"}
	for _, to := range []string{"user:" + f.UserIDs["owner"].String(), "customer:" + f.CustomerID.String()} {
		r, err := notify.Render(notify.Message{Channel: notify.ChannelInbox, To: to, Locale: notify.LocaleZhCN,
			Template: notify.TemplateOrderConfirmed, Params: params})
		require.NoError(e.t, err)
		require.NoError(e.t, e.app.Inbox.Send(context.Background(), f.Tenant.ID, r))
	}
	f.Secrets = append(f.Secrets, marker, inboxMessageOf(e, f, "user", f.UserIDs["owner"]).String(),
		inboxMessageOf(e, f, "customer", f.CustomerID).String())
}

// inboxMessageOf returns the id of a message of f's recipient (the newest).
func inboxMessageOf(e *env, f *fixture, kind string, id uuid.UUID) uuid.UUID {
	var out uuid.UUID
	require.NoError(e.t, e.db.Owner.Raw(`select id from inbox_messages where tenant_id = ? and recipient_kind = ? and recipient_id = ?
		order by created_at desc, id desc limit 1`, f.Tenant.ID, kind, id).Row().Scan(&out))
	return out
}
