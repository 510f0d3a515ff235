package report

import "errors"

// Sentinel errors; the CLI maps every one of them to a usage error (exit 2).
var (
	// ErrUnknownKind: no kind of that name is registered.
	ErrUnknownKind = errors.New("unknown report kind (未知的报告类型)")
	// ErrNotAvailable: the kind is registered but its projection is not built yet.
	ErrNotAvailable = errors.New("report kind not available yet")
	// ErrBadFormat: an output format other than table, json, csv, html.
	ErrBadFormat = errors.New("unknown report format (未知的报告格式)")
	// ErrNotFound: the report was narrowed to something the ledger does not name.
	ErrNotFound = errors.New("not found in the ledger")
	// ErrBadLang: a language other than zh or en.
	ErrBadLang = errors.New("unknown report language (未知的报告语言)")
)

// ErrSnapshot is wrapped by every error of Model.UnmarshalBinary: the saved state cannot
// be restored (another format, kind or policy, or corrupt bytes), so the caller rebuilds
// the model from zero instead of reading something misread.
var ErrSnapshot = errors.New("read-model snapshot refused")
