package boltstore

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/aba-prefecture/dataledger/ledger"
)

// A batch whose commit fails was not acknowledged: bbolt rolls the transaction back, the
// meta page still names the last committed tree, and the sequencer keeps its state and
// answers the batch's clients with the error (HTTP 503 with the reason), who re-send the
// same bytes. What differs is whether writing may simply be tried again.
//
//   - A full disk (ENOSPC, EDQUOT) fails the write of the new pages, before the meta
//     page: nothing of the batch is referenced, and the next batch tries again, so
//     writes resume by themselves once space is freed.
//   - Any other failure — above all a failed fdatasync — leaves the file's durable
//     content unknown: after a failed fsync Linux may drop the dirty pages and report the
//     next fsync as a success, so a retry that succeeds proves nothing (PostgreSQL's
//     lesson of 2018). The store then refuses every further append until it is opened
//     again, which re-checks the file (ValidateFile) and ledgerd re-checks the log against
//     the published checkpoints; reads go on.

var (
	errDiskFull = &ledger.Problem{Kind: ledger.ErrUnavailable, Code: "disk_full",
		Message:   "the ledger's disk is full: this submission was not recorded and nothing acknowledged is lost; writes resume once space is freed; retry with the same id",
		MessageZH: "账本所在磁盘已满：本次提交未记录，已确认的记录不会丢失；释放空间后自动恢复写入，请以相同 id 重试"}
	errWriteFailed = &ledger.Problem{Kind: ledger.ErrUnavailable, Code: "store_write_failed",
		Message:   "the ledger's disk reported a write failure: writes are stopped until ledgerd is restarted and its store re-checked; nothing acknowledged is lost; retry with the same id later",
		MessageZH: "账本所在磁盘报告写入失败：写入已停止，须重启 ledgerd 并复核存储后恢复；已确认的记录不会丢失，请稍后以相同 id 重试"}
)

// isDiskFull reports a full disk or quota. bbolt wraps some of its errors as text only
// (growing the file), so the message is checked too.
func isDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		strings.Contains(err.Error(), syscall.ENOSPC.Error()) || strings.Contains(err.Error(), syscall.EDQUOT.Error())
}

// writeFailure turns a failed commit into the refusal clients get, and stops appends
// after a failure that is not a full disk.
func (s *Store) writeFailure(err error) error {
	if isDiskFull(err) {
		return fmt.Errorf("committing a batch to %s: %w (%v)", s.path, errDiskFull, err)
	}
	s.writeFailed.CompareAndSwap(nil, errWriteFailed)
	return fmt.Errorf("committing a batch to %s: %w (%v)", s.path, errWriteFailed, err)
}

// WriteFailure is the reason the store refuses appends until it is opened again, or nil.
// ledgerd's /readyz reports it.
func (s *Store) WriteFailure() error {
	if p := s.writeFailed.Load(); p != nil {
		return p
	}
	return nil
}
