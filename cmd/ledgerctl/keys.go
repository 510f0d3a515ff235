package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/spf13/cobra"
)

func init() { register(newKeysCmd) }

// keysOpts are the flags every keys subcommand shares: the server and the authority's
// root key, which signs every key registry act (docs/events.md, "Key registry acts").
type keysOpts struct {
	server, token, rootFile, rootPerson string
	asJSON                              bool
}

func (o *keysOpts) flags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.server, "server", os.Getenv("LEDGER_SERVER"), "ledgerd base URL (env LEDGER_SERVER)")
	f.StringVar(&o.token, "token", "", "bearer token, for a server run with --write-token (default $LEDGER_TOKEN)")
	f.StringVar(&o.rootFile, "root-key", "", "the data authority's root private key (PKCS#8 PEM)")
	f.StringVar(&o.rootPerson, "root-person", "", "the authority's official using the root key (actor.person)")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object")
}

// open checks the shared flags and returns a client and the root key.
func (o *keysOpts) open(what string) (*client.Client, *crypto.PrivateKey, error) {
	switch {
	case o.server == "":
		return nil, nil, usage("keys %s: --server URL is required (需要 --server)", what)
	case o.rootFile == "":
		return nil, nil, usage("keys %s: --root-key FILE is required: every key registry act is signed with the root key (需要根密钥)", what)
	case o.rootPerson == "":
		return nil, nil, usage("keys %s: --root-person P is required (需要 --root-person)", what)
	}
	root, err := crypto.ReadPrivateKeyFile(o.rootFile)
	if err != nil {
		return nil, nil, usage("keys %s: %v", what, err)
	}
	return ledgerd(strings.TrimRight(o.server, "/"), o.token), root, nil
}

// keysResult is what a keys subcommand prints with --json.
type keysResult struct {
	Type  string   `json:"type"`
	KeyID string   `json:"key_id"`
	Seqs  []uint64 `json:"seqs,omitempty"`
	Acts  []string `json:"acts"`
}

func (o *keysOpts) print(cmd *cobra.Command, r keysResult) error {
	if o.asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(r)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "recorded 已记录: %s key %s (%s)\n", r.Type, r.KeyID, strings.Join(r.Acts, ", "))
	return nil
}

// submitRoot signs one key registry act with the root key and sends it.
func (o *keysOpts) submitRoot(cmd *cobra.Command, c *client.Client, root *crypto.PrivateKey, typ string, payload any) (uint64, error) {
	info, err := c.Ledger(cmd.Context())
	if err != nil {
		return 0, err
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return 0, err
	}
	_, rc, err := c.SignAndSubmit(cmd.Context(), root, ledger.Submission{Stream: ledger.RegistryStream, Type: typ,
		Actor: ledger.Actor{Institution: info.Authority, Person: o.rootPerson}, Payload: p})
	return rc.Seq, err
}

func newKeysCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "keys register|rotate|revoke",
		Short: "Register, rotate or revoke an institution's signing key with the root key 登记、轮换、吊销密钥",
		Long: `The key registry's acts (docs/events.md, "Key registry acts"), signed with the data
authority's root key and sent to ledgerd: key.registered.v1, key.rotated.v1,
key.revoked.v1 on stream ledger/keys. Every subcommand takes --server, --root-key,
--root-person and --token (or LEDGER_TOKEN). Exit 0 when recorded; 2 with one line (the
server's code and message in English and Chinese) when refused or on bad input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usage("keys: say register, rotate or revoke (见 ledgerctl keys --help)")
		},
	}
	c.AddCommand(newKeysRegisterCmd(), newKeysRotateCmd(), newKeysRevokeCmd())
	return c
}

func newKeysRegisterCmd() *cobra.Command {
	var (
		o                                     keysOpts
		inst, pubFile, keyFile, person, first string
		nameZH, nameEN, level, kind, county   string
		authority                             bool
	)
	c := &cobra.Command{
		Use:   "register --institution I (--pub FILE | --key FILE) [--person P] [--enrol --first-official P --name-zh N …]",
		Short: "Register an institution's key (key.registered.v1); with --enrol, the institution and its first official too",
		Long: `Register the public key (--pub, or the public half of --key) for institution I with the root
key; --person binds the key to one official. With --enrol the institution is entered too
(institution.registered.v1, root-signed; kept if it is already registered) and its first
official registers itself with the new key (person.registered.v1): after that the ledger
admits the institution's acts (client.Enrol). --enrol needs --key (the private key signs
the official's registration) and --first-official.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if inst == "" || pubFile == "" && keyFile == "" {
				return usage("keys register: --institution and --pub or --key are required")
			}
			enrol, _ := cmd.Flags().GetBool("enrol")
			if enrol && (keyFile == "" || first == "") {
				return usage("keys register --enrol: --key (the private key) and --first-official are required")
			}
			cl, root, err := o.open("register")
			if err != nil {
				return err
			}
			var pub *crypto.PublicKey
			var priv *crypto.PrivateKey
			if keyFile != "" {
				if priv, err = crypto.ReadPrivateKeyFile(keyFile); err != nil {
					return usage("keys register: %v", err)
				}
				pub = priv.Public()
			} else if pub, err = crypto.ReadPublicKeyFile(pubFile); err != nil {
				return usage("keys register: %v", err)
			}
			if enrol {
				err := cl.Enrol(cmd.Context(), client.Enrolment{Root: root, RootPerson: o.rootPerson, Institution: inst, NameZH: nameZH, NameEN: nameEN,
					Level: level, Kind: kind, County: county, DataAuthority: authority, Key: priv, Person: first})
				if err != nil {
					return refusal("keys register", err)
				}
				return o.print(cmd, keysResult{Type: ledger.TypeKeyRegistered, KeyID: pub.ID(), Acts: []string{ledger.TypeKeyRegistered, "institution.registered.v1", "person.registered.v1"}})
			}
			seq, err := o.submitRoot(cmd, cl, root, ledger.TypeKeyRegistered, ledger.KeyRegisteredPayload{KeyID: pub.ID(), Institution: inst,
				PublicKey: string(crypto.MarshalPublicKeyPEM(pub)), Person: person})
			if err != nil {
				return refusal("keys register", err)
			}
			return o.print(cmd, keysResult{Type: ledger.TypeKeyRegistered, KeyID: pub.ID(), Seqs: []uint64{seq}, Acts: []string{ledger.TypeKeyRegistered}})
		},
	}
	o.flags(c)
	f := c.Flags()
	f.StringVar(&inst, "institution", "", "the institution the key acts for")
	f.StringVar(&pubFile, "pub", "", "the key's public half (PKIX PEM)")
	f.StringVar(&keyFile, "key", "", "the key's private half (PKCS#8 PEM): its public half is registered")
	f.StringVar(&person, "person", "", "bind the key to this official (it may then sign only acts naming them)")
	f.Bool("enrol", false, "also register the institution and its first official")
	f.StringVar(&first, "first-official", "", "with --enrol: the institution's first official, who registers itself")
	f.StringVar(&nameZH, "name-zh", "", "with --enrol: the institution's name in Chinese")
	f.StringVar(&nameEN, "name-en", "", "with --enrol: the institution's name in English")
	f.StringVar(&level, "level", "prefecture", "with --enrol: prefecture or county")
	f.StringVar(&kind, "kind", "organ", "with --enrol: organ, authorised_organisation, public_service_operator or dispatched_agency")
	f.StringVar(&county, "county", "", "with --enrol: the county code of a county-level institution")
	f.BoolVar(&authority, "data-authority", false, "with --enrol: the institution is a public data authority (第六条)")
	return c
}

func newKeysRotateCmd() *cobra.Command {
	var (
		o              keysOpts
		oldID, newFile string
	)
	c := &cobra.Command{
		Use:   "rotate --key-id ID --new-pub FILE",
		Short: "Rotate a key (key.rotated.v1): the old key stops, the new one takes its institution, person and role",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if oldID == "" || newFile == "" {
				return usage("keys rotate: --key-id and --new-pub are required")
			}
			cl, root, err := o.open("rotate")
			if err != nil {
				return err
			}
			pub, err := crypto.ReadPublicKeyFile(newFile)
			if err != nil {
				return usage("keys rotate: %v", err)
			}
			seq, err := o.submitRoot(cmd, cl, root, ledger.TypeKeyRotated, ledger.KeyRotatedPayload{KeyID: oldID, NewKeyID: pub.ID(), NewPublicKey: string(crypto.MarshalPublicKeyPEM(pub))})
			if err != nil {
				return refusal("keys rotate", err)
			}
			return o.print(cmd, keysResult{Type: ledger.TypeKeyRotated, KeyID: pub.ID(), Seqs: []uint64{seq}, Acts: []string{ledger.TypeKeyRotated}})
		},
	}
	o.flags(c)
	c.Flags().StringVar(&oldID, "key-id", "", "the key being replaced")
	c.Flags().StringVar(&newFile, "new-pub", "", "the new key's public half (PKIX PEM)")
	return c
}

func newKeysRevokeCmd() *cobra.Command {
	var (
		o          keysOpts
		id, reason string
	)
	c := &cobra.Command{
		Use:   "revoke --key-id ID --reason TEXT",
		Short: "Revoke an institution's key (key.revoked.v1); not retroactive",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" || strings.TrimSpace(reason) == "" {
				return usage("keys revoke: --key-id and --reason are required")
			}
			cl, root, err := o.open("revoke")
			if err != nil {
				return err
			}
			seq, err := o.submitRoot(cmd, cl, root, ledger.TypeKeyRevoked, ledger.KeyRevokedPayload{KeyID: id, Reason: reason})
			if err != nil {
				return refusal("keys revoke", err)
			}
			return o.print(cmd, keysResult{Type: ledger.TypeKeyRevoked, KeyID: id, Seqs: []uint64{seq}, Acts: []string{ledger.TypeKeyRevoked}})
		},
	}
	o.flags(c)
	c.Flags().StringVar(&id, "key-id", "", "the key to revoke")
	c.Flags().StringVar(&reason, "reason", "", "why (required)")
	return c
}
