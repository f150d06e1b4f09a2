package staff

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"doorstep/app/auth"
	"doorstep/app/kit/errs"
)

// NewCertificate is an uploaded qualification document.
type NewCertificate struct {
	Type      string
	Number    string
	FileURL   string
	IssuedOn  string // YYYY-MM-DD, optional
	ExpiresOn string // YYYY-MM-DD, optional (no expiry)
}

// AddCertificate uploads a certificate for a staff member in the caller's scope; it waits
// for review.
func (s *Service) AddCertificate(ctx context.Context, staffID uuid.UUID, n NewCertificate) (Certificate, error) {
	var out Certificate
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		st, err := s.visibleStaff(ctx, staffID)
		if err != nil {
			return err
		}
		out, err = s.addCertificate(ctx, st, n)
		return err
	})
	return out, err
}

func (s *Service) addCertificate(ctx context.Context, st Staff, n NewCertificate) (Certificate, error) {
	now := s.clock.Now()
	c := Certificate{ID: uuid.Must(uuid.NewV7()), StaffID: st.ID, Type: strings.TrimSpace(n.Type), Number: strings.TrimSpace(n.Number),
		FileURL: n.FileURL, Status: CertPending, CreatedAt: now, UpdatedAt: now}
	var v errs.Validation
	var ok bool
	c.IssuedOn, ok = ParseDate(n.IssuedOn)
	v.Check(ok, "issued_on", "a date YYYY-MM-DD")
	c.ExpiresOn, ok = ParseDate(n.ExpiresOn)
	v.Check(ok, "expires_on", "a date YYYY-MM-DD")
	validateCertificate(c, &v)
	if err := v.Err(); err != nil {
		return Certificate{}, err
	}
	if err := s.repo.AddCertificate(ctx, c); err != nil {
		return Certificate{}, err
	}
	return c, s.audit.Record(ctx, "staff_certificate.upload", "staff_certificate", c.ID.String(), nil, c)
}

// ListCertificates lists a staff member's certificates, newest first.
func (s *Service) ListCertificates(ctx context.Context, staffID uuid.UUID) ([]Certificate, error) {
	var out []Certificate
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.visibleStaff(ctx, staffID)
		if err != nil {
			return err
		}
		out, err = s.repo.ListCertificates(ctx, staffID)
		return err
	})
	return out, err
}

// Review approves or rejects a pending certificate (store or HQ, inside the caller's scope).
// A rejection needs a reason.
func (s *Service) Review(ctx context.Context, staffID, certID uuid.UUID, approve bool, reason string) (Certificate, error) {
	reason = strings.TrimSpace(reason)
	var v errs.Validation
	v.Check(approve || reason != "", "reason", "a rejection needs a reason")
	v.Check(len([]rune(reason)) <= 500, "reason", "at most 500 characters")
	if err := v.Err(); err != nil {
		return Certificate{}, err
	}
	var reviewer uuid.UUID
	if p, ok := auth.FromContext(ctx); ok {
		reviewer = p.SubjectID
	}
	var out Certificate
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.visibleStaff(ctx, staffID)
		if err != nil {
			return err
		}
		var before Certificate
		out, err = s.repo.UpdateCertificate(ctx, staffID, certID, func(c *Certificate) error {
			if c.Status != CertPending {
				return ErrAlreadyReviewed
			}
			before = *c
			now := s.clock.Now()
			c.Status, c.RejectReason = CertApproved, ""
			if !approve {
				c.Status, c.RejectReason = CertRejected, reason
			}
			c.ReviewedBy, c.ReviewedAt, c.UpdatedAt = reviewer, &now, now
			return nil
		})
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, "staff_certificate.review", "staff_certificate", certID.String(), before, out)
	})
	return out, err
}
