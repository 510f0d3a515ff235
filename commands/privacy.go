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
// placeholder identifier "encrypted.<kid>" (valid as an identifier and as text).
func maskEncrypted(t *events.Type, raw json.RawMessage) (json.RawMessage, error) {
	allowed := sensitivePaths(t)
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
