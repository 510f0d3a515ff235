package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// The backup act. It is one of the ledger's own records, like ledger.bundle_exported.v1:
// signed by the ledger key (which may sign only ledger.* types), outside the domain's
// event catalogue, on a stream of its own (docs/decisions.md, "Backups are acts").
const (
	// Stream holds one ledger.backup_taken.v1 entry per backup.
	Stream = "ledger/backups"
	// TypeTaken records that a copy of the whole ledger left it: who took it, why, of
	// which size, and whether private keys went with it.
	TypeTaken = "ledger.backup_taken.v1"
	// MaxReasonBytes bounds the recorded reason.
	MaxReasonBytes = 2048
)

// Payload is the payload of ledger.backup_taken.v1.
type Payload struct {
	Format string `json:"format"`
	Reason string `json:"reason"`
	// LogSize is the log's size when the backup was recorded; the archive holds at least
	// this entry and every one before it.
	LogSize     uint64 `json:"log_size"`
	PrivateKeys bool   `json:"private_keys"`
}

// Request says who takes a backup, why, and whether private keys go with it.
type Request struct {
	By          string
	Reason      string
	PrivateKeys bool
	Now         func() time.Time
}

func refused(code, field, en, zh string) *ledger.Problem {
	return &ledger.Problem{Kind: ledger.ErrInvalid, Code: code, Field: field, Message: en, MessageZH: zh}
}

// Record appends the ledger.backup_taken.v1 act for req through l (open with ledgerKey
// as its signer) and returns its position. A backup is recorded before it is taken, so
// that the archive holds its own record: a copy on record that was never finished is an
// anomaly to explain, a copy in circulation that is not on record would be a breach.
func Record(ctx context.Context, l *ledger.Ledger, ledgerKey crypto.Signer, req Request) (uint64, error) {
	if strings.TrimSpace(req.Reason) == "" {
		return 0, refused("reason_required", "reason", "a reason for the backup is required (schedule, change, migration)", "备份须说明理由（例行、变更或迁移）")
	}
	if len(req.Reason) > MaxReasonBytes {
		return 0, refused("reason_too_long", "reason",
			fmt.Sprintf("the reason is %d bytes; at most %d are recorded", len(req.Reason), MaxReasonBytes),
			fmt.Sprintf("备份理由为 %d 字节，最多 %d 字节", len(req.Reason), MaxReasonBytes))
	}
	if strings.TrimSpace(req.By) == "" {
		return 0, refused("person_required", "by", "a backup is recorded with the person who took it", "备份须记录操作人")
	}
	payload, err := json.Marshal(Payload{Format: Format, Reason: req.Reason, LogSize: l.Size(), PrivateKeys: req.PrivateKeys})
	if err != nil {
		return 0, err
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	s, err := ledger.SignSubmission(ledgerKey, ledger.Submission{
		ID: uuid.Must(uuid.NewV7()).String(), Stream: Stream, Type: TypeTaken,
		OccurredAt: now().UTC().Format(time.RFC3339Nano),
		Actor:      ledger.Actor{Institution: l.Registry().Authority, Person: req.By, KeyID: ledgerKey.Public().ID()},
		Payload:    payload,
	})
	if err != nil {
		return 0, fmt.Errorf("signing the backup record: %w", err)
	}
	r, err := l.Append(ctx, s)
	if err != nil {
		return 0, fmt.Errorf("recording the backup: %w", err)
	}
	return r.Seq, nil
}
