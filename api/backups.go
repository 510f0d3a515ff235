package api

import (
	"net/http"
	"strconv"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/backup"
)

// POST /v1/backups: an online backup of the embedded store. The server records the backup
// first (ledger.backup_taken.v1 under the ledger key, by the credential's person, with the
// reason), then answers exactly what GET /v1/snapshot answers — a consistent copy taken
// after the record, so it holds it — with the record's position in BackupSeqHeader.
// ledgerctl backup --server turns the stream into an encrypted aba-ledger-backup/v1
// archive, adding what only the machine holds (access files, private keys when asked).
// The same roles as evidence exports (authority, security officer) may take one: a
// backup takes every entry out of the ledger. A refused request records nothing.

// BackupSeqHeader is the client package's.
const BackupSeqHeader = client.BackupSeqHeader

var (
	errNoBackups = problem(ErrNotSupported, "backup_unsupported", "",
		"this server was started without the ledger key, so it cannot record a backup; use ledgerctl backup --data on the stopped ledger",
		"此服务启动时未加载账本密钥，无法记录备份；请在账本停止后使用 ledgerctl backup --data")
	errBackupBody = func(err error) *ledger.Problem {
		return problem(ledger.ErrInvalid, "malformed_body", "",
			"the body must be one JSON object {reason, private_keys} and nothing else: "+err.Error(),
			"请求体必须是唯一的 JSON 对象 {reason, private_keys}")
	}
)

func (s *Server) postBackup(w http.ResponseWriter, r *http.Request) {
	if s.cfg.LedgerKey == nil {
		s.refuse(w, r, errNoBackups)
		return
	}
	if _, ok := s.l.Store().(Snapshotter); !ok {
		s.refuse(w, r, errNoSnapshot) // before recording: nothing would follow the record
		return
	}
	var req client.BackupRequest
	p, ok := s.actBody(w, r, &req, errBackupBody)
	if !ok {
		return
	}
	seq, err := backup.Record(r.Context(), s.l, s.cfg.LedgerKey, backup.Request{By: p.Person, Reason: req.Reason, PrivateKeys: req.PrivateKeys})
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	noteRead(r.Context(), func(n *auditNote) { n.seqs = append(n.seqs, seq) })
	s.log.Info("backup recorded", "seq", seq, "person", p.Person, "remote", remoteIP(r))
	w.Header().Set(BackupSeqHeader, strconv.FormatUint(seq, 10))
	s.getSnapshot(w, r)
}
