package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"sort"

	"github.com/pressly/goose/v3"
)

// Provider returns a goose provider over the embedded migrations for db (the owner connection).
func Provider(db *sql.DB) (*goose.Provider, error) {
	return goose.NewProvider(goose.DialectPostgres, db, FS)
}

// Up applies every pending migration.
func Up(ctx context.Context, db *sql.DB) error {
	p, err := Provider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// Fingerprint hashes the migration files, so test templates are rebuilt when they change.
func Fingerprint() string {
	names, _ := fs.Glob(FS, "*.sql")
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		f, err := FS.Open(n)
		if err != nil {
			continue
		}
		_, _ = io.WriteString(h, n)
		_, _ = io.Copy(h, f)
		_ = f.Close()
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
