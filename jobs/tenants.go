package jobs

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"doorstep/app/kit/dbx"
)

// tenantIDs lists every tenant from the platform table, which the runtime role may read
// without a tenant set. Suspended tenants are included: their queued work still has to drain
// (handlers decide what a suspended tenant may still do).
func tenantIDs(ctx context.Context, db *dbx.DB) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	if err := db.Gorm().WithContext(ctx).Raw("select id from tenants order by id").Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("jobs: list tenants: %w", err)
	}
	return ids, nil
}
