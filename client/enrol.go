package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Enrolment is what brings an institution onto the ledger (docs/events.md, "Who may
// sign"): the authority's root key registers the institution's key (key.registered.v1)
// and the institution itself (institution.registered.v1, 第三条); the institution's
// first official then registers itself (person.registered.v1, 第七条). Only after that
// does the ledger admit the institution's acts.
type Enrolment struct {
	// Root is the authority's root key; RootPerson the authority's official using it
	// (once the authority has registered officials, one of them).
	Root       crypto.Signer
	RootPerson string
	// Institution is the institution's id; NameZH, NameEN, Level ("prefecture" or
	// "county"), Kind ("organ", "authorised_organisation", "public_service_operator",
	// "dispatched_agency"), County and DataAuthority its registry entry.
	Institution   string
	NameZH        string
	NameEN        string
	Level         string
	Kind          string
	County        string
	DataAuthority bool
	// Key is the institution's new key, to be registered; nil registers none (the
	// institution has one already).
	Key crypto.Signer
	// Signer signs the first official's registration: Key, or the institution's
	// existing key when Key is nil.
	Signer crypto.Signer
	// Person is the institution's first official, who registers itself.
	Person string
}

// Enrol carries out e. An institution or official already registered is kept (a second
// run is harmless); any other refusal is returned.
func (c *Client) Enrol(ctx context.Context, e Enrolment) error {
	info, err := c.Ledger(ctx)
	if err != nil {
		return err
	}
	root := ledger.Actor{Institution: info.Authority, Person: e.RootPerson}
	if e.Key != nil {
		p, _ := json.Marshal(ledger.KeyRegisteredPayload{KeyID: e.Key.Public().ID(), Institution: e.Institution,
			PublicKey: string(crypto.MarshalPublicKeyPEM(e.Key.Public()))})
		if _, _, err := c.SignAndSubmit(ctx, e.Root, ledger.Submission{Stream: ledger.RegistryStream, Type: ledger.TypeKeyRegistered, Actor: root, Payload: p}); err != nil {
			return fmt.Errorf("registering %s's key: %w", e.Institution, err)
		}
	}
	level, kind := e.Level, e.Kind
	if level == "" {
		level = "prefecture"
	}
	if kind == "" {
		kind = "organ"
	}
	name := e.NameZH
	if name == "" {
		name = e.Institution
	}
	reg := map[string]any{"institution": e.Institution, "name_zh": name, "level": level, "kind": kind}
	if e.NameEN != "" {
		reg["name_en"] = e.NameEN
	}
	if e.County != "" {
		reg["county"] = e.County
	}
	if e.DataAuthority {
		reg["data_authority"] = true
	}
	p, _ := json.Marshal(reg)
	_, _, err = c.SignAndSubmit(ctx, e.Root, ledger.Submission{Stream: "institution/" + e.Institution, Type: events.InstitutionRegisteredV1, Actor: root, Payload: p})
	if ce, ok := errors.AsType[*Error](err); ok && ce.Code == "institution_exists" {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("registering institution %s: %w", e.Institution, err)
	}
	signer := e.Signer
	if signer == nil {
		signer = e.Key
	}
	p, _ = json.Marshal(map[string]any{"person": e.Person})
	if _, _, err := c.SignAndSubmit(ctx, signer, ledger.Submission{Stream: "institution/" + e.Institution, Type: events.PersonRegisteredV1,
		Actor: ledger.Actor{Institution: e.Institution, Person: e.Person}, Payload: p}); err != nil {
		return fmt.Errorf("registering %s's first official %s: %w", e.Institution, e.Person, err)
	}
	return nil
}
