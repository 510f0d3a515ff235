package ledger

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/aba-prefecture/dataledger/crypto"
)

// The key registry is itself a stream of events, so that which key could sign what, and
// when, is as provable as anything else in the ledger. Registry events live on one stream
// and are signed by the authority's root key; the genesis entry (seq 0) names the ledger's
// own key, the root key and the data authority.
const (
	// RegistryStream holds the genesis entry and every key registry act, in order.
	RegistryStream = "ledger/keys"

	TypeInitialized   = "ledger.initialized.v1"
	TypeKeyRegistered = "key.registered.v1"
	TypeKeyRotated    = "key.rotated.v1"
	TypeKeyRevoked    = "key.revoked.v1"
)

// Key roles. A role limits what a key may sign, so that the key that signs checkpoints
// cannot record a data act and an institution's key cannot register keys.
const (
	RoleLedger      = "ledger"      // signs genesis and ledger.* records
	RoleRoot        = "root"        // the authority's root: key.* and institution.* acts
	RoleInstitution = "institution" // everything an institution does
)

// KeyInfo is what the registry knows about one key.
type KeyInfo struct {
	Key         *crypto.PublicKey
	Institution string
	// Person, if set, is the one official the key belongs to: it signs only acts whose
	// actor.person is that person (a personal key, not an institution's system key).
	Person       string
	Role         string
	RegisteredAt uint64 // seq of the registering entry
	Revoked      bool
	RevokedAt    uint64 // seq of the revoking (or rotating) entry
}

// Registry is the key registry as of some position. A published Registry is never
// modified; the sequencer clones it before applying a batch.
type Registry struct {
	Origin    string
	Authority string
	LedgerKey string // key id
	RootKey   string // key id of the current root
	keys      map[string]*KeyInfo
}

// Key returns what the registry knows about a key id.
func (r *Registry) Key(id string) (*KeyInfo, bool) {
	if r == nil {
		return nil, false
	}
	k, ok := r.keys[id]
	return k, ok
}

// Keys returns every key ever registered, revoked ones included (bundles need them to
// verify old entries).
func (r *Registry) Keys() map[string]*KeyInfo { return maps.Clone(r.keys) }

func (r *Registry) clone() *Registry {
	c := *r
	c.keys = make(map[string]*KeyInfo, len(r.keys))
	for id, k := range r.keys {
		kc := *k
		c.keys[id] = &kc
	}
	return &c
}

// GenesisPayload is the payload of ledger.initialized.v1.
type GenesisPayload struct {
	Origin    string `json:"origin"`
	Authority string `json:"authority"`
	LedgerKey string `json:"ledger_key"` // PKIX PEM
	RootKey   string `json:"root_key"`   // PKIX PEM
}

// KeyRegisteredPayload is the payload of key.registered.v1.
type KeyRegisteredPayload struct {
	KeyID       string `json:"key_id"`
	Institution string `json:"institution"`
	PublicKey   string `json:"public_key"` // PKIX PEM
	// Person binds the key to one official of the institution: it may then sign only
	// acts naming that person as actor.person. Absent: an institution's system key.
	Person string `json:"person,omitempty"`
}

// KeyRotatedPayload is the payload of key.rotated.v1: the old key stops, the new one
// takes over its institution and role from the next entry on.
type KeyRotatedPayload struct {
	KeyID        string `json:"key_id"`
	NewKeyID     string `json:"new_key_id"`
	NewPublicKey string `json:"new_public_key"` // PKIX PEM
}

// KeyRevokedPayload is the payload of key.revoked.v1.
type KeyRevokedPayload struct {
	KeyID  string `json:"key_id"`
	Reason string `json:"reason"`
}

// genesisRegistry reads the genesis submission and returns the registry it founds and the
// ledger key that must have signed it.
func genesisRegistry(s *Submission) (*Registry, *crypto.PublicKey, error) {
	if s.Type != TypeInitialized || s.Stream != RegistryStream {
		return nil, nil, invalid("bad_genesis", "submission.type",
			"entry 0 must be "+TypeInitialized+" on stream "+RegistryStream,
			"第 0 条记录必须是 "+RegistryStream+" 流上的 "+TypeInitialized)
	}
	var p GenesisPayload
	if err := strictUnmarshal(s.Payload, &p, "submission.payload."); err != nil {
		return nil, nil, err
	}
	lk, err := crypto.ParsePublicKeyPEM([]byte(p.LedgerKey))
	if err != nil {
		return nil, nil, invalid("bad_key", "submission.payload.ledger_key", err.Error(), "账本公钥无法解析")
	}
	rk, err := crypto.ParsePublicKeyPEM([]byte(p.RootKey))
	if err != nil {
		return nil, nil, invalid("bad_key", "submission.payload.root_key", err.Error(), "根公钥无法解析")
	}
	if p.Origin == "" || strings.ContainsAny(p.Origin, "\n\r\t ") {
		return nil, nil, invalid("bad_origin", "submission.payload.origin", "origin must be one line without spaces", "origin 必须是不含空格的一行")
	}
	if err := validName(p.Authority, "submission.payload.authority"); err != nil {
		return nil, nil, err
	}
	if lk.ID() == rk.ID() {
		return nil, nil, invalid("bad_key", "submission.payload.root_key", "the root key must differ from the ledger key", "根密钥必须与账本密钥不同")
	}
	if s.Actor.KeyID != lk.ID() || s.Actor.Institution != p.Authority {
		return nil, nil, unauthorized("wrong_signer", "submission.actor", "genesis must be signed by the ledger key on behalf of the authority", "创世记录必须由账本密钥代表主管部门签名")
	}
	r := &Registry{Origin: p.Origin, Authority: p.Authority, LedgerKey: lk.ID(), RootKey: rk.ID(), keys: map[string]*KeyInfo{
		lk.ID(): {Key: lk, Institution: p.Authority, Role: RoleLedger},
		rk.ID(): {Key: rk, Institution: p.Authority, Role: RoleRoot},
	}}
	return r, lk, nil
}

// authorize is the one rule for who may sign what, used by ingest and by verification:
// the key is known, not revoked, bound to the acting institution, and its role allows the
// type; registry types stay on the registry stream.
func (r *Registry) authorize(s *Submission) (*KeyInfo, error) {
	k, ok := r.Key(s.Actor.KeyID)
	if !ok {
		return nil, unauthorized("unknown_key", "submission.actor.key_id", "no key with this id is registered", "该密钥未登记")
	}
	if k.Revoked {
		return nil, unauthorized("key_revoked", "submission.actor.key_id",
			fmt.Sprintf("the key was revoked at seq %d", k.RevokedAt), fmt.Sprintf("该密钥已于第 %d 条记录吊销", k.RevokedAt))
	}
	if k.Institution != s.Actor.Institution {
		return nil, unauthorized("key_not_bound", "submission.actor.institution",
			"the key is registered to another institution", "该密钥登记于其他机构")
	}
	if k.Person != "" && k.Person != s.Actor.Person {
		return nil, unauthorized("key_not_bound", "submission.actor.person",
			"the key is registered to another person of the institution", "该密钥登记于本单位其他人员")
	}
	registryType := s.Type == TypeInitialized || strings.HasPrefix(s.Type, "key.")
	if registryType != (s.Stream == RegistryStream) {
		return nil, invalid("bad_stream", "submission.stream",
			"key registry acts, and only they, go on stream "+RegistryStream,
			"密钥登记行为必须且只能记录在 "+RegistryStream+" 流")
	}
	allowed := false
	switch k.Role {
	case RoleLedger:
		allowed = strings.HasPrefix(s.Type, "ledger.") && s.Type != TypeInitialized
	case RoleRoot:
		allowed = strings.HasPrefix(s.Type, "key.") || strings.HasPrefix(s.Type, "institution.")
	case RoleInstitution:
		// An institution acts for itself; the registry of institutions (who exists, who is
		// a data authority) is the root's (Art. 3, 6).
		allowed = !strings.HasPrefix(s.Type, "key.") && !strings.HasPrefix(s.Type, "ledger.") && !strings.HasPrefix(s.Type, "institution.")
	}
	if !allowed {
		return nil, unauthorized("type_not_allowed", "submission.type",
			fmt.Sprintf("a %s key may not sign %s", k.Role, s.Type), fmt.Sprintf("%s 角色的密钥不得签署 %s", k.Role, s.Type))
	}
	return k, nil
}

// apply updates the registry in place for an authorised registry act at seq. Other types
// are ignored. It refuses acts that would leave the registry unusable or ambiguous.
func (r *Registry) apply(seq uint64, s *Submission) error {
	switch s.Type {
	case TypeKeyRegistered:
		var p KeyRegisteredPayload
		if err := strictUnmarshal(s.Payload, &p, "submission.payload."); err != nil {
			return err
		}
		k, err := r.newKey(p.KeyID, p.PublicKey, "submission.payload.")
		if err != nil {
			return err
		}
		if err := validName(p.Institution, "submission.payload.institution"); err != nil {
			return err
		}
		if p.Person != "" {
			if err := validName(p.Person, "submission.payload.person"); err != nil {
				return err
			}
		}
		r.keys[k.ID()] = &KeyInfo{Key: k, Institution: p.Institution, Person: p.Person, Role: RoleInstitution, RegisteredAt: seq}
	case TypeKeyRotated:
		var p KeyRotatedPayload
		if err := strictUnmarshal(s.Payload, &p, "submission.payload."); err != nil {
			return err
		}
		old, ok := r.keys[p.KeyID]
		if !ok || old.Revoked {
			return invalid("unknown_key", "submission.payload.key_id", "no active key with this id", "无此有效密钥")
		}
		if old.Role == RoleLedger {
			return invalid("bad_key", "submission.payload.key_id", "the ledger key is not rotated through the registry", "账本密钥不经登记簿轮换")
		}
		k, err := r.newKey(p.NewKeyID, p.NewPublicKey, "submission.payload.new_")
		if err != nil {
			return err
		}
		old.Revoked, old.RevokedAt = true, seq
		r.keys[k.ID()] = &KeyInfo{Key: k, Institution: old.Institution, Person: old.Person, Role: old.Role, RegisteredAt: seq}
		if old.Role == RoleRoot {
			r.RootKey = k.ID()
		}
	case TypeKeyRevoked:
		var p KeyRevokedPayload
		if err := strictUnmarshal(s.Payload, &p, "submission.payload."); err != nil {
			return err
		}
		k, ok := r.keys[p.KeyID]
		if !ok || k.Revoked {
			return invalid("unknown_key", "submission.payload.key_id", "no active key with this id", "无此有效密钥")
		}
		if k.Role != RoleInstitution {
			return invalid("bad_key", "submission.payload.key_id", "the root and ledger keys are rotated, not revoked", "根密钥和账本密钥只能轮换，不能吊销")
		}
		if strings.TrimSpace(p.Reason) == "" {
			return missing("submission.payload.reason")
		}
		k.Revoked, k.RevokedAt = true, seq
	}
	return nil
}

func (r *Registry) newKey(id, pemText, field string) (*crypto.PublicKey, error) {
	k, err := crypto.ParsePublicKeyPEM([]byte(pemText))
	if err != nil {
		return nil, invalid("bad_key", field+"public_key", err.Error(), "公钥无法解析")
	}
	if k.ID() != id {
		return nil, invalid("key_id_mismatch", field+"key_id", "key_id does not match the public key ("+k.ID()+")", "key_id 与公钥不符")
	}
	if _, exists := r.keys[id]; exists {
		return nil, conflict("key_exists", field+"key_id", "a key with this id is already registered", "该密钥已登记")
	}
	return k, nil
}

// registryPayload is a helper for building registry submissions in tools and tests.
func registryPayload(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
