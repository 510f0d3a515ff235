package events

import (
	"encoding/json"
	"fmt"

	"github.com/aba-prefecture/dataledger/ledger"
)

// KeyType is one act of the ledger's key registry (stream ledger/keys): not a catalogue
// type (the ledger package owns these payloads and checks them, ledger.Registry), but
// documented beside the catalogue and served by GET /v1/event-types, so that a client
// written from the documents alone can bring its institution's key onto the ledger.
type KeyType struct {
	Name    string
	ZH, EN  string
	Notes   string // the rule, in English, for docs/events.md
	NotesZH string
	new     func() any
	Example any
}

// New returns a fresh zero payload, for its schema.
func (k KeyType) New() any { return k.new() }

// Two real SM2 public keys (their private halves were discarded) so that the examples
// carry key ids that match their keys, as the ledger requires.
const (
	exampleKeyID  = "19821220b9260615d7fd3bd7e60dc7dd"
	examplePEM    = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAEu80wTaixWY39XnOriWWIBdCaSteu\nXl11GgNv1gE/rpw8wKT0mLItiY6xRj3dUzCcohPw1ltPw0riniePk9P5+Q==\n-----END PUBLIC KEY-----\n"
	exampleNextID = "9435817ee8850e58a516261aeffb6a70"
	exampleNext   = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE/tCxc+ACO+66pFKc70oM5tA53C5U\nrlXMgkX/V6Rl1fAG1xMAlutxds6m6Z9pMw+cXjQ67Q+WiJ6S6o345lfJaA==\n-----END PUBLIC KEY-----\n"
)

var keyTypes = []KeyType{
	{Name: ledger.TypeKeyRegistered, ZH: "登记机构（或其工作人员）的签名公钥", EN: "an institution's signing key (or one official's) is registered",
		Notes: "Signed with the root key by the data authority named at genesis (actor.institution = that authority; actor.person = one of its " +
			"registered officials once it has any). `key_id` is the hex of the first 16 bytes of SM3 over the key's PKIX DER (docs/formats.md). " +
			"`person`, if given, binds the key to that official: it may then sign only acts naming that person as actor.person. The key's " +
			"institution must then be registered (institution.registered.v1, root-signed) and its first official registered " +
			"(person.registered.v1, signed with this key) before the ledger admits the institution's acts.",
		NotesZH: "由创世记录所列数据主管部门以根密钥签署；key_id 为公钥 PKIX DER 的 SM3 摘要前 16 字节的十六进制；person 可将密钥绑定到一名工作人员。",
		new:     func() any { return new(ledger.KeyRegisteredPayload) },
		Example: ledger.KeyRegisteredPayload{KeyID: exampleKeyID, Institution: "aba-health-commission", PublicKey: examplePEM, Person: "p-zhang-wei"}},
	{Name: ledger.TypeKeyRotated, ZH: "轮换签名密钥（旧密钥自本记录起停用）", EN: "a key is rotated: the old key stops, the new one takes its institution, person and role",
		Notes: "Signed with the root key, as key.registered.v1. From this entry on the old key signs nothing; the new key has the old one's " +
			"institution, person binding and role (the root key itself is rotated this way, never revoked). Entries signed before stay valid.",
		NotesZH: "由根密钥签署；自本记录起旧密钥停用，新密钥承继其机构、人员绑定和角色；根密钥只能轮换。",
		new:     func() any { return new(ledger.KeyRotatedPayload) },
		Example: ledger.KeyRotatedPayload{KeyID: exampleKeyID, NewKeyID: exampleNextID, NewPublicKey: exampleNext}},
	{Name: ledger.TypeKeyRevoked, ZH: "吊销签名密钥", EN: "an institution's key is revoked",
		Notes:   "Signed with the root key. Only institution keys are revoked (the root and ledger keys are rotated); `reason` is required. Not retroactive: entries signed before stay valid.",
		NotesZH: "由根密钥签署；仅可吊销机构密钥，须说明理由；不溯及既往。",
		new:     func() any { return new(ledger.KeyRevokedPayload) },
		Example: ledger.KeyRevokedPayload{KeyID: exampleNextID, Reason: "密钥介质丢失"}},
}

// KeyTypes lists the key registry's acts, in documentation order.
func KeyTypes() []KeyType { return append([]KeyType(nil), keyTypes...) }

// KeyStream is the stream every key registry act is appended to.
const KeyStream = ledger.RegistryStream

func keySchema(k KeyType) []byte {
	s := reflector().Reflect(k.New())
	s.ID = schemaID(k.Name)
	s.Title = k.Name
	s.Description = fmt.Sprintf("%s / %s (key registry, stream %s, signed with the root key)", k.ZH, k.EN, KeyStream)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("events: schema of %s: %v", k.Name, err))
	}
	return append(b, '\n')
}
