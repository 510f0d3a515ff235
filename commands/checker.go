package commands

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/acttime"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/google/uuid"
)

// TypeAccessRefused is the ledger's record of a refused act by a suspended party. The
// ledger key may sign ledger.* types, so no change to the key registry's rules is needed.
const TypeAccessRefused = "ledger.access_refused.v1"

// RefusalStream is where refusals of party P go: "access/P", beside its suspensions.
func RefusalStream(party string) string { return "access/" + party }

// Checker is the domain's admission rule for the ledger (ledger.Options.Check): it decodes
// and validates the payload of every catalogued type, checks the stream, authorises the
// actor against the registry, and refuses acts of suspended parties, recording each
// refusal. It is safe for concurrent use.
type Checker struct {
	state  *registry.State
	key    crypto.Signer // the ledger key, for refusal records
	log    *slog.Logger
	ledger atomic.Pointer[ledger.Ledger]
	// follower keeps state level with the log (writemodel.go); set by Attach.
	follower atomic.Pointer[follow.Follower]
	now      func() time.Time
}

// SetClock makes the checker read the time from now instead of time.Now: a program that
// gives its ledger a clock (ledger.Options.Now) gives the checker the same one, so that
// the door judges an act's day (acttime) by the time it will be sealed at.
func (c *Checker) SetClock(now func() time.Time) {
	if now != nil {
		c.now = now
	}
}

// NewChecker returns a checker over state. ledgerKey signs refusal records; nil disables
// recording (refusals are still returned).
func NewChecker(state *registry.State, ledgerKey crypto.Signer, log *slog.Logger) *Checker {
	if log == nil {
		log = slog.Default()
	}
	return &Checker{state: state, key: ledgerKey, log: log, now: time.Now}
}

// State is the registry the checker reads.
func (c *Checker) State() *registry.State { return c.state }

// Wire sets the checker's hooks on opts, so that every program that opens a ledger
// (ledgerd, demo, submit, load and bench servers, tests) admits acts by the one rule:
// Check at the door, Sequence in log order, and the registry kept current from both its
// own commits and other writers'. Hooks already set on opts run after the checker's.
// Call Attach once the ledger is open.
func (c *Checker) Wire(opts *ledger.Options) {
	opts.Check = c.Check
	opts.Sequence = c.Sequence
	for _, hook := range []*func([]*ledger.Entry){&opts.OnCommit, &opts.OnCatchUp} {
		next := *hook
		*hook = func(es []*ledger.Entry) {
			c.OnCommit(es)
			if next != nil {
				next(es)
			}
		}
	}
}

// Check is ledger.Options.Check.
func (c *Checker) Check(s *ledger.Signed) error {
	sub := &s.Submission
	if !strings.HasPrefix(sub.Type, "ledger.") {
		if err := c.claim(sub); err != nil {
			return err
		}
	}
	t, ok := events.Lookup(sub.Type)
	if !ok {
		if sub.Type == ledger.TypeInitialized || strings.HasPrefix(sub.Type, "key.") {
			return nil // the key registry's own acts: the ledger checks them
		}
		if strings.HasPrefix(sub.Type, "ledger.") {
			// The ledger's own records outside the catalogue (ledger.bundle_exported.v1,
			// written by ledger/bundle when ledgerd serves POST /v1/bundles): the registry
			// lets only the ledger key sign ledger.* types, so no institution gets one past.
			return nil
		}
		return &ledger.Problem{Kind: ledger.ErrInvalid, Code: "unknown_type", Field: "submission.type",
			Message: "not a type of the event catalogue (docs/events.md)", MessageZH: "不是事件目录中的类型（见 docs/events.md）"}
	}
	raw, err := c.maskEncrypted(t, s) // privacy.go: protected fields, encrypted under subjects the actor may use
	if err != nil {
		return err
	}
	p, err := events.Decode(t, raw)
	if err != nil {
		return ledger.WithPrefix(err, PayloadPrefix)
	}
	if err := c.requireEncrypted(t, s, p); err != nil {
		return err
	}
	return c.authorise(t, s, p, true)
}

// authorise runs, in order: the stream, the key's role, the actor's standing (a
// registered institution, a registered official), the case the act belongs to, the
// type's signer rule, Art. 42 suspensions and the type's own state rules.
func (c *Checker) authorise(t *events.Type, s *ledger.Signed, p events.Payload, record bool) error {
	sub := &s.Submission
	actor := sub.Actor.Institution
	want, err := t.StreamFor(actor, p)
	if err == nil && want != sub.Stream {
		return &ledger.Problem{Kind: ledger.ErrInvalid, Code: "bad_stream", Field: "submission.stream",
			Message: fmt.Sprintf("a %s event belongs on stream %s", t.Name, want), MessageZH: fmt.Sprintf("%s 事件应记录在流 %s", t.Name, want)}
	}
	if err := c.standing(t, s, p); err != nil {
		return err
	}
	// Who may act is said before whether the case exists, unless who may act depends on
	// the case (its opener, whom it names to answer).
	if !caseDecides(t) {
		if err := c.signer(t, actor, p, nil); err != nil {
			return err
		}
	}
	cs, err := c.caseOf(t, p)
	if err != nil {
		return err
	}
	if caseDecides(t) {
		if err := c.signer(t, actor, p, cs); err != nil {
			if cs != nil && t.Case.Open == events.OpensOrContinues {
				// It would open the case, but another institution's case has the id.
				return refuse(ledger.ErrConflict, "case_exists", pf(t.Case.Field), t.Articles[0],
					fmt.Sprintf("a %s with id %s is already recorded by another institution; choose another id", t.Case.Kind, cs.ID),
					fmt.Sprintf("编号为 %s 的%s已由其他机构登记，请使用其他编号", cs.ID, caseZH(t.Case.Kind)))
			}
			return err
		}
	}
	if t.Access {
		resource := ""
		if t.Resource != "" {
			resource = events.FieldString(p, t.Resource)
		}
		// Art. 42 is judged on the act's own day: the day it claims and the day it counts
		// (acttime), so that neither dating an attempt before a suspension nor recording
		// one made during it after the restoration gets it past (docs/domain-decisions.md).
		when := c.state.TimeAt(sub, c.now())
		for _, party := range []string{actor, events.FieldString(p, t.Party)} {
			if party == "" {
				continue
			}
			if sp, ok := c.state.SuspendedOn(party, resource, when.Claimed, when.Effective); ok {
				if record {
					c.recordRefusal(s, party, sp)
				}
				return refuse(ledger.ErrUnauthorized, "access_suspended", accessField(t, party == actor), domain.Art(42),
					fmt.Sprintf("%s's access to public data was suspended on the act's day %s (%s)", party, when.Effective, sp.ID),
					fmt.Sprintf("%s 获取公共数据的权限在该行为之日（%s）已被暂时关闭（%s）", party, when.Effective, sp.ID))
			}
		}
	}
	if m, ok := p.(*events.MigrationDeclared); ok {
		if err := c.window(m); err != nil {
			return err
		}
	}
	if r, ok := rules[t.Name]; ok {
		return r(c.state, actor, p, cs)
	}
	return nil
}

// windowSkew is how far before its admission a migration's recording window may open:
// the ledger's own allowance for clocks (ledger.Options.MaxSkew's default).
const windowSkew = 5 * time.Minute

// window checks a migration declaration's recording window against the clock and the
// policy: it opens no earlier than now (a declaration never re-judges what is recorded)
// and lasts at most migration_window_max_days.
func (c *Checker) window(m *events.MigrationDeclared) error {
	a := domain.Art(37).ItemOf(6)
	now := c.now()
	wf, _ := time.Parse(time.RFC3339Nano, m.WindowFrom)
	wu, _ := time.Parse(time.RFC3339Nano, m.WindowUntil)
	if wf.Before(now.Add(-windowSkew)) {
		return refuse(ledger.ErrInvalid, "window_in_past", pf("window_from"), a,
			"the recording window must not open before the declaration is recorded: what is already on the record stays judged as it was",
			"录入时间窗不得早于声明登记之时：已记录的行为不因声明而改判")
	}
	today := calendar.DateOf(now)
	v, err := c.state.Policy().At(today)
	if err != nil {
		v, err = c.state.Policy().Latest(today)
	}
	if err == nil {
		if max := v.Param("migration_window_max_days"); wu.Sub(wf) > time.Duration(max)*24*time.Hour {
			return refuse(ledger.ErrInvalid, "window_too_long", pf("window_until"), a,
				fmt.Sprintf("the recording window is longer than the policy's %d days (%s)", max, v.ID),
				fmt.Sprintf("录入时间窗超过策略规定的 %d 天（%s）", max, v.ID))
		}
	}
	return nil
}

func accessField(t *events.Type, actor bool) string {
	if actor {
		return actorField
	}
	return pf(t.Party)
}

// recordRefusal appends ledger.access_refused.v1 for a refused submission, once per
// submission id, and only for a submission whose signature verifies with a key of the
// acting institution: a forged submission must not put an attempt on someone's record.
func (c *Checker) recordRefusal(s *ledger.Signed, party string, sp registry.Suspension) {
	l := c.ledger.Load()
	if l == nil || c.key == nil {
		return
	}
	k, ok := l.Registry().Key(s.Submission.Actor.KeyID)
	if !ok || k.Revoked || k.Institution != s.Submission.Actor.Institution || !k.Key.Verify(s.Canonical, s.Signature) {
		return
	}
	id := refusalID(s.Submission.ID)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if seen, err := l.Store().Lookup(ctx, []string{id}); err == nil && len(seen) > 0 {
		return // this attempt was already recorded
	}
	digest := crypto.SM3(s.Canonical)
	payload, _ := events.Encode(&events.AccessRefused{
		Party: party, Suspension: sp.ID, RefusedID: s.Submission.ID, RefusedType: s.Submission.Type,
		RefusedSM3: hex.EncodeToString(digest[:]), ActorInstitution: s.Submission.Actor.Institution, ActorPerson: s.Submission.Actor.Person,
	})
	reg := l.Registry()
	// The refusal carries the day the attempt claims: it is judged on that day, bounded by
	// the late-record rule like the attempt itself (acttime counts it for the attempt's
	// institution).
	rs, err := ledger.SignSubmission(c.key, ledger.Submission{
		ID: id, Stream: RefusalStream(party), Type: TypeAccessRefused, OccurredAt: s.Submission.OccurredAt,
		Actor: ledger.Actor{Institution: reg.Authority, Person: "ledger", KeyID: c.key.Public().ID()}, Payload: payload,
	})
	if err == nil {
		_, err = l.Append(ctx, rs)
	}
	if err != nil {
		c.log.Error("recording an access refusal failed", "refused_id", s.Submission.ID, "type", s.Submission.Type, "err", err)
	}
}

// claim refuses a claimed day the ledger must not take (acttime.CheckClaim): before the
// sanity floor always, before the policy's claims_from unless a migration declaration
// covers it. Nothing is written for either.
func (c *Checker) claim(sub *ledger.Submission) error {
	verdict, bound := acttime.CheckClaim(sub.Time(), c.now(), sub.Actor.Institution, c.state.Policy(), c.state.Migrations())
	switch verdict {
	case acttime.ClaimBeforeFloor:
		return refuse(ledger.ErrInvalid, "occurred_before_floor", "submission.occurred_at", domain.Art(37).ItemOf(6),
			fmt.Sprintf("occurred_at %s is before %s: no act of public data claims such a day", sub.OccurredAt, bound),
			fmt.Sprintf("occurred_at %s 早于 %s：公共数据行为不可能发生在该日", sub.OccurredAt, bound))
	case acttime.ClaimTooEarly:
		return refuse(ledger.ErrInvalid, "occurred_too_early", "submission.occurred_at", domain.Art(37).ItemOf(6),
			fmt.Sprintf("occurred_at %s is before %s, the earliest day the policy lets an act claim; historical records enter only under an authority's migration declaration (migration.declared.v1)", sub.OccurredAt, bound),
			fmt.Sprintf("occurred_at %s 早于策略允许的最早日期 %s；历史记录须经主管部门声明迁移（migration.declared.v1）后方可录入", sub.OccurredAt, bound))
	}
	return nil
}

// refusalID derives the refusal record's UUIDv7 from the refused submission's id, so that
// a re-sent refused submission is recorded once: the refused id's timestamp, and random
// bits from a digest of it.
func refusalID(refused string) string {
	u, err := uuid.Parse(refused)
	if err != nil {
		return uuid.Must(uuid.NewV7()).String()
	}
	d := crypto.SM3([]byte("ledger.access_refused:" + refused))
	var out uuid.UUID
	copy(out[:6], u[:6])
	copy(out[6:], d[:10])
	out[6] = 0x70 | out[6]&0x0f
	out[8] = 0x80 | out[8]&0x3f
	return out.String()
}
