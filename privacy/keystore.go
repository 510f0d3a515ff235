package privacy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
)

// KeyStore holds per-subject data keys outside the ledger. Implementations must be safe
// for concurrent use, and Shred must be durable (and the key unrecoverable from the
// store) when it returns nil. DirStore is the file-system implementation; PostgreSQL or
// a KMS can stand in by implementing these three methods.
type KeyStore interface {
	// GetOrCreate returns the subject's current data key, creating one on first use. It
	// fails with *ShreddedError for a destroyed subject.
	GetOrCreate(ctx context.Context, subject string) (DataKey, error)
	// Get returns the data key kid of subject: ErrNoKey if there is none,
	// *ShreddedError if it was destroyed.
	Get(ctx context.Context, subject, kid string) (DataKey, error)
	// Shred destroys every key of subject and remembers by whom, so that no key can be
	// made for it later. Shredding a subject twice keeps the first destruction. A subject
	// that has no key is left alone and ErrNoKey returned: a key that does not exist
	// cannot be destroyed in advance (an insider could otherwise make another
	// institution's later data unwritable), and a key made for it later holds new data.
	Shred(ctx context.Context, subject string, by Destruction) error
}

// DataKey is one subject's SM4 key. Key is secret: never log or persist it in clear.
type DataKey struct {
	Subject string
	ID      string // key id: 16 lowercase hex digits, random
	Key     []byte // 16 bytes
}

// Destruction is the ledger entry that destroyed a subject's key.
type Destruction struct {
	EventID     string `json:"event_id"`
	Seq         uint64 `json:"seq"`
	Type        string `json:"type"`
	Article     string `json:"article,omitempty"`
	Institution string `json:"institution,omitempty"`
	RecordedAt  string `json:"recorded_at,omitempty"`
	ShreddedAt  string `json:"shredded_at,omitempty"`
}

var (
	// ErrNoKey: the store has no such key (never created, or another store).
	ErrNoKey = errors.New("no such data key")
	// ErrWrongKEK: the key-encryption key does not match the store.
	ErrWrongKEK = errors.New("wrong key-encryption key for this key store")
	// ErrTampered: an encrypted field fails its authentication tag: the ciphertext, or
	// the event id, path, subject or key id it is bound to, was altered.
	ErrTampered = errors.New("encrypted field does not decrypt: the ciphertext or what it is bound to (event id, field path, subject, key id) was altered")
	// ErrDestroyed is what *ShreddedError unwraps to, for errors.Is.
	ErrDestroyed = errors.New("data key destroyed")
)

// ShreddedError says that a subject's key was destroyed, and by which ledger entry. When
// it comes from decrypting a field, Field and EventID name the field.
type ShreddedError struct {
	Subject string
	By      Destruction
	EventID string // the event whose field could not be read ("" from a KeyStore)
	Field   string
}

func (e *ShreddedError) Error() string {
	what := "subject " + e.Subject
	if e.Field != "" {
		what = fmt.Sprintf("field %s of event %s is unreadable: subject %s", e.Field, e.EventID, e.Subject)
	}
	s := fmt.Sprintf("%s: its key was destroyed by event %s (%s, seq %d", what, e.By.EventID, e.By.Type, e.By.Seq)
	if e.By.Article != "" {
		s += ", Art. " + e.By.Article
	}
	return s + ")"
}

// MessageZH says the same in Simplified Chinese, for officials.
func (e *ShreddedError) MessageZH() string {
	s := fmt.Sprintf("主体 %s 的数据密钥已被事件 %s（%s，序号 %d", e.Subject, e.By.EventID, e.By.Type, e.By.Seq)
	if e.By.Article != "" {
		s += "，第" + e.By.Article + "条"
	}
	s += "）销毁"
	if e.Field != "" {
		s = fmt.Sprintf("事件 %s 的字段 %s 已不可读：%s", e.EventID, e.Field, s)
	}
	return s
}

// Unwrap makes errors.Is(err, ErrDestroyed) true.
func (e *ShreddedError) Unwrap() error { return ErrDestroyed }

var (
	subjectRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$`)
	kidRE     = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// ValidSubject reports whether s can name a subject: the ledger's identifier characters
// plus "/", at most 200 of them.
func ValidSubject(s string) error {
	if !subjectRE.MatchString(s) {
		return fmt.Errorf("subject %q is not a valid id (letters, digits, ._:/@-; at most 200)", s)
	}
	return nil
}
