package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/privacy"
)

// TestEncryptedFieldsAtTheDoor: the checker admits protected fields as SM4-GCM envelopes,
// refuses envelopes elsewhere (and on party, which Art. 42 reads), and a data subject's
// granted deletion request then shreds the key through a ledger opened as ledgerd opens it.
func TestEncryptedFieldsAtTheDoor(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := boltstore.Open(filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	kek, _ := privacy.GenerateKEKFile(filepath.Join(dir, "kek"))
	ks, err := privacy.OpenDirStore(filepath.Join(dir, "ks"), kek)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := privacy.NewShredder(privacy.ShredderConfig{Keys: ks, Store: st, PositionFile: filepath.Join(dir, "pos"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f := ledgertest.New(t)
	f.Init(t, st)
	chk := commands.NewChecker(registry.New(), f.LedgerKey, slog.New(slog.DiscardHandler))
	opts := ledger.Options{}
	chk.Wire(&opts)
	l := f.Open(t, st, opts)
	if err := chk.Attach(ctx, l); err != nil {
		t.Fatal(err)
	}
	f.Enrol(t, l, ledgertest.Authority)
	k := f.Enrol(t, l, "aba-health")

	submit := func(typ, stream string, payload map[string]any, fields ...privacy.Field) (*ledger.Signed, error) {
		sub := ledgertest.Submission("aba-health", k.Public().ID(), stream, typ, payload)
		if len(fields) > 0 {
			if sub.Payload, err = privacy.EncryptPayload(ctx, ks, sub.ID, sub.Payload, fields); err != nil {
				t.Fatal(err)
			}
		}
		s := ledgertest.Sign(t, k, sub)
		_, err := l.Append(ctx, s)
		return s, err
	}
	person := map[string]any{"person": "p-zhang-wei", "name": "张伟", "title": "信息科科长"}
	if _, err := submit("person.registered.v1", "institution/aba-health", person, privacy.Field{Path: "name", Subject: "aba-health/person/p-zhang-wei"}); err != nil {
		t.Fatalf("an encrypted personal field was refused: %v", err)
	}
	request := map[string]any{"request": "sr-1", "kind": "deletion", "party": "np-81aa", "party_kind": "natural_person"}
	correction := map[string]any{"request": "cor-1", "resource": "population.households", "party": "np-81aa", "party_kind": "natural_person", "description": "户籍地址有误，身份证号 513200199001011234"}

	size := l.Size()
	for _, c := range []struct {
		name, typ, stream string
		payload           map[string]any
		field, code, at   string
	}{
		{"party stays in clear", "subject_request.received.v1", "subject_request/sr-1", request, "party", "encrypted_field_not_allowed", "submission.payload.party"},
		{"not a personal field", "person.registered.v1", "institution/aba-health", person, "title", "encrypted_field_not_allowed", "submission.payload.title"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := submit(c.typ, c.stream, c.payload, privacy.Field{Path: c.field, Subject: "aba-health/party/np-81aa"})
			p, ok := errors.AsType[*ledger.Problem](err)
			if !ok || p.Code != c.code || p.Field != c.at || p.MessageZH == "" {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("malformed envelope", func(t *testing.T) {
		bad := map[string]any{"person": "p-li", "name": map[string]any{"enc": "sm4-gcm/v1", "subject": "x", "kid": "nothex", "nonce": "", "ct": ""}}
		_, err := submit("person.registered.v1", "institution/aba-health", bad)
		if p, ok := errors.AsType[*ledger.Problem](err); !ok || p.Code != "bad_encrypted_field" || p.Field != "submission.payload.name" {
			t.Fatalf("got %v", err)
		}
	})
	if l.Size() != size {
		t.Fatal("a refused submission was written")
	}

	// Art. 22: the party's deletion request, granted, destroys party/np-81aa.
	corr, err := submit("correction.requested.v1", "correction/cor-1", correction, privacy.Field{Path: "description", Subject: "aba-health/party/np-81aa"})
	if err != nil {
		t.Fatalf("correction request with an encrypted description: %v", err)
	}
	if _, err := submit("subject_request.received.v1", "subject_request/sr-1", request); err != nil {
		t.Fatal(err)
	}
	ans, err := submit("subject_request.answered.v1", "subject_request/sr-1", map[string]any{"request": "sr-1", "outcome": "granted", "measures": "已删除"},
		privacy.Field{Path: "measures", Subject: "aba-health/party/np-81aa"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := sh.RunToEnd(ctx); err != nil || n != 1 {
		t.Fatalf("shredder: %d %v", n, err)
	}
	var env privacy.Envelope
	var m map[string]json.RawMessage
	json.Unmarshal(corr.Submission.Payload, &m)
	json.Unmarshal(m["description"], &env)
	_, err = privacy.DecryptField(ctx, ks, corr.Submission.ID, "description", &env)
	if se, ok := errors.AsType[*privacy.ShreddedError](err); !ok || se.By.EventID != ans.Submission.ID {
		t.Fatalf("after the granted deletion: %v", err)
	}
	ledgertest.MustVerify(t, st)
}
