package privacy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/internal/strictjson"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/gowebpki/jcs"
)

// Algorithm is the value of "enc" in an encrypted field.
const Algorithm = "sm4-gcm/v1"

// Envelope is an encrypted field as it stands in a payload, in place of the value:
//
//	{"enc":"sm4-gcm/v1","subject":"person/7f3a","kid":"<16 hex>","nonce":"<base64>","ct":"<base64>"}
//
// ct is SM4-GCM ciphertext and tag (RFC 8998) of the RFC 8785 canonical JSON of the
// original value, under the subject's data key kid, with a random 12-byte nonce and the
// additional data AAD(event id, field path, subject, kid). Base64 is standard with padding.
type Envelope struct {
	Enc     string `json:"enc"`
	Subject string `json:"subject"`
	KID     string `json:"kid"`
	Nonce   []byte `json:"nonce"`
	CT      []byte `json:"ct"`
}

// AAD is the additional authenticated data of a field: the algorithm, event id, field
// path, subject and key id, separated by NUL bytes. A ciphertext copied to another event
// or field, or relabelled with another subject, fails to decrypt.
func AAD(eventID, path, subject, kid string) []byte {
	return []byte(Algorithm + "\x00" + eventID + "\x00" + path + "\x00" + subject + "\x00" + kid)
}

// Field asks for one payload field to be encrypted under a subject's key. Path is a dot
// path of object keys ("party", "evidence.id"); "*" stands for every element of an array
// ("items.*.name"), and each element's concrete path ("items.0.name") is what the AAD binds.
type Field struct {
	Path    string
	Subject string
}

// ParseFields reads a command-line list "a.b,c=person/7f3a": each path, optionally with
// its own subject after "="; paths without one take defaultSubject.
func ParseFields(list, defaultSubject string) ([]Field, error) {
	var out []Field
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		path, subject, ok := strings.Cut(item, "=")
		if !ok {
			subject = defaultSubject
		}
		if subject == "" {
			return nil, fmt.Errorf("field %s has no subject (give --subject or %s=SUBJECT)", path, path)
		}
		if err := ValidSubject(subject); err != nil {
			return nil, err
		}
		if err := validPattern(path); err != nil {
			return nil, err
		}
		out = append(out, Field{Path: path, Subject: subject})
	}
	if len(out) == 0 {
		return nil, errors.New("no fields to encrypt")
	}
	return out, nil
}

func validPattern(path string) error {
	if path == "" {
		return errors.New("empty field path")
	}
	for seg := range strings.SplitSeq(path, ".") {
		if seg == "" {
			return fmt.Errorf("field path %q has an empty segment", path)
		}
	}
	return nil
}

// decodeTree decodes JSON keeping numbers exact.
func decodeTree(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the payload")
	}
	return v, nil
}

// EncryptPayload returns payload with each of fields replaced by its Envelope. eventID
// must be the id the submission will carry (the AAD binds it). Every named field must
// exist (a "*" over an empty array matches nothing, which is not an error) and must not
// already be encrypted. The result is canonical JSON (RFC 8785).
func EncryptPayload(ctx context.Context, ks KeyStore, eventID string, payload json.RawMessage, fields []Field) (json.RawMessage, error) {
	root, err := decodeTree(payload)
	if err != nil {
		return nil, fmt.Errorf("the payload is not JSON: %w", err)
	}
	if _, ok := root.(map[string]any); !ok {
		return nil, errors.New("the payload must be a JSON object")
	}
	keys := map[string]DataKey{} // one key store lookup per subject, not per field
	for _, f := range fields {
		if err := ValidSubject(f.Subject); err != nil {
			return nil, err
		}
		if err := validPattern(f.Path); err != nil {
			return nil, err
		}
		dk, ok := keys[f.Subject]
		if !ok {
			var err error
			if dk, err = ks.GetOrCreate(ctx, f.Subject); err != nil {
				return nil, fmt.Errorf("the data key of %s: %w", f.Subject, err)
			}
			keys[f.Subject] = dk
		}
		root, err = rewrite(root, strings.Split(f.Path, "."), "", f.Path, func(path string, v any) (any, error) {
			if isEnvelope(v) {
				return nil, fmt.Errorf("field %s is already encrypted", path)
			}
			return seal(dk, eventID, path, v)
		})
		if err != nil {
			return nil, err
		}
	}
	return canonical(root)
}

func canonical(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(b)
}

func seal(dk DataKey, eventID, path string, v any) (map[string]any, error) {
	plain, err := canonical(v)
	if err != nil {
		return nil, err
	}
	g, err := crypto.NewSM4GCM(dk.Key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	ct := g.Seal(nil, nonce, plain, AAD(eventID, path, dk.Subject, dk.ID))
	return map[string]any{
		"enc": Algorithm, "subject": dk.Subject, "kid": dk.ID,
		"nonce": base64.StdEncoding.EncodeToString(nonce), "ct": base64.StdEncoding.EncodeToString(ct),
	}, nil
}

// rewrite replaces the values at segs under v with fn's result. pattern is for errors.
func rewrite(v any, segs []string, at, pattern string, fn func(path string, v any) (any, error)) (any, error) {
	if len(segs) == 0 {
		return fn(at, v)
	}
	join := func(k string) string {
		if at == "" {
			return k
		}
		return at + "." + k
	}
	seg := segs[0]
	switch x := v.(type) {
	case map[string]any:
		if seg == "*" {
			return nil, fmt.Errorf("field %s: %q is an object, not an array", pattern, at)
		}
		child, ok := x[seg]
		if !ok {
			return nil, fmt.Errorf("field %s is not in the payload", join(seg))
		}
		nv, err := rewrite(child, segs[1:], join(seg), pattern, fn)
		if err != nil {
			return nil, err
		}
		x[seg] = nv
		return x, nil
	case []any:
		if seg != "*" {
			return nil, fmt.Errorf("field %s: %q is an array; use * for its elements", pattern, at)
		}
		for i := range x {
			nv, err := rewrite(x[i], segs[1:], join(strconv.Itoa(i)), pattern, fn)
			if err != nil {
				return nil, err
			}
			x[i] = nv
		}
		return x, nil
	}
	return nil, fmt.Errorf("field %s is not in the payload (%q is not an object)", pattern, at)
}

func isEnvelope(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m["enc"]
	return ok
}

// Field statuses reported by DecryptPayload.
const (
	StatusDecrypted = "decrypted"
	StatusDestroyed = "destroyed" // the subject's key was shredded; DestroyedBy says by what
	StatusNoKey     = "no_key"    // this key store has no such key
	StatusCorrupt   = "corrupt"   // the envelope is malformed or the ciphertext fails its tag
	StatusWithheld  = "withheld"  // the reader's role does not see protected fields in clear
)

// FieldStatus says what happened to one encrypted field.
type FieldStatus struct {
	Path        string       `json:"path"`
	Subject     string       `json:"subject"`
	KID         string       `json:"kid"`
	Status      string       `json:"status"`
	DestroyedBy *Destruction `json:"destroyed_by,omitempty"`
	Error       string       `json:"error,omitempty"`
	ErrorZH     string       `json:"error_zh,omitempty"`
}

// Envelopes lists the encrypted fields of a payload, in path order, without decrypting.
func Envelopes(payload json.RawMessage) ([]FieldStatus, error) {
	root, err := decodeTree(payload)
	if err != nil {
		return nil, err
	}
	var out []FieldStatus
	walk(root, "", func(path string, m map[string]any) {
		fs := FieldStatus{Path: path, Status: StatusWithheld}
		fs.Subject, _ = m["subject"].(string)
		fs.KID, _ = m["kid"].(string)
		out = append(out, fs)
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// walk calls fn for every envelope in v.
func walk(v any, at string, fn func(path string, m map[string]any)) {
	join := func(k string) string {
		if at == "" {
			return k
		}
		return at + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["enc"]; ok && at != "" {
			fn(at, x)
			return
		}
		for k, c := range x {
			walk(c, join(k), fn)
		}
	case []any:
		for i, c := range x {
			walk(c, join(strconv.Itoa(i)), fn)
		}
	}
}

// parseEnvelope checks an envelope's shape strictly.
func parseEnvelope(m map[string]any) (*Envelope, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var e Envelope
	if err := strictjson.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("not an encrypted field: %v", err)
	}
	if e.Enc != Algorithm {
		return nil, fmt.Errorf("unknown encryption %q (want %s)", e.Enc, Algorithm)
	}
	if ValidSubject(e.Subject) != nil || !kidRE.MatchString(e.KID) || len(e.Nonce) != 12 || len(e.CT) < 16 {
		return nil, errors.New("malformed encrypted field")
	}
	return &e, nil
}

// DecryptField opens one envelope found at path in event eventID. A destroyed key gives
// a *ShreddedError naming the field and the destruction event.
func DecryptField(ctx context.Context, ks KeyStore, eventID, path string, e *Envelope) (json.RawMessage, error) {
	return decryptField(ctx, ks, eventID, path, e, nil)
}

type keyResult struct {
	dk  DataKey
	err error
}

func decryptField(ctx context.Context, ks KeyStore, eventID, path string, e *Envelope, cache map[[2]string]keyResult) (json.RawMessage, error) {
	ck := [2]string{e.Subject, e.KID}
	kr, ok := cache[ck]
	if !ok {
		kr.dk, kr.err = ks.Get(ctx, e.Subject, e.KID)
		if cache != nil {
			cache[ck] = kr
		}
	}
	dk, err := kr.dk, kr.err
	if err != nil {
		if se, ok := errors.AsType[*ShreddedError](err); ok {
			return nil, &ShreddedError{Subject: se.Subject, By: se.By, EventID: eventID, Field: path}
		}
		return nil, fmt.Errorf("field %s of event %s: %w", path, eventID, err)
	}
	g, err := crypto.NewSM4GCM(dk.Key)
	if err != nil {
		return nil, err
	}
	plain, err := g.Open(nil, e.Nonce, e.CT, AAD(eventID, path, e.Subject, e.KID))
	if err != nil {
		return nil, fmt.Errorf("field %s of event %s: %w", path, eventID, ErrTampered)
	}
	return plain, nil
}

// DecryptPayload returns payload with every encrypted field it can open replaced by its
// value, and the status of each encrypted field. Fields that cannot be opened (destroyed,
// no key, corrupt) stay as envelopes; that is a status, not an error. The error is for a
// payload that is not JSON or a key store that fails.
func DecryptPayload(ctx context.Context, ks KeyStore, eventID string, payload json.RawMessage) (json.RawMessage, []FieldStatus, error) {
	root, err := decodeTree(payload)
	if err != nil {
		return nil, nil, fmt.Errorf("the payload is not JSON: %w", err)
	}
	type found struct {
		path string
		m    map[string]any
	}
	var all []found
	walk(root, "", func(path string, m map[string]any) { all = append(all, found{path, m}) })
	sort.Slice(all, func(i, j int) bool { return all[i].path < all[j].path })
	var statuses []FieldStatus
	opened := map[string]json.RawMessage{}
	cache := map[[2]string]keyResult{}
	for _, f := range all {
		fs := FieldStatus{Path: f.path}
		fs.Subject, _ = f.m["subject"].(string)
		fs.KID, _ = f.m["kid"].(string)
		e, err := parseEnvelope(f.m)
		if err != nil {
			fs.Status, fs.Error, fs.ErrorZH = StatusCorrupt, err.Error(), "加密字段格式错误"
			statuses = append(statuses, fs)
			continue
		}
		plain, err := decryptField(ctx, ks, eventID, f.path, e, cache)
		switch se, isShred := errors.AsType[*ShreddedError](err); {
		case err == nil:
			fs.Status = StatusDecrypted
			opened[f.path] = plain
		case isShred:
			by := se.By
			fs.Status, fs.DestroyedBy, fs.Error, fs.ErrorZH = StatusDestroyed, &by, se.Error(), se.MessageZH()
		case errors.Is(err, ErrNoKey):
			fs.Status, fs.Error, fs.ErrorZH = StatusNoKey, err.Error(), "密钥库中没有该字段的数据密钥"
		case errors.Is(err, ErrTampered):
			fs.Status, fs.Error, fs.ErrorZH = StatusCorrupt, err.Error(), "密文、事件 id 或字段路径被改动，无法解密"
		default:
			return nil, nil, err
		}
		statuses = append(statuses, fs)
	}
	if len(opened) > 0 {
		root, err = replaceOpened(root, "", opened)
		if err != nil {
			return nil, nil, err
		}
	}
	out, err := canonical(root)
	return out, statuses, err
}

func replaceOpened(v any, at string, opened map[string]json.RawMessage) (any, error) {
	if at != "" {
		if p, ok := opened[at]; ok {
			return p, nil
		}
	}
	join := func(k string) string {
		if at == "" {
			return k
		}
		return at + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			nv, err := replaceOpened(c, join(k), opened)
			if err != nil {
				return nil, err
			}
			x[k] = nv
		}
	case []any:
		for i, c := range x {
			nv, err := replaceOpened(c, join(strconv.Itoa(i)), opened)
			if err != nil {
				return nil, err
			}
			x[i] = nv
		}
	}
	return v, nil
}

// MalformedError is an object that claims to be an encrypted field ("enc") but is not a
// well-formed Envelope.
type MalformedError struct {
	Path string
	Err  error
}

func (e *MalformedError) Error() string { return fmt.Sprintf("field %s: %v", e.Path, e.Err) }

// Unwrap returns the reason.
func (e *MalformedError) Unwrap() error { return e.Err }

// ReplaceEnvelopes returns payload with every encrypted field replaced by what fn returns
// for it (path as in FieldStatus); a malformed envelope is a *MalformedError. Validators use it to check a payload's shape with a
// placeholder where a protected value stands encrypted; fn refuses a field by returning an
// error, which is returned as is. A payload without envelopes is returned unchanged.
func ReplaceEnvelopes(payload json.RawMessage, fn func(path, subject, kid string) (any, error)) (json.RawMessage, error) {
	if !bytes.Contains(payload, []byte(`"enc"`)) {
		return payload, nil
	}
	root, err := decodeTree(payload)
	if err != nil {
		return nil, err
	}
	var all []string
	envs := map[string]map[string]any{}
	walk(root, "", func(path string, m map[string]any) { all = append(all, path); envs[path] = m })
	if len(all) == 0 {
		return payload, nil
	}
	sort.Strings(all)
	repl := map[string]json.RawMessage{}
	for _, p := range all {
		e, err := parseEnvelope(envs[p])
		if err != nil {
			return nil, &MalformedError{Path: p, Err: err}
		}
		v, err := fn(p, e.Subject, e.KID)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		repl[p] = b
	}
	root, err = replaceOpened(root, "", repl)
	if err != nil {
		return nil, err
	}
	return canonical(root)
}
