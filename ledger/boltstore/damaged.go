package boltstore

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/aba-prefecture/dataledger/ledger"
)

// DamagedError says that the store file cannot be read as a bbolt file: cut short,
// overwritten, zero-filled, with bytes appended, or with pages that do not fit together.
// It is not tampering the verifier can place at a position; the file itself must be
// restored. Tools map it to their error exit (2) and print Error's one line; ledgerd
// refuses to start with it. errors.Is(err, ledger.ErrStoreDamaged) holds for it, so
// that code above the Store interface can tell it from a read that merely failed.
type DamagedError struct {
	Path   string // the store file
	Detail string // what is wrong with it, e.g. "truncated: the file holds 45 whole pages, its meta page says 202"
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%s is damaged (%s): restore it from a backup (账本存储文件已损坏，请从备份恢复)", e.Path, e.Detail)
}

// Is makes errors.Is(err, ledger.ErrStoreDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ledger.ErrStoreDamaged }

// callerPanic carries a panic raised by a caller's callback through guard unchanged: only
// bbolt's own panics mean a damaged file.
type callerPanic struct{ v any }

// guard runs fn, one or more bbolt calls, and turns a bbolt panic, or a memory fault on
// the store's mapping (a page past the end of a file cut short under us), into a
// *DamagedError. Open validates the file first, so this is the last line: the file
// changed while open, or bbolt found something validate does not check. Once damaged,
// the store stays so: bbolt's state after a panic is not to be trusted with writes.
func (s *Store) guard(fn func() error) (err error) {
	if d := s.damaged.Load(); d != nil {
		return d
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if c, ok := r.(callerPanic); ok {
			panic(c.v)
		}
		d := &DamagedError{Path: s.path, Detail: panicDetail(r)}
		s.damaged.CompareAndSwap(nil, d)
		err = s.damaged.Load()
	}()
	return fn()
}

// caller runs a caller's callback inside guard, marking its panics as the caller's own.
func caller[T any](fn func(T) error, v T) error {
	defer func() {
		if r := recover(); r != nil {
			panic(callerPanic{r})
		}
	}()
	return fn(v)
}

// callerDo is caller for a callback of another shape.
func callerDo(fn func() error) error {
	defer func() {
		if r := recover(); r != nil {
			panic(callerPanic{r})
		}
	}()
	return fn()
}

// panicDetail words a recovered panic for DamagedError.Detail.
func panicDetail(r any) string {
	var re runtime.Error
	if err, ok := r.(error); ok && errors.As(err, &re) {
		if _, ok := re.(interface{ Addr() uintptr }); ok {
			return "a page cannot be read from the mapped file (cut short or changed while open): " + re.Error()
		}
		return "bbolt failed reading it: " + re.Error()
	}
	return fmt.Sprintf("bbolt failed reading it: %v", r)
}
