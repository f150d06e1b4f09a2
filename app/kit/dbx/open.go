package dbx

import (
	"fmt"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// PoolConfig bounds a connection pool.
type PoolConfig struct {
	MaxOpen     int
	MaxIdle     int
	MaxLifetime time.Duration
}

// Open connects gorm to PostgreSQL through pgx.
func Open(dsn string, pc PoolConfig) (*gorm.DB, error) {
	g, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		TranslateError:         false,
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	if pc.MaxOpen > 0 {
		sqlDB.SetMaxOpenConns(pc.MaxOpen)
	}
	if pc.MaxIdle > 0 {
		sqlDB.SetMaxIdleConns(pc.MaxIdle)
	}
	if pc.MaxLifetime > 0 {
		sqlDB.SetConnMaxLifetime(pc.MaxLifetime)
	}
	return g, nil
}
