package commands

// Encrypted fields (docs/privacy.md): a payload field the catalogue marks
// sensitive:"personal" may arrive as an SM4-GCM envelope instead of its value. The checker
// validates the payload with a placeholder in its place (the ledger still stores the
// signed bytes unchanged), refuses envelopes anywhere else, and never lets "party" be
// encrypted: Art. 42 refusals and the registry read it.

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/privacy"
)

var sensitiveByType sync.Map // type name → map[string]bool of JSON paths ("*" for array elements)

// sensitivePaths lists the JSON paths of t's payload fields tagged sensitive:"personal".
func sensitivePaths(t *events.Type) map[string]bool {
	if v, ok := sensitiveByType.Load(t.Name); ok {
		return v.(map[string]bool)
	}
	out := map[string]bool{}
	collectSensitive(reflect.TypeOf(t.New()), "", out, 0)
	sensitiveByType.Store(t.Name, out)
	return out
}

func collectSensitive(rt reflect.Type, prefix string, out map[string]bool, depth int) {
	for rt.Kind() == reflect.Pointer || rt.Kind() == reflect.Slice || rt.Kind() == reflect.Array {
		if rt.Kind() != reflect.Pointer {
			prefix += ".*"
		}
		rt = rt.Elem()
	}
	if rt.Kind() != reflect.Struct || depth > 8 {
		return
	}
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" {
			collectSensitive(f.Type, prefix, out, depth+1)
			continue
		}
		if name == "" {
			name = f.Name
		}
		path := strings.TrimPrefix(prefix+"."+name, ".")
		if f.Tag.Get("sensitive") == "personal" {
			out[path] = true
		}
		collectSensitive(f.Type, path, out, depth+1)
	}
}

// genericPath turns array indices into "*": items.0.name → items.*.name.
func genericPath(p string) string {
	segs := strings.Split(p, ".")
	for i, s := range segs {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			segs[i] = "*"
		}
	}
	return strings.Join(segs, ".")
}

// maskEncrypted returns the payload to validate: each allowed envelope replaced by the
// placeholder identifier "encrypted.<kid>" (valid as an identifier and as text). An
// envelope is allowed on a field the catalogue marks personal (never the party), under a
// subject the actor may use (subjectAllowed) and, where the type names one, under the
// subject of the data subject the act concerns.
func (c *Checker) maskEncrypted(t *events.Type, s *ledger.Signed) (json.RawMessage, error) {
	raw := s.Submission.Payload
	allowed := sensitivePaths(t)
	var want string // the subject the type requires, expanded on first need
	out, err := privacy.ReplaceEnvelopes(raw, func(path, subject, kid string) (any, error) {
		g := genericPath(path)
		last := g[strings.LastIndexByte(g, '.')+1:]
		if !allowed[g] || last == "party" || (t.Party != "" && g == t.Party) {
			why, whyZH := "only fields the event catalogue marks personal may be encrypted", "仅事件目录标注为个人信息的字段可以加密"
			if last == "party" || g == t.Party {
				why, whyZH = "the party must stay in clear (a pseudonymous id): access suspensions (Art. 42) are checked against it",
					"当事人字段须保持明文（使用假名标识）：第四十二条的权限关闭据此核查"
			}
			return nil, &ledger.Problem{Kind: ledger.ErrInvalid, Code: "encrypted_field_not_allowed", Field: pf(path),
				Message: why, MessageZH: whyZH}
		}
		if t.Subject != "" {
			if want == "" {
				want = c.subjectFor(t, s.Submission.Actor.Institution, raw)
			}
			if subject != want {
				return nil, &ledger.Problem{Kind: ledger.ErrInvalid, Code: "wrong_subject", Field: pf(path),
					Message:   fmt.Sprintf("a %s is encrypted under its data subject's key, %s, not %s (docs/privacy.md)", t.Name, want, subject),
					MessageZH: fmt.Sprintf("%s 的个人信息须以数据主体 %s 的密钥加密，而非 %s（见 docs/privacy.md）", t.Name, want, subject)}
			}
		}
		if !c.subjectAllowed(s.Submission.Actor.Institution, subject, raw) {
			return nil, &ledger.Problem{Kind: ledger.ErrUnauthorized, Code: "subject_not_yours", Field: pf(path),
				Message:   fmt.Sprintf("subject %s is not one %s may encrypt under: an institution's subjects begin with its own id (docs/privacy.md)", subject, s.Submission.Actor.Institution),
				MessageZH: fmt.Sprintf("%s 无权使用主体 %s 加密：机构的主体须以本机构标识开头（见 docs/privacy.md）", s.Submission.Actor.Institution, subject)}
		}
		return fmt.Sprintf("encrypted.%s", kid), nil
	})
	if me, ok := errors.AsType[*privacy.MalformedError](err); ok {
		return nil, &ledger.Problem{Kind: ledger.ErrInvalid, Code: "bad_encrypted_field", Field: pf(me.Path),
			Message:   "not a well-formed encrypted field (docs/privacy.md): " + me.Err.Error(),
			MessageZH: "不是格式正确的加密字段（见 docs/privacy.md）"}
	}
	if _, ok := errors.AsType[*ledger.Problem](err); !ok && err != nil {
		// Not JSON: let the catalogue's decoder say so precisely.
		return raw, nil
	}
	return out, err
}

// subjectFor expands the type's subject template for this act; {case.party} is the
// party the act's case names in the registry.
func (c *Checker) subjectFor(t *events.Type, actor string, raw json.RawMessage) string {
	return t.SubjectOf(actor, func(f string) string {
		if f == "case.party" && t.Case != nil {
			cs, _ := c.state.Case(t.Case.Kind, payloadString(raw, t.Case.Field))
			return cs.Party
		}
		return payloadString(raw, f)
	})
}

// subjectAllowed is the rule for whose keys an institution may encrypt under, so that
// destroying a key (Art. 21, 22, 39) can only ever destroy the destroyer's own data:
//
//   - "<actor>/…": its own namespace (its data subjects, its officials);
//   - "emergency/<E>/<R>": data collected under emergency E, when the actor declared E,
//     collected R under it, or this very act collects R under E;
//   - "contract/<C>": an outsourcing contract's confidential fields, when the actor is
//     its contracting institution or this act opens it.
func (c *Checker) subjectAllowed(actor, subject string, raw json.RawMessage) bool {
	if strings.HasPrefix(subject, actor+"/") {
		return true
	}
	parts := strings.Split(subject, "/")
	switch {
	case len(parts) == 3 && parts[0] == "emergency":
		e, r := parts[1], parts[2]
		if cs, ok := c.state.Case("emergency", e); ok && cs.By == actor {
			return true
		}
		return c.state.Collected(e, r, actor) || payloadString(raw, "emergency") == e && payloadString(raw, "resource") == r
	case len(parts) == 2 && parts[0] == "contract":
		cs, ok := c.state.Case("contract", parts[1])
		return ok && cs.By == actor || !ok && payloadString(raw, "contract") == parts[1]
	}
	return false
}

// requireEncrypted refuses a personal field sent in clear: every field the catalogue
// marks personal (but the pseudonymous party) is either absent, empty or encrypted, so
// that destroying the subject's key leaves nothing of the subject readable.
func (c *Checker) requireEncrypted(t *events.Type, s *ledger.Signed, _ events.Payload) error {
	paths := t.Personal()
	if len(paths) == 0 {
		return nil
	}
	var root any
	if json.Unmarshal(s.Submission.Payload, &root) != nil {
		return nil
	}
	for _, path := range paths {
		if at := clearAt(root, strings.Split(path, "."), ""); at != "" {
			return &ledger.Problem{Kind: ledger.ErrInvalid, Code: "personal_field_in_clear", Field: pf(at),
				Message:   "a personal field is recorded encrypted under its data subject's key (docs/privacy.md), never in clear",
				MessageZH: "个人信息字段须以数据主体的密钥加密后记录（见 docs/privacy.md），不得明文记录"}
		}
	}
	return nil
}

// clearAt returns the path of the first non-empty clear string at segs below v, or "".
func clearAt(v any, segs []string, at string) string {
	if len(segs) == 0 {
		if s, ok := v.(string); ok && s != "" {
			return strings.TrimPrefix(at, ".")
		}
		return ""
	}
	switch x := v.(type) {
	case map[string]any:
		if segs[0] == "*" {
			return ""
		}
		return clearAt(x[segs[0]], segs[1:], at+"."+segs[0])
	case []any:
		if segs[0] != "*" {
			return ""
		}
		for i, e := range x {
			if p := clearAt(e, segs[1:], fmt.Sprintf("%s.%d", at, i)); p != "" {
				return p
			}
		}
	}
	return ""
}
