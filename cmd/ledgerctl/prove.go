package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/spf13/cobra"
)

func init() {
	register(newProveCmd)
	register(newConsistencyCmd)
}

// proofSource is where prove and consistency read from: a data directory or a server.
type proofSource struct {
	dir, server, ledgerPub, token string
}

// client is the ledgerd the proofs come from.
func (s *proofSource) client() *client.Client { return ledgerd(s.server, s.token) }

func (s *proofSource) flags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&s.dir, "data", os.Getenv("LEDGER_DATA"), "ledger data directory (env LEDGER_DATA)")
	f.StringVar(&s.server, "server", os.Getenv("LEDGER_SERVER"), "ledgerd base URL instead of --data (env LEDGER_SERVER)")
	f.StringVar(&s.ledgerPub, "ledger-pub", "", "PKIX PEM of the ledger key to check the checkpoint with (default: the key the genesis names)")
	f.StringVar(&s.token, "token", "", "with --server: bearer token of a role that may read the entry (default $LEDGER_TOKEN)")
}

func (s *proofSource) check(name string) error {
	if (s.dir == "") == (s.server == "") {
		return usage("%s: give exactly one of --data DIR or --server URL (需要 --data 或 --server 之一)", name)
	}
	return nil
}

// local opens the store, the origin and ledger key, and the newest checkpoint (published
// if any, else stored).
type localLedger struct {
	st     ledger.Store
	origin string
	key    *crypto.PublicKey
	latest *ledger.Checkpoint
}

func (s *proofSource) openLocal(ctx context.Context, name string) (*localLedger, func(), error) {
	st, err := datadir.OpenStore(s.dir)
	if err != nil {
		return nil, nil, usage("%s: %v", name, err)
	}
	reg, err := ledger.LoadRegistry(ctx, st, 1)
	if err != nil {
		st.Close()
		return nil, nil, tampered(fmt.Errorf("%s: %w", name, err))
	}
	ll := &localLedger{st: st, origin: reg.Origin}
	k, _ := reg.Key(reg.LedgerKey)
	ll.key = k.Key
	if s.ledgerPub != "" {
		if ll.key, err = crypto.ReadPublicKeyFile(s.ledgerPub); err != nil {
			st.Close()
			return nil, nil, usage("%s: --ledger-pub: %v", name, err)
		}
	}
	var c ledger.Checkpoint
	if pub, perr := ledger.NewDirPublisher(datadir.Paths{Dir: s.dir}.Checkpoints()); perr == nil {
		c, err = pub.Latest(ctx)
	}
	if c.Note == nil {
		c, err = st.LatestCheckpoint(ctx)
	}
	if err == nil {
		oc, _, oerr := ledger.OpenCheckpoint(c.Note, ll.origin, ll.key)
		if oerr != nil {
			st.Close()
			return nil, nil, tampered(fmt.Errorf("%s: the newest checkpoint does not verify: %w", name, oerr))
		}
		oc.Note = c.Note
		ll.latest = &oc
	} else if !errors.Is(err, ledger.ErrNotFound) {
		st.Close()
		return nil, nil, usage("%s: reading checkpoints: %v", name, err)
	}
	return ll, func() { st.Close() }, nil
}

func (ll *localLedger) size(given uint64, set bool) uint64 {
	if set {
		return given
	}
	if ll.latest != nil {
		return ll.latest.Size
	}
	h, _ := ll.st.Head(context.Background())
	return h.Size
}

func (ll *localLedger) checkpointFor(size uint64) string {
	if ll.latest != nil && ll.latest.Size == size {
		return string(ll.latest.Note)
	}
	return ""
}

// serverKey returns the ledger key to check a server's checkpoints with: --ledger-pub if
// given, else the one the server names (which proves consistency, not identity).
func (s *proofSource) serverKey(ctx context.Context) (string, *crypto.PublicKey, bool, error) {
	info, err := s.client().Ledger(ctx)
	if err != nil {
		return "", nil, false, usage("%s: %v", s.server, err)
	}
	if s.ledgerPub != "" {
		k, err := crypto.ReadPublicKeyFile(s.ledgerPub)
		if err != nil {
			return "", nil, false, usage("--ledger-pub: %v", err)
		}
		return info.Origin, k, true, nil
	}
	k, err := crypto.ParsePublicKeyPEM([]byte(info.LedgerKey.PEM))
	if err != nil {
		return "", nil, false, usage("the server's ledger key: %v", err)
	}
	return info.Origin, k, false, nil
}

func writeOut(cmd *cobra.Command, asJSON bool, v any, human func(io.Writer)) error {
	out := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	human(out)
	return nil
}

func newProveCmd() *cobra.Command {
	var (
		src    proofSource
		seq    uint64
		size   uint64
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "prove (--data DIR | --server URL) --seq N [--size M]",
		Short: "Print and check the inclusion proof of entry N 打印并校验包含性证明",
		Long: `Print the RFC 6962 (SM3) inclusion proof of the entry at seq N in the tree of M
entries (default: the newest checkpoint's size), and check it: against the signed
checkpoint when M is its size, else against the root computed from the stored tree.

Exit 0: the proof verifies. Exit 1: it does not (the store or server is inconsistent).
Exit 2: usage or I/O error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := src.check("prove"); err != nil {
				return err
			}
			if !cmd.Flags().Changed("seq") {
				return usage("prove: --seq N is required (需要 --seq 参数)")
			}
			var at *uint64
			if cmd.Flags().Changed("size") {
				at = &size
			}
			p, origin, key, done, err := src.inclusion(cmd.Context(), seq, at)
			if err != nil {
				return err
			}
			defer done()
			if err := writeOut(cmd, asJSON, p, func(w io.Writer) {
				fmt.Fprintf(w, "entry 记录:      seq %d, hash %s\n", p.Seq, p.Hash)
				fmt.Fprintf(w, "tree 树:         size %d, root %s\n", p.Size, p.Root)
				fmt.Fprintf(w, "proof 证明:      %d hashes\n", len(p.InclusionProof))
				for _, h := range p.InclusionProof {
					fmt.Fprintf(w, "  %s\n", h)
				}
			}); err != nil {
				return usage("prove: %v", err)
			}
			signed, err := checkInclusion(p, origin, key)
			if err != nil {
				return err
			}
			if !asJSON {
				what := "the root of the stored tree 存储树的根"
				if signed {
					what = "the signed checkpoint 签名检查点"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "verified 已验证: entry %d is in the tree of %d against %s\n", p.Seq, p.Size, what)
			}
			return nil
		},
	}
	src.flags(c)
	c.Flags().Uint64Var(&seq, "seq", 0, "position of the entry")
	c.Flags().Uint64Var(&size, "size", 0, "tree size (default: the newest checkpoint's)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the proof as JSON (the GET /v1/proofs/inclusion shape)")
	return c
}

// inclusion fetches the proof of seq in the tree of *at entries (nil: the newest
// checkpoint's) from the server or the local store, with the origin and ledger key to
// check it by; done releases the local store.
func (src *proofSource) inclusion(ctx context.Context, seq uint64, at *uint64) (p *client.InclusionProof, origin string, key *crypto.PublicKey, done func(), err error) {
	done = func() {}
	if src.server != "" {
		if origin, key, _, err = src.serverKey(ctx); err != nil {
			return nil, "", nil, done, err
		}
		if p, err = src.client().InclusionProof(ctx, seq, at); err != nil {
			return nil, "", nil, done, usage("prove: %s: %v", src.server, err)
		}
	} else {
		var ll *localLedger
		if ll, done, err = src.openLocal(ctx, "prove"); err != nil {
			return nil, "", nil, func() {}, err
		}
		origin, key = ll.origin, ll.key
		if p, err = ll.inclusion(ctx, seq, at); err != nil {
			return nil, "", nil, done, err
		}
	}
	if p.InclusionProof == nil {
		p.InclusionProof = []ledger.Hash{}
	}
	return p, origin, key, done, nil
}

// inclusion builds the proof of seq from the local store.
func (ll *localLedger) inclusion(ctx context.Context, seq uint64, at *uint64) (*client.InclusionProof, error) {
	var size uint64
	if at != nil {
		size = *at
	}
	p := &client.InclusionProof{Seq: seq, Size: ll.size(size, at != nil)}
	var err error
	if p.InclusionProof, err = ledger.InclusionProof(ctx, ll.st, seq, p.Size); err != nil {
		return nil, usage("prove: %v", err)
	}
	if p.Root, err = ledger.RootAt(ctx, ll.st, p.Size); err != nil {
		return nil, usage("prove: %v", err)
	}
	if err := ll.st.Entries(ctx, seq, seq+1, func(r ledger.RawEntry) error {
		p.Entry, p.Hash = bytes.Clone(r.Bytes), r.Hash
		return nil
	}); err != nil {
		return nil, usage("prove: reading entry %d: %v", seq, err)
	}
	p.Checkpoint = ll.checkpointFor(p.Size)
	return p, nil
}

// checkInclusion checks p: the entry's hash, the signed checkpoint if p carries one
// (signed reports it did), and the path to the root.
func checkInclusion(p *client.InclusionProof, origin string, key *crypto.PublicKey) (signed bool, err error) {
	root := p.Root
	if p.Checkpoint != "" {
		c, _, err := ledger.OpenCheckpoint([]byte(p.Checkpoint), origin, key)
		if err != nil {
			return false, tampered(fmt.Errorf("prove: the checkpoint does not verify: %w", err))
		}
		if c.Size != p.Size || c.Root != p.Root {
			return false, tampered(fmt.Errorf("prove: the signed checkpoint (size %d) disagrees with the tree given (size %d)", c.Size, p.Size))
		}
		root, signed = c.Root, true
	}
	if ledger.SumEntry(p.Entry) != p.Hash {
		return false, tampered(fmt.Errorf("prove: entry %d does not hash to its recorded hash", p.Seq))
	}
	if err := ledger.VerifyInclusion(p.Entry, p.Seq, p.Size, p.InclusionProof, root); err != nil {
		return false, tampered(fmt.Errorf("prove: seq %d: the inclusion proof does not verify: %w", p.Seq, err))
	}
	return signed, nil
}

func newConsistencyCmd() *cobra.Command {
	var (
		src      proofSource
		from, to uint64
		asJSON   bool
	)
	c := &cobra.Command{
		Use:   "consistency (--data DIR | --server URL) --from A [--to B]",
		Short: "Print and check the consistency proof between tree sizes A and B 打印并校验一致性证明",
		Long: `Print the RFC 6962 (SM3) proof that the tree of A entries is a prefix of the tree
of B entries (default B: the newest checkpoint's size), and check it. With --data, the
roots are also compared with every published checkpoint of size A or B.

Exit 0: consistent. Exit 1: not (history was rewritten). Exit 2: usage or I/O error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := src.check("consistency"); err != nil {
				return err
			}
			if !cmd.Flags().Changed("from") {
				return usage("consistency: --from A is required (需要 --from 参数)")
			}
			var upto *uint64
			if cmd.Flags().Changed("to") {
				upto = &to
			}
			p, origin, key, published, done, err := src.consistency(cmd.Context(), from, upto)
			if err != nil {
				return err
			}
			defer done()
			if err := writeOut(cmd, asJSON, p, func(w io.Writer) {
				fmt.Fprintf(w, "from 自:   size %d, root %s\n", p.From, p.FromRoot)
				fmt.Fprintf(w, "to 至:     size %d, root %s\n", p.To, p.ToRoot)
				fmt.Fprintf(w, "proof 证明: %d hashes\n", len(p.Proof))
				for _, h := range p.Proof {
					fmt.Fprintf(w, "  %s\n", h)
				}
			}); err != nil {
				return usage("consistency: %v", err)
			}
			if err := checkConsistency(p, origin, key, published); err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintf(cmd.OutOrStdout(), "consistent 一致: the tree of %d entries is a prefix of the tree of %d\n", p.From, p.To)
			}
			return nil
		},
	}
	src.flags(c)
	c.Flags().Uint64Var(&from, "from", 0, "the older tree size")
	c.Flags().Uint64Var(&to, "to", 0, "the newer tree size (default: the newest checkpoint's)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the proof as JSON (the GET /v1/proofs/consistency shape)")
	return c
}

// consistency fetches the proof from the tree of from entries to the tree of *upto (nil:
// the newest checkpoint's), from the server or the local store, with the origin and key
// to check it by and, locally, the roots of published checkpoints of either size.
func (src *proofSource) consistency(ctx context.Context, from uint64, upto *uint64) (p *client.ConsistencyProof, origin string, key *crypto.PublicKey, published map[uint64]ledger.Hash, done func(), err error) {
	done, published = func() {}, map[uint64]ledger.Hash{}
	if src.server != "" {
		if origin, key, _, err = src.serverKey(ctx); err != nil {
			return nil, "", nil, nil, done, err
		}
		if p, err = src.client().ConsistencyProof(ctx, from, upto); err != nil {
			return nil, "", nil, nil, done, usage("consistency: %s: %v", src.server, err)
		}
	} else {
		var ll *localLedger
		if ll, done, err = src.openLocal(ctx, "consistency"); err != nil {
			return nil, "", nil, nil, func() {}, err
		}
		origin, key = ll.origin, ll.key
		if p, err = ll.consistency(ctx, from, upto); err != nil {
			return nil, "", nil, nil, done, err
		}
		published = publishedRoots(src.dir, origin, key, p.From, p.To)
	}
	if p.Proof == nil {
		p.Proof = []ledger.Hash{}
	}
	return p, origin, key, published, done, nil
}

// consistency builds the proof from the local store.
func (ll *localLedger) consistency(ctx context.Context, from uint64, upto *uint64) (*client.ConsistencyProof, error) {
	var to uint64
	if upto != nil {
		to = *upto
	}
	p := &client.ConsistencyProof{From: from, To: ll.size(to, upto != nil)}
	if p.From > p.To {
		return nil, usage("consistency: --from %d is larger than --to %d", p.From, p.To)
	}
	var err error
	if p.Proof, err = ledger.ConsistencyProof(ctx, ll.st, p.From, p.To); err != nil {
		return nil, usage("consistency: %v", err)
	}
	if p.FromRoot, err = ledger.RootAt(ctx, ll.st, p.From); err == nil {
		p.ToRoot, err = ledger.RootAt(ctx, ll.st, p.To)
	}
	if err != nil {
		return nil, usage("consistency: %v", err)
	}
	p.Checkpoint = ll.checkpointFor(p.To)
	return p, nil
}

// publishedRoots reads the roots of the checkpoints published in DIR/checkpoints for
// the given sizes, each opened under the ledger key.
func publishedRoots(dir, origin string, key *crypto.PublicKey, sizes ...uint64) map[uint64]ledger.Hash {
	out := map[uint64]ledger.Hash{}
	pub, err := ledger.NewDirPublisher(datadir.Paths{Dir: dir}.Checkpoints())
	if err != nil {
		return out
	}
	for _, size := range sizes {
		if c, err := pub.Get(size); err == nil {
			if oc, _, err := ledger.OpenCheckpoint(c.Note, origin, key); err == nil {
				out[size] = oc.Root
			}
		}
	}
	return out
}

// checkConsistency checks p: the signed checkpoint it carries and the published ones
// name the roots it gives, and the proof links them.
func checkConsistency(p *client.ConsistencyProof, origin string, key *crypto.PublicKey, published map[uint64]ledger.Hash) error {
	if p.Checkpoint != "" {
		c, _, err := ledger.OpenCheckpoint([]byte(p.Checkpoint), origin, key)
		if err != nil {
			return tampered(fmt.Errorf("consistency: the checkpoint does not verify: %w", err))
		}
		published[c.Size] = c.Root
	}
	for size, root := range published {
		if (size == p.From && root != p.FromRoot) || (size == p.To && root != p.ToRoot) {
			return tampered(fmt.Errorf("consistency: the tree of %d entries does not have the root its signed checkpoint names: history was rewritten", size))
		}
	}
	if err := ledger.VerifyConsistency(p.From, p.To, p.Proof, p.FromRoot, p.ToRoot); err != nil {
		return tampered(fmt.Errorf("consistency: %d→%d does not verify: %w", p.From, p.To, err))
	}
	return nil
}
