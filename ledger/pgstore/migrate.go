package pgstore

import (
	"embed"

	"github.com/aba-prefecture/dataledger/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrSchemaTooNew: the database was migrated by a newer version of the program.
var ErrSchemaTooNew = pgmigrate.ErrSchemaTooNew
