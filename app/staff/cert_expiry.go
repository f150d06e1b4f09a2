package staff

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"doorstep/app/notify"
	"doorstep/jobs"
)

// TypeCertExpiry checks one tenant's approved certificates: it warns the staff member and
// their store WarnDays before a certificate expires (once per certificate, remembered in
// warned_at) and marks certificates past their expiry day expired, which makes their holders
// ineligible for services that require them. Running it twice in a day changes nothing.
const TypeCertExpiry = "staff:cert_expiry"

// WarnDays is how long before expiry the warning goes out.
const WarnDays = 30

// CertExpiryPayload is TypeCertExpiry's payload.
type CertExpiryPayload struct {
	jobs.Meta
}

// TaskType implements jobs.Payload.
func (*CertExpiryPayload) TaskType() string { return TypeCertExpiry }

// CertExpiryResult says what one run did.
type CertExpiryResult struct {
	Warned  int
	Expired int
}

// RegisterTasks adds the roster's job handlers to mux.
func (s *Service) RegisterTasks(mux *asynq.ServeMux) {
	jobs.Handle(mux, func(ctx context.Context, _ *CertExpiryPayload) error {
		_, err := s.CheckCertificates(ctx)
		return err
	})
	mux.HandleFunc(TypeCertExpirySweep, func(ctx context.Context, _ *asynq.Task) error {
		_, err := s.SweepCertificates(ctx)
		return err
	})
}

// CheckCertificates runs the expiry check for the context's tenant in one transaction, so
// the warnings (outbox rows) exist exactly when warned_at is set. "Today" is the calendar day
// at the certificate holder's home store.
func (s *Service) CheckCertificates(ctx context.Context) (CertExpiryResult, error) {
	var res CertExpiryResult
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		res = CertExpiryResult{}
		now := s.clock.Now()
		warn, err := s.repo.CertsToWarn(ctx, now, WarnDays)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, 0, len(warn))
		for _, c := range warn {
			if err := s.tell(ctx, c, "staff_cert_expiring"); err != nil {
				return err
			}
			ids = append(ids, c.CertID)
		}
		if err := s.repo.MarkWarned(ctx, ids, now); err != nil {
			return err
		}
		expired, err := s.repo.ExpireCerts(ctx, now)
		if err != nil {
			return err
		}
		for _, c := range expired {
			if err := s.tell(ctx, c, "staff_cert_expired"); err != nil {
				return err
			}
			if err := s.audit.Record(ctx, "staff_certificate.expire", "staff_certificate", c.CertID.String(),
				map[string]string{"status": CertApproved}, map[string]string{"status": CertExpired}); err != nil {
				return err
			}
		}
		res.Warned, res.Expired = len(warn), len(expired)
		return nil
	})
	if err == nil && (res.Warned > 0 || res.Expired > 0) {
		s.log.InfoContext(ctx, "certificate expiry check", "warned", res.Warned, "expired", res.Expired)
	}
	return res, err
}

// tell sends template to the staff member (in-app, to their user id) and to their store's
// in-app inbox ("store:<id>"), which the console shows to the store's managers.
func (s *Service) tell(ctx context.Context, c ExpiringCert, template string) error {
	name := c.TypeNameZh
	if c.Locale == notify.LocaleEn {
		name = c.TypeNameEn
	}
	days := int(c.ExpiresOn.Sub(truncDay(s.clock.Now())).Hours() / 24)
	params := map[string]string{"Name": c.StaffName, "Badge": c.BadgeNo, "Cert": name,
		"Date": c.ExpiresOn.Format(time.DateOnly), "Days": strconv.Itoa(max(days, 0))}
	for _, to := range []string{c.UserID.String(), "store:" + c.StoreID.String()} {
		m := notify.Message{Channel: notify.ChannelInApp, To: to, Locale: c.Locale, Template: template, Params: params}
		if err := notify.Enqueue(ctx, s.outbox, m); err != nil {
			return fmt.Errorf("staff: notify %s: %w", template, err)
		}
	}
	return nil
}

func truncDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
