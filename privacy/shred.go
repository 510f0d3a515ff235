package privacy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/aba-prefecture/dataledger/internal/strictjson"
	"github.com/aba-prefecture/dataledger/ledger/follow"

	"github.com/aba-prefecture/dataledger/ledger"
)

// Rule says which ledger entries destroy which subjects' keys. A rule matches entries of
// Type whose payload has every When field equal to its value (top-level fields, in clear;
// strings compared as written, other values as their JSON text). The subjects it destroys
// are:
//
//   - Subject expanded over the act's payload ("emergency/{emergency}/{resource}": each
//     {field} is that top-level clear string field of the payload);
//   - for a rule with In (a stream template expanded the same way, e.g.
//     "subject_request/{request}"): from each event of that stream whose payload matches
//     InWhen, InSubject expanded over that event's payload, and, with InEnvelopes, the
//     subject of every encrypted field in it. A rule with In whose InWhen matches no event
//     of the stream does not apply (the act was not of the kind the rule is about).
type Rule struct {
	Type        string            `json:"type"`
	Article     string            `json:"article"`
	When        map[string]string `json:"when,omitempty"`
	Subject     string            `json:"subject,omitempty"`
	In          string            `json:"in,omitempty"`
	InWhen      map[string]string `json:"in_when,omitempty"`
	InSubject   string            `json:"in_subject,omitempty"`
	InEnvelopes bool              `json:"in_envelopes,omitempty"`
}

// DefaultRules are the destruction and deletion acts of the Measures, by their types in
// the event catalogue (domain/events):
//
//   - Art. 21 para 2: emergency.data_destroyed.v1 destroys subject
//     "emergency/<emergency>/<resource>": encrypt personal fields of data collected under
//     an emergency under that subject.
//   - Art. 22: subject_request.answered.v1 with outcome "granted", for a request whose
//     subject_request.received.v1 has kind "deletion", destroys subject
//     "<institution>/party/<party>" (the answering institution's key for the data
//     subject's pseudonymous party id) and every subject of that institution whose
//     encrypted fields appear in that request's events: an institution encrypts a data
//     subject's personal fields under "<its id>/party/<party id>", and its deletion
//     destroys its own copy, never another institution's.
//   - Art. 39 para 2: outsourcing.provider_deletion_evidenced.v1 destroys subject
//     "contract/<contract>": encrypt commercially confidential fields of the contract's
//     events under it.
var DefaultRules = []Rule{
	{Type: "emergency.data_destroyed.v1", Article: "21", Subject: "emergency/{emergency}/{resource}"},
	{Type: "subject_request.answered.v1", Article: "22", When: map[string]string{"outcome": "granted"},
		In: "subject_request/{request}", InWhen: map[string]string{"kind": "deletion"}, InSubject: "{actor}/party/{party}", InEnvelopes: true},
	{Type: "outsourcing.provider_deletion_evidenced.v1", Article: "39", Subject: "contract/{contract}"},
}

// ReadRules loads rules from a JSON file (an array of Rule), checking each.
func ReadRules(path string) ([]Rule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading shredding rules: %w", err)
	}
	var rs []Rule
	if err := strictjson.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("shredding rules %s: %w", path, err)
	}
	for i, r := range rs {
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("shredding rules %s: rule %d: %w", path, i, err)
		}
	}
	return rs, nil
}

var placeholderRE = regexp.MustCompile(`\{([a-z_][a-z0-9_]*)\}`)

func (r Rule) check() error {
	if r.Type == "" {
		return errors.New("no type")
	}
	if r.Subject == "" && r.In == "" {
		return fmt.Errorf("%s: neither subject nor in", r.Type)
	}
	if r.In != "" && r.InSubject == "" && !r.InEnvelopes {
		return fmt.Errorf("%s: in %q names no subjects (in_subject or in_envelopes)", r.Type, r.In)
	}
	for _, t := range []string{r.Subject, r.In, r.InSubject} {
		if strings.Count(t, "{") != len(placeholderRE.FindAllString(t, -1)) {
			return fmt.Errorf("%s: template %q has a malformed {field}", r.Type, t)
		}
	}
	return nil
}

// expand fills a template from the top-level clear string fields of payload; {actor} is
// the institution of the destruction act.
func expand(tmpl, actor string, payload map[string]any) (string, error) {
	var missing []string
	out := placeholderRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		f := m[1 : len(m)-1]
		if f == "actor" {
			return actor
		}
		s, ok := payload[f].(string)
		if !ok || s == "" {
			missing = append(missing, f)
		}
		return s
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("payload field %s is missing, encrypted or not a string", strings.Join(missing, ", "))
	}
	return out, nil
}

func matches(payload map[string]any, when map[string]string) bool {
	for k, want := range when {
		v, ok := payload[k]
		if !ok {
			return false
		}
		if s, isStr := v.(string); isStr {
			if s != want {
				return false
			}
			continue
		}
		b, _ := json.Marshal(v)
		if string(b) != want {
			return false
		}
	}
	return true
}

// owns reports whether a destruction act by inst may destroy subject under rule r: a
// subject in an institution's namespace ("<institution>/…") only by that institution,
// whatever the rule's templates produce; the shared namespaces (emergency/…,
// contract/…) by whoever the event catalogue lets sign the act, which commands checks
// at the door.
func owns(inst, subject string, r Rule) bool {
	head, _, _ := strings.Cut(subject, "/")
	switch head {
	case "emergency", "contract":
		return true
	}
	return head == inst
}

// ShredderConfig wires a Shredder.
type ShredderConfig struct {
	Keys  KeyStore
	Store ledger.Store // the ledger's entries: what RunToEnd reads, and the streams rules look up
	Rules []Rule       // default DefaultRules
	// PositionFile keeps the next seq to examine, so that a restart resumes and a
	// rebuild from zero (delete the file) repeats only idempotent work.
	PositionFile string
	Logger       *slog.Logger
}

// Shredder applies destruction acts to the key store: a read model of the log
// (follow.Model) whose state is the key store itself. For each entry a Rule matches it
// destroys the named subjects' keys. It is a follower of the ledger, never a writer: the
// destruction act is itself the ledger's record of the shredding.
type Shredder struct {
	cfg      ShredderConfig
	types    map[string]bool
	shredded atomic.Uint64
}

var _ follow.Model = (*Shredder)(nil)

// NewShredder checks the configuration.
func NewShredder(cfg ShredderConfig) (*Shredder, error) {
	if cfg.Keys == nil || cfg.Store == nil || cfg.PositionFile == "" {
		return nil, errors.New("a shredder needs a key store, a ledger store and a position file")
	}
	if cfg.Rules == nil {
		cfg.Rules = DefaultRules
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Shredder{cfg: cfg, types: map[string]bool{}}
	for _, r := range cfg.Rules {
		if err := r.check(); err != nil {
			return nil, err
		}
		s.types[r.Type] = true
	}
	return s, nil
}

// Name implements follow.Model.
func (s *Shredder) Name() string { return "shredder" }

type position struct {
	Next uint64 `json:"next"`
}

// Position implements follow.Model: the next seq to examine, from the position file.
func (s *Shredder) Position(context.Context) (uint64, error) {
	b, err := os.ReadFile(s.cfg.PositionFile)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var p position
	if err := json.Unmarshal(b, &p); err != nil {
		return 0, fmt.Errorf("shredder position %s: %w", s.cfg.PositionFile, err)
	}
	return p.Next, nil
}

// Apply implements follow.Model: it applies the rules to the entries, then saves the
// position past them. If a destruction fails the position stays, and the follower
// retries the batch: destroying a key twice is harmless.
func (s *Shredder) Apply(ctx context.Context, es []*ledger.Entry) error {
	for _, e := range es {
		if !s.types[e.Submission.Type] {
			continue
		}
		n, err := s.apply(ctx, e)
		s.shredded.Add(uint64(n))
		if err != nil {
			return err
		}
	}
	b, _ := json.Marshal(position{Next: es[len(es)-1].Seq + 1})
	if err := writeFileAtomic(s.cfg.PositionFile, append(b, '\n')); err != nil {
		return fmt.Errorf("saving the shredder position: %w", err)
	}
	return nil
}

// Shredded is how many subjects' keys this shredder has destroyed since it was made.
func (s *Shredder) Shredded() uint64 { return s.shredded.Load() }

// RunToEnd catches the shredder up with the store's head now (the follower's CatchUp)
// and returns how many subjects it shredded: what tools and tests use between acts.
func (s *Shredder) RunToEnd(ctx context.Context) (int, error) {
	before := s.Shredded()
	_, err := follow.New(s, follow.Options{Store: s.cfg.Store, Logger: s.cfg.Logger}).CatchUp(ctx)
	return int(s.Shredded() - before), err
}

func payloadMap(raw json.RawMessage) (map[string]any, error) {
	v, err := decodeTree(raw)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("payload is not an object")
	}
	return m, nil
}

// apply runs every rule matching e.
func (s *Shredder) apply(ctx context.Context, e *ledger.Entry) (int, error) {
	p, err := payloadMap(e.Submission.Payload)
	if err != nil {
		s.cfg.Logger.Error("destruction act has an unreadable payload; nothing shredded", "seq", e.Seq, "id", e.Submission.ID, "err", err)
		return 0, nil
	}
	n := 0
	for _, r := range s.cfg.Rules {
		if r.Type != e.Submission.Type || !matches(p, r.When) {
			continue
		}
		subjects, applies, err := s.subjects(ctx, r, e.Submission.Actor.Institution, p)
		if err == nil && !applies {
			continue // e.g. an answered request that was not a deletion request
		}
		if err != nil {
			// The act is recorded but names no subject this rule can find: an operator
			// must look. It is logged, not retried forever.
			s.cfg.Logger.Error("destruction act names no subject; nothing shredded for this rule",
				"seq", e.Seq, "id", e.Submission.ID, "type", r.Type, "article", r.Article, "err", err)
			continue
		}
		if len(subjects) == 0 {
			s.cfg.Logger.Warn("destruction act found no encrypted subject to shred", "seq", e.Seq, "id", e.Submission.ID, "type", r.Type, "article", r.Article)
		}
		by := Destruction{EventID: e.Submission.ID, Seq: e.Seq, Type: e.Submission.Type, Article: r.Article,
			Institution: e.Submission.Actor.Institution, RecordedAt: e.RecordedAt}
		for _, sub := range subjects {
			if !owns(e.Submission.Actor.Institution, sub, r) {
				s.cfg.Logger.Warn("destruction act names a subject outside its institution's namespace; not shredded",
					"subject", sub, "seq", e.Seq, "id", e.Submission.ID, "institution", e.Submission.Actor.Institution)
				continue
			}
			err := s.cfg.Keys.Shred(ctx, sub, by)
			if errors.Is(err, ErrNoKey) {
				s.cfg.Logger.Info("destruction act: the subject has no key, nothing to destroy", "subject", sub, "seq", e.Seq, "id", e.Submission.ID)
				continue
			}
			if err != nil {
				return n, fmt.Errorf("shredding %s for entry %d: %w", sub, e.Seq, err)
			}
			n++
			s.cfg.Logger.Info("data key destroyed", "subject", sub, "by_event", e.Submission.ID, "seq", e.Seq, "type", r.Type, "article", r.Article)
		}
	}
	return n, nil
}

// subjects resolves a rule for a matching entry's payload. applies is false when the
// rule's InWhen matched no event of its stream.
func (s *Shredder) subjects(ctx context.Context, r Rule, actor string, p map[string]any) (out []string, applies bool, err error) {
	add := func(sub string) {
		if ValidSubject(sub) == nil && !slices.Contains(out, sub) {
			out = append(out, sub)
		}
	}
	if r.Subject != "" {
		sub, err := expand(r.Subject, actor, p)
		if err != nil {
			return nil, true, err
		}
		if err := ValidSubject(sub); err != nil {
			return nil, true, err
		}
		add(sub)
	}
	if r.In == "" {
		return out, true, nil
	}
	stream, err := expand(r.In, actor, p)
	if err != nil {
		return nil, true, err
	}
	matched := false
	err = s.cfg.Store.Stream(ctx, stream, 1, func(re ledger.RawEntry) error {
		e, err := ledger.ParseEntry(bytes.Clone(re.Bytes))
		if err != nil {
			return fmt.Errorf("entry %d: %w", re.Seq, err)
		}
		sp, err := payloadMap(e.Submission.Payload)
		if err != nil || !matches(sp, r.InWhen) {
			return nil
		}
		matched = true
		if r.InSubject != "" {
			if sub, err := expand(r.InSubject, actor, sp); err == nil {
				add(sub)
			}
		}
		if r.InEnvelopes {
			walk(sp, "", func(_ string, m map[string]any) {
				if sub, ok := m["subject"].(string); ok {
					add(sub)
				}
			})
		}
		return nil
	})
	if err != nil {
		return nil, true, fmt.Errorf("reading stream %s: %w", stream, err)
	}
	if !matched && r.Subject == "" {
		return nil, false, nil
	}
	return out, true, nil
}
