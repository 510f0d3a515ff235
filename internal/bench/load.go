package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
)

// LoadOptions is one `ledgerctl load` run against the server its client talks to.
type LoadOptions struct {
	Enrol
	Events      int
	Concurrency int
	Batch       int // submissions per request; ≤ 1: one per POST /v1/events
	// Presign signs every submission before the clock starts, so that the elapsed time
	// measures the server, not this process's signing.
	Presign bool
	Acked   string                   // append each acknowledged id to this file
	Update  func(done, total uint64) // progress, or nil
}

// LoadResult is what `load --json` prints.
type LoadResult struct {
	Server      string  `json:"server"`
	Institution string  `json:"institution"`
	Events      int     `json:"events"`
	Acked       int64   `json:"acked"`
	Duplicates  int64   `json:"duplicates"`
	ElapsedS    float64 `json:"elapsed_s"`
	PerS        float64 `json:"acked_per_s"`
	// Concurrency is the number of requests kept in flight; Presigned says whether every
	// submission was signed before the clock started.
	Concurrency int  `json:"concurrency"`
	Batch       int  `json:"batch"`
	Presigned   bool `json:"presigned"`
	// Latency is each acknowledged submission's time from send to answer, retries
	// included, in milliseconds.
	Latency *Latencies `json:"latency_ms,omitempty"`
	// Errors counts submissions that failed for good, by the server's code (or "network").
	Errors map[string]int64 `json:"errors,omitempty"`
	Error  string           `json:"error,omitempty"`
}

// Enrol says how the load institution is registered: the authority's root key signs
// its key and institution registrations.
type Enrol struct {
	RootKey     string // file of the root private key; "" takes the server's dev_root_key_file
	Institution string // "" is load-<random>
	RootPerson  string // the authority's official who uses the root key
}

// EnrolLoad reaches the server, checks the root key against it, and registers a fresh
// load institution with its key, officials and catalog. The generator it returns signs
// acts the server's checker admits.
func EnrolLoad(ctx context.Context, c *client.Client, o Enrol) (*Generator, client.LedgerInfo, error) {
	info, err := c.Ledger(ctx)
	if err != nil {
		return nil, info, fmt.Errorf("cannot reach %s: %w (无法连接服务器)", c.BaseURL, err)
	}
	rootFile := o.RootKey
	if rootFile == "" {
		rootFile = info.DevRootKeyFile
	}
	if rootFile == "" {
		return nil, info, fmt.Errorf("no root key to register the load institution: pass --root-key FILE (the authority's root private key); %s is in production mode and offers none (缺少根密钥，请用 --root-key 指定)", c.BaseURL)
	}
	root, err := crypto.ReadPrivateKeyFile(rootFile)
	if err != nil {
		return nil, info, fmt.Errorf("root key: %w", err)
	}
	if root.Public().ID() != info.RootKey.ID {
		return nil, info, fmt.Errorf("%s holds key %s, but the ledger's root key is %s (根密钥不匹配)", rootFile, root.Public().ID(), info.RootKey.ID)
	}
	inst := o.Institution
	if inst == "" {
		inst = fmt.Sprintf("load-%08x", rand.Uint32())
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, info, err
	}
	reg, err := json.Marshal(ledger.KeyRegisteredPayload{KeyID: key.Public().ID(), Institution: inst, PublicKey: string(crypto.MarshalPublicKeyPEM(key.Public()))})
	if err != nil {
		return nil, info, err
	}
	if _, _, err := c.SignAndSubmit(ctx, root, ledger.Submission{Stream: ledger.RegistryStream, Type: ledger.TypeKeyRegistered,
		Actor: ledger.Actor{Institution: info.Authority, Person: o.RootPerson}, Payload: reg}); err != nil {
		return nil, info, fmt.Errorf("registering the load institution %s: %w", inst, err)
	}
	g := &Generator{inst: inst, key: key, rootPerson: o.RootPerson}
	if err := g.setup(ctx, c, root, info.Authority); err != nil {
		return nil, info, fmt.Errorf("registering the load institution %s and its catalog: %w", inst, err)
	}
	return g, info, nil
}

// Load enrols a load institution and sends o.Events of its submissions concurrently.
// The result is filled as far as the run got, also when it returns an error.
func Load(ctx context.Context, c *client.Client, o LoadOptions) (LoadResult, error) {
	res := LoadResult{Server: c.BaseURL, Events: o.Events, Concurrency: o.Concurrency, Batch: max(o.Batch, 1), Presigned: o.Presign}
	g, _, err := EnrolLoad(ctx, c, o.Enrol)
	if err != nil {
		return res, err
	}
	res.Institution = g.Institution()
	send := SendOptions{Events: o.Events, Concurrency: o.Concurrency, Batch: o.Batch, Update: o.Update}
	var ackw *AckWriter
	if o.Acked != "" {
		if ackw, err = OpenAckWriter(o.Acked); err != nil {
			return res, fmt.Errorf("--acked: %w", err)
		}
		send.OnAck = func(s *ledger.Signed, _ ledger.Receipt) error { return ackw.Add(s.Submission.ID) }
	}
	if o.Presign {
		if send.Presigned, err = SignAll(ctx, g, o.Events); err != nil {
			return res, err
		}
	}
	start := time.Now()
	st, err := Send(ctx, c, g, send)
	res.Latency, res.Errors = Summarise(st.Latency), st.Failed
	if ackw != nil {
		if cerr := ackw.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("writing --acked: %w", cerr)
		}
	}
	res.Acked, res.Duplicates = st.Acked, st.Duplicates
	res.ElapsedS = time.Since(start).Seconds()
	if res.ElapsedS > 0 {
		res.PerS = float64(st.Acked) / res.ElapsedS
	}
	if err != nil {
		res.Error = err.Error()
		return res, fmt.Errorf("%d of %d acknowledged (已确认 %d/%d); stopped: %w", st.Acked, o.Events, st.Acked, o.Events, err)
	}
	return res, nil
}
