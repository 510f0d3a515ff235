package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	domaincmd "github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/privacy"
	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

func init() { register(newSubmitCmd) }

type submitOpts struct {
	server, data, keyFile, institution, person, typ, stream, payload string
	id, occurredAt, encryptFields, subject, token                    string
	expectedVersion                                                  uint64
	asJSON                                                           bool
	ks                                                               keystoreFlags
}

// submitResult is what submit prints with --json.
type submitResult struct {
	ID            string      `json:"id"`
	Seq           uint64      `json:"seq"`
	Hash          ledger.Hash `json:"hash"`
	StreamVersion uint64      `json:"stream_version"`
	Duplicate     bool        `json:"duplicate"`
	Encrypted     []string    `json:"encrypted,omitempty"`
}

func newSubmitCmd() *cobra.Command {
	var o submitOpts
	c := &cobra.Command{
		Use:   "submit (--server URL | --data DIR) --key FILE --institution I --person P --type T --stream S --payload FILE|-",
		Short: "Sign one act with an institution's key and record it 签名并提交一条事件",
		Long: `Build a submission (a fresh UUIDv7 id, occurred_at now unless given), optionally encrypt
payload fields with SM4-GCM under a subject's data key (--encrypt-fields, --subject,
--keystore: encryption happens before signing, so the signature covers the ciphertext and
the ledger never sees the plaintext), sign it with SM2 and send it to ledgerd (--server)
or append it to a local data directory (--data, with the same catalogue checks ledgerd
makes; ledgerd must not be running on it).

--encrypt-fields is a comma-separated list of payload paths ("description", "name",
"items.*.name"), each optionally with its own subject ("description=party/np-81aa"). Only
fields the catalogue marks personal may be encrypted, never "party". Subjects are
pseudonymous ids, never names: they are stored in clear (docs/privacy.md).

Exit 0 recorded (or already recorded: the same id and body again); 2 refused, with the
server's code, field and message in English and Chinese, or bad input. Nothing is written
on refusal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("expected-version") {
				return runSubmit(cmd, &o, nil)
			}
			v := o.expectedVersion
			return runSubmit(cmd, &o, &v)
		},
	}
	f := c.Flags()
	f.StringVar(&o.server, "server", "", "ledgerd base URL, e.g. http://127.0.0.1:8080")
	f.StringVar(&o.data, "data", "", "append to this local data directory instead of a server")
	f.StringVar(&o.keyFile, "key", "", "the institution's SM2 private key (PKCS#8 PEM, mode 0600)")
	f.StringVar(&o.institution, "institution", "", "actor.institution: the acting institution's id")
	f.StringVar(&o.person, "person", "", "actor.person: the acting person's id")
	f.StringVar(&o.typ, "type", "", "event type, e.g. data.collected.v1 (GET /v1/event-types lists them)")
	f.StringVar(&o.stream, "stream", "", "stream, e.g. resource/population.households")
	f.StringVar(&o.payload, "payload", "", "payload JSON object: a file, or - for standard input")
	f.StringVar(&o.id, "id", "", "event id (lowercase UUID; default a fresh UUIDv7). Re-sending the same id and body is safe")
	f.StringVar(&o.occurredAt, "occurred-at", "", "when the act happened (RFC 3339; default now)")
	f.Uint64Var(&o.expectedVersion, "expected-version", 0, "refuse unless the stream is at this version (0: a new stream)")
	f.StringVar(&o.encryptFields, "encrypt-fields", "", "payload fields to encrypt: a.b,c or c=SUBJECT")
	f.StringVar(&o.subject, "subject", "", "the subject whose data key encrypts fields that name none")
	f.StringVar(&o.token, "token", "", "bearer token, for a server run with --write-token (default $LEDGER_TOKEN)")
	f.BoolVar(&o.asJSON, "json", false, "print the receipt as JSON")
	o.ks.bind(c)
	return c
}

func runSubmit(cmd *cobra.Command, o *submitOpts, expected *uint64) error {
	if (o.server == "") == (o.data == "") {
		return usage("submit: give exactly one of --server URL or --data DIR (需要 --server 或 --data 之一)")
	}
	for _, req := range []struct{ v, name string }{{o.keyFile, "--key"}, {o.institution, "--institution"}, {o.person, "--person"},
		{o.typ, "--type"}, {o.stream, "--stream"}, {o.payload, "--payload"}} {
		if req.v == "" {
			return usage("submit: %s is required (需要 %s 参数)", req.name, req.name)
		}
	}
	if o.encryptFields == "" && (o.subject != "" || o.ks.dir != "") {
		return usage("submit: --subject and --keystore only make sense with --encrypt-fields")
	}
	payload, err := readPayload(cmd, o.payload)
	if err != nil {
		return err
	}
	k, err := crypto.ReadPrivateKeyFile(o.keyFile)
	if err != nil {
		return usage("submit: --key: %v", err)
	}
	id := o.id
	if id == "" {
		id = uuid.Must(uuid.NewV7()).String()
	}
	at := o.occurredAt
	if at == "" {
		at = time.Now().UTC().Format(time.RFC3339Nano)
	}
	sub := ledger.Submission{ID: id, Stream: o.stream, Type: o.typ, OccurredAt: at,
		Actor:   ledger.Actor{Institution: o.institution, Person: o.person, KeyID: k.Public().ID()},
		Payload: payload, ExpectedVersion: expected}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	var encrypted []string
	if o.encryptFields != "" {
		if _, err := privacy.ParseFields(o.encryptFields, o.subject); err != nil {
			return usage("submit: --encrypt-fields: %v", err)
		}
		ks, err := o.ks.open("submit")
		if err != nil {
			return err
		}
		if encrypted, err = encryptFields(ctx, ks, &sub, o.encryptFields, o.subject); err != nil {
			return usage("submit: encrypting: %v", err)
		}
	}
	signed, err := ledger.SignSubmission(k, sub)
	if err != nil {
		return refusal("submit", err)
	}
	var rc ledger.Receipt
	if o.server != "" {
		c := ledgerd(o.server, o.token)
		rc, err = c.Submit(ctx, signed)
	} else {
		rc, err = appendLocal(ctx, o.data, signed)
	}
	if err != nil {
		return refusal("submit", err)
	}
	res := submitResult{ID: id, Seq: rc.Seq, Hash: rc.Hash, StreamVersion: rc.StreamVersion, Duplicate: rc.Duplicate, Encrypted: encrypted}
	if o.asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
	}
	state := "recorded 已记录"
	if rc.Duplicate {
		state = "already recorded 此前已记录"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: id %s seq %d stream_version %d hash %s\n", state, id, rc.Seq, rc.StreamVersion, rc.Hash)
	return nil
}

// encryptFields replaces the payload fields spec names (--encrypt-fields syntax, with
// subject for those naming none) by SM4-GCM envelopes under their subjects' data keys,
// bound to sub.ID, and returns the paths encrypted. It runs before signing, so the
// signature covers the ciphertext; submit and demo both encrypt through it.
func encryptFields(ctx context.Context, ks privacy.KeyStore, sub *ledger.Submission, spec, subject string) ([]string, error) {
	fields, err := privacy.ParseFields(spec, subject)
	if err != nil {
		return nil, err
	}
	if sub.Payload, err = privacy.EncryptPayload(ctx, ks, sub.ID, sub.Payload, fields); err != nil {
		return nil, err
	}
	envs, _ := privacy.Envelopes(sub.Payload)
	paths := make([]string, 0, len(envs))
	for _, e := range envs {
		paths = append(paths, e.Path)
	}
	return paths, nil
}

// readPayload reads a JSON object from a file or standard input.
func readPayload(cmd *cobra.Command, from string) (json.RawMessage, error) {
	var b []byte
	var err error
	if from == "-" {
		b, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20))
	} else {
		b, err = os.ReadFile(from)
	}
	if err != nil {
		return nil, usage("submit: --payload: %v", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, usage("submit: --payload must be a JSON object: %v (载荷必须是 JSON 对象)", err)
	}
	return b, nil
}

// refusal turns a server's or the ledger's refusal into exit 2 with its code, field and
// both messages on one line.
func refusal(what string, err error) error {
	if ce, ok := errors.AsType[*client.Error](err); ok {
		field := ""
		if ce.Field != "" {
			field = " field " + ce.Field
		}
		return usage("%s: refused (%d %s)%s: %s / %s", what, ce.Status, ce.Code, field, ce.Message, ce.MessageZH)
	}
	if p, ok := errors.AsType[*ledger.Problem](err); ok {
		field := ""
		if p.Field != "" {
			field = " field " + p.Field
		}
		en, zh := p.Text()
		return usage("%s: refused (%s)%s: %s / %s", what, p.Code, field, en, zh)
	}
	return usage("%s: %v", what, err)
}

// appendLocal opens the ledger in dir as ledgerd does (catalogue checks, checkpoints
// published to dir), appends s and closes it.
func appendLocal(ctx context.Context, dir string, s *ledger.Signed) (ledger.Receipt, error) {
	lk, err := datadir.LedgerKey(dir)
	if err != nil {
		return ledger.Receipt{}, err
	}
	st, err := datadir.OpenStore(dir)
	if err != nil {
		return ledger.Receipt{}, fmt.Errorf("%w (is ledgerd running on it? 账本是否正在运行？)", err)
	}
	defer st.Close()
	pub, err := ledger.NewDirPublisher(datadir.Paths{Dir: dir}.Checkpoints())
	if err != nil {
		return ledger.Receipt{}, err
	}
	chk := domaincmd.NewChecker(registry.New(), lk, slog.New(slog.DiscardHandler))
	opts := ledger.Options{Signer: lk, Publisher: pub, CheckpointEvery: -1}
	chk.Wire(&opts)
	l, err := ledger.Open(ctx, st, opts)
	if err != nil {
		return ledger.Receipt{}, fmt.Errorf("opening the ledger in %s: %w", dir, err)
	}
	if err := chk.Attach(ctx, l); err != nil {
		l.Close()
		return ledger.Receipt{}, err
	}
	rc, err := l.Append(ctx, s)
	if cerr := l.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return rc, err
}

// cliLogger writes operational lines (shredding) to standard error as text.
func cliLogger(cmd *cobra.Command) *slog.Logger {
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}
