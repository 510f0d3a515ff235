package ledger

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/internal/strictjson"
	"github.com/gowebpki/jcs"
)

// Actor names who did the act: the institution, the person, and the key that signed.
type Actor struct {
	Institution string `json:"institution"`
	Person      string `json:"person"`
	KeyID       string `json:"key_id"`
}

// Submission is the actor's half of the record: what was done, to which stream, by whom.
// Its canonical (RFC 8785) encoding is what the actor signs and what the ledger stores.
type Submission struct {
	ID              string          `json:"id"`
	Stream          string          `json:"stream"`
	Type            string          `json:"type"`
	OccurredAt      string          `json:"occurred_at"`
	Actor           Actor           `json:"actor"`
	Payload         json.RawMessage `json:"payload"`
	ExpectedVersion *uint64         `json:"expected_version,omitempty"`
}

// Time parses OccurredAt; valid submissions always parse.
func (s *Submission) Time() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s.OccurredAt)
	return t
}

// Signed is a submission with the exact bytes its actor signed and the signature.
type Signed struct {
	Submission Submission
	Canonical  []byte // RFC 8785 encoding of the submission: the signed, stored bytes
	Signature  []byte // DER SM2 signature over Canonical, default user ID
}

// Request is the body of POST /v1/events.
type Request struct {
	Submission json.RawMessage `json:"submission"`
	Signature  string          `json:"signature"` // standard base64 of the DER signature
}

// Limits bound what one submission may carry; they are checked before any work is done.
type Limits struct {
	MaxRequestBytes int // whole request body
	MaxPayloadBytes int // canonical payload
}

// DefaultLimits suit event payloads (registry acts and data-handling records are a few
// KiB); bulk data never enters the ledger, only its description.
var DefaultLimits = Limits{MaxRequestBytes: 256 << 10, MaxPayloadBytes: 64 << 10}

// maxSafeInteger is 2^53: integers beyond it do not survive RFC 8785's IEEE 754 numbers.
const maxSafeInteger = 1 << 53

// DecodeRequest reads a POST /v1/events body strictly: unknown fields, duplicate keys,
// trailing data, wrong types and missing fields are refused with a *Problem naming the
// field. It does not check the signature (that needs the key registry).
func DecodeRequest(body []byte, lim Limits) (*Signed, error) {
	if lim.MaxRequestBytes > 0 && len(body) > lim.MaxRequestBytes {
		return nil, &Problem{Kind: ErrTooLarge, Code: "request_too_large",
			Message:   fmt.Sprintf("request body is %d bytes; the limit is %d", len(body), lim.MaxRequestBytes),
			MessageZH: fmt.Sprintf("请求体为 %d 字节，超过上限 %d 字节", len(body), lim.MaxRequestBytes)}
	}
	// The body clients send, {"submission":<object>,"signature":"<base64>"}, is split
	// without a tokenizer; whatever that path refuses is decoded again the general way,
	// so that every refusal names its fault exactly as before.
	if sub, sigText, ok := splitRequest(body); ok {
		if s, err := decodeRequest(sub, sigText, lim); err == nil {
			return s, nil
		}
	}
	var req Request
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	return decodeRequest(req.Submission, req.Signature, lim)
}

// splitRequest finds the members of a body laid out exactly as
// {"submission":<S>,"signature":"<base64>"} (trailing whitespace allowed), with S valid
// JSON: the general decoder would read the same two values from it.
func splitRequest(body []byte) (sub []byte, sig string, ok bool) {
	const pre, mid = `{"submission":`, `,"signature":"`
	b := bytes.TrimRight(body, " \t\r\n")
	if !bytes.HasPrefix(b, []byte(pre)) || !bytes.HasSuffix(b, []byte(`"}`)) {
		return nil, "", false
	}
	end := len(b) - 2
	q := bytes.LastIndexByte(b[:end], '"')
	if q < len(pre) || !isBase64(b[q+1:end]) || !bytes.HasSuffix(b[:q+1], []byte(mid)) {
		return nil, "", false
	}
	sub = b[len(pre) : q+1-len(mid)]
	if !json.Valid(sub) {
		return nil, "", false
	}
	return bytes.TrimSpace(sub), string(b[q+1 : end]), true
}

// decodeRequest checks the two members of a request and decodes the submission.
func decodeRequest(rawSub []byte, sigText string, lim Limits) (*Signed, error) {
	req := Request{Submission: rawSub, Signature: sigText}
	if len(req.Submission) == 0 || string(req.Submission) == "null" {
		return nil, missing("submission")
	}
	if req.Signature == "" {
		return nil, missing("signature")
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(req.Signature)
	if err != nil {
		return nil, invalid("bad_signature_encoding", "signature",
			"signature must be standard base64 of a DER SM2 signature",
			"签名必须是 DER 编码 SM2 签名的标准 base64")
	}
	return DecodeSigned(req.Submission, sig, lim)
}

// DecodeSigned is DecodeRequest for a submission and its signature already apart, as
// the relay between a deployment's front-ends carries them: the same checks of both,
// without the request's JSON around them. The Signed keeps sig.
func DecodeSigned(rawSub, sig []byte, lim Limits) (*Signed, error) {
	if len(sig) < 8 || len(sig) > 80 || sig[0] != 0x30 {
		return nil, invalid("bad_signature_encoding", "signature",
			"signature is not a DER SM2 signature (SEQUENCE of two INTEGERs)",
			"签名不是 DER 编码的 SM2 签名")
	}
	s, err := DecodeSubmission(rawSub, lim)
	if err != nil {
		return nil, err
	}
	s.Signature = sig
	return s, nil
}

// DecodeSubmission decodes and validates one submission and computes its canonical bytes.
// Canonicalising first rejects malformed JSON and duplicate keys at every depth in one
// pass; the strict decode then reads the canonical bytes, so the fields a command sees are
// exactly the signed ones.
func DecodeSubmission(raw []byte, lim Limits) (*Signed, error) {
	if hasLongDigitRun(raw) {
		if err := checkNumbers(raw); err != nil {
			return nil, err
		}
	}
	// Clients that sign canonical bytes send them as they are (ours do): checking that
	// costs a fraction of re-encoding them.
	var canon []byte
	var err error
	if isCanonicalJSON(raw) {
		canon = bytes.Clone(raw)
	} else {
		canon, err = jcs.Transform(raw)
	}
	if err != nil {
		code, en, zh := "malformed_json", "submission is not valid JSON: "+err.Error(), "提交内容不是合法的 JSON："+err.Error()
		if strings.Contains(err.Error(), "Duplicate key") {
			code, en, zh = "duplicate_key", "an object key appears twice: "+err.Error(), "JSON 对象含重复的键："+err.Error()
		}
		return nil, invalid(code, "submission", en, zh)
	}
	// Canonical bytes with every envelope member present and plain are read by the
	// sealed-layout scanner; anything else by the strict decoder, which names the fault.
	var sub Submission
	if !parseSealedSubmission(canon, &sub) {
		sub = Submission{}
		if err := strictUnmarshal(canon, &sub, "submission."); err != nil {
			return nil, err
		}
	}
	if err := sub.Validate(); err != nil {
		return nil, err
	}
	if lim.MaxPayloadBytes > 0 && len(sub.Payload) > lim.MaxPayloadBytes {
		return nil, &Problem{Kind: ErrTooLarge, Code: "payload_too_large", Field: "submission.payload",
			Message:   fmt.Sprintf("payload is %d bytes; the limit is %d", len(sub.Payload), lim.MaxPayloadBytes),
			MessageZH: fmt.Sprintf("载荷为 %d 字节，超过上限 %d 字节", len(sub.Payload), lim.MaxPayloadBytes)}
	}
	return &Signed{Submission: sub, Canonical: canon}, nil
}

// Validate checks the envelope rules every submission obeys, whatever its type. Domain
// rules per type live in the commands package.
func (s *Submission) Validate() error {
	var errs []error
	if s.ID == "" {
		errs = append(errs, missing("submission.id"))
	} else if !isUUIDv7(s.ID) {
		errs = append(errs, invalid("bad_id", "submission.id",
			"id must be a lowercase hyphenated UUIDv7", "id 必须是小写、带连字符的 UUIDv7"))
	}
	if s.Stream == "" {
		errs = append(errs, missing("submission.stream"))
	} else if !isStream(s.Stream) {
		errs = append(errs, invalid("bad_stream", "submission.stream",
			"stream must match [a-z0-9][a-z0-9._:/-]{0,199}", "stream 必须匹配 [a-z0-9][a-z0-9._:/-]{0,199}"))
	}
	if s.Type == "" {
		errs = append(errs, missing("submission.type"))
	} else if !isType(s.Type) {
		errs = append(errs, invalid("bad_type", "submission.type",
			"type must be dotted lowercase words ending in a version, e.g. data.collected.v1",
			"type 必须是以版本结尾的小写点分名称，如 data.collected.v1"))
	}
	if s.OccurredAt == "" {
		errs = append(errs, missing("submission.occurred_at"))
	} else if _, err := time.Parse(time.RFC3339Nano, s.OccurredAt); err != nil {
		errs = append(errs, invalid("bad_time", "submission.occurred_at",
			"occurred_at must be an RFC 3339 timestamp", "occurred_at 必须是 RFC 3339 时间"))
	}
	errs = append(errs, validName(s.Actor.Institution, "submission.actor.institution"),
		validName(s.Actor.Person, "submission.actor.person"))
	if s.Actor.KeyID == "" {
		errs = append(errs, missing("submission.actor.key_id"))
	} else if !isKeyID(s.Actor.KeyID) {
		errs = append(errs, invalid("bad_key_id", "submission.actor.key_id",
			"key_id must be 32 lowercase hex digits", "key_id 必须是 32 位小写十六进制"))
	}
	if len(s.Payload) == 0 || bytes.Equal(s.Payload, []byte("null")) {
		errs = append(errs, missing("submission.payload"))
	} else if s.Payload[0] != '{' {
		errs = append(errs, invalid("bad_payload", "submission.payload",
			"payload must be a JSON object", "payload 必须是 JSON 对象"))
	}
	return firstProblem(errs)
}

func validName(v, field string) error {
	if v == "" {
		return missing(field)
	}
	if !isName(v) {
		return invalid("bad_name", field, "must be 1–128 characters of [A-Za-z0-9._:@-], starting with a letter or digit",
			"必须为 1–128 个 [A-Za-z0-9._:@-] 字符，以字母或数字开头")
	}
	return nil
}

func missing(field string) *Problem {
	return invalid("missing_field", field, "required field is missing", "缺少必填字段")
}

// firstProblem returns the first non-nil error: one clear message beats a wall of them,
// and the order of checks above follows the order of the fields.
func firstProblem(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// strictUnmarshal decodes one JSON value into v with the project's one strict decoder
// (internal/strictjson: exact, case-sensitive member names, no duplicates, no trailing
// data, the right JSON types) and names the offending field in the Problem.
func strictUnmarshal(b []byte, v any, prefix string) error {
	if err := strictjson.Unmarshal(b, v); err != nil {
		return decodeProblem(err, prefix)
	}
	return nil
}

// decodeProblem turns a decoding error into a Problem at prefix+path.
func decodeProblem(err error, prefix string) *Problem {
	var se *strictjson.Error
	if !errors.As(err, &se) {
		return invalid("malformed_json", strings.TrimSuffix(prefix, "."), "malformed JSON: "+err.Error(), "JSON 格式错误："+err.Error())
	}
	field := strings.TrimSuffix(prefix+se.Path, ".")
	switch se.Code {
	case "unknown_field":
		return invalid("unknown_field", field, se.Detail, "未知字段（字段名区分大小写）")
	case "duplicate_key":
		return invalid("duplicate_key", field, "an object key appears twice", "JSON 对象含重复的键")
	case "wrong_type":
		return invalid("wrong_type", field, "wrong JSON type: "+se.Detail, "JSON 类型错误："+se.Detail)
	case "trailing_data":
		return invalid("malformed_json", field, "trailing data after the JSON value", "JSON 值之后有多余数据")
	}
	return invalid("malformed_json", field, "malformed JSON: "+se.Detail, "JSON 格式错误："+se.Detail)
}

// decodeBody reads the outer {"submission","signature"} object strictly; the submission
// stays raw bytes for canonicalisation.
func decodeBody(b []byte, req *Request) error {
	if len(bytes.TrimSpace(b)) == 0 || bytes.TrimSpace(b)[0] != '{' {
		return invalid("malformed_json", "", "body must be a JSON object", "请求体必须是 JSON 对象")
	}
	return strictUnmarshal(b, req, "")
}

// hasLongDigitRun reports whether b holds 16 or more consecutive digits, the only way to
// write an integer beyond 2^53; it keeps the exact number check off the common path.
func hasLongDigitRun(b []byte) bool {
	run := 0
	for _, c := range b {
		if '0' <= c && c <= '9' {
			run++
			if run >= 16 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// checkNumbers refuses integers that IEEE 754 doubles cannot hold exactly: RFC 8785 would
// silently round them, and the signed value would differ from the one sent.
func checkNumbers(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return invalid("malformed_json", "submission", "submission is not valid JSON: "+err.Error(), "提交内容不是合法的 JSON")
		}
		n, ok := tok.(json.Number)
		if !ok {
			continue
		}
		if i, err := n.Int64(); err == nil {
			if i > maxSafeInteger || i < -maxSafeInteger {
				return unsafeNumber(n)
			}
			continue
		}
		if !strings.ContainsAny(string(n), ".eE") {
			return unsafeNumber(n) // an integer too large even for int64
		}
		if _, err := n.Float64(); err != nil {
			return unsafeNumber(n)
		}
	}
}

func unsafeNumber(n json.Number) *Problem {
	return invalid("unsafe_number", "submission",
		fmt.Sprintf("number %s cannot be represented exactly in RFC 8785 JSON; send it as a string", n),
		fmt.Sprintf("数值 %s 无法在 RFC 8785 JSON 中精确表示，请以字符串发送", n))
}
