// Package migrations holds the goose SQL migrations, embedded in the binary.
//
// Rules every tenant-owned table follows (see DESIGN.md): tenant_id is the first column of the
// primary key and of every unique and foreign key, and the table is passed to
// doorstep_tenant_table(), which enables and forces row-level security with the standard
// app.tenant_id policy and grants the runtime role what it needs.
package migrations

import "embed"

//go:embed *.sql
var FS embed.FS
