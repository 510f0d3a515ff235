package api

import (
	"net/http"
	"strconv"
)

// VerifyReasons are every reason ledger_verify_failures_total can carry: the
// ChainError reasons the ledger reports while running and checkpoint_conflict (a
// witness presented a ledger-signed checkpoint that disagrees with the published one).
// Each is exported at 0 from the start, so that a panel "failures by reason" shows the
// reasons rather than "No data", and increase() counts the first failure of a reason.
var VerifyReasons = []string{
	"rewritten", "truncated", "checkpoint_mismatch", "bad_prev_hash", "bad_entry_hash",
	"malformed_entry", "missing_entry", "bad_genesis", "unauthorised", "bad_signature",
	"bad_registry_act", "checkpoint_conflict",
}

// SignatureRefusalCodes are the refusal codes of a submission whose signature or key
// does not verify: what an operator looks at when an institution's client or key is
// misconfigured, and what an attacker's forgeries produce.
var SignatureRefusalCodes = []string{
	"bad_signature", "bad_signature_encoding", "unknown_key", "key_not_bound", "key_revoked", "key_id_mismatch",
}

// RefusalCodes are the refusal codes ledger_appends_total{outcome="refused"} is
// exported with at 0 before the first refusal: the signature codes, the suspended
// party's (Art. 42), the authorisation and shape codes dashboards single out. Other
// codes appear when first used.
var RefusalCodes = append(append([]string(nil), SignatureRefusalCodes...),
	"access_suspended", "type_not_allowed", "unauthenticated", "bad_credentials", "rate_limited",
	"malformed_json", "bad_payload", "missing_field", "unknown_type", "bad_stream",
	"future_time", "id_conflict", "wrong_expected_version", "request_too_large", "payload_too_large",
	"personal_field_in_clear",
)

// failureCodes are the codes a submission answered 5xx carries.
var failureCodes = []string{"internal", "unavailable", "timeout"}

// initZero creates the series of closed label sets at 0: a counter that first appears
// at 1 hides its first increment from increase() and rate(), and a ratio whose
// numerator has no series is "No data" instead of 0.
func (m *Metrics) initZero() {
	for _, r := range VerifyReasons {
		m.verify.WithLabelValues(r)
	}
	m.appends.WithLabelValues(OutcomeCreated, "ok")
	m.appends.WithLabelValues(OutcomeDuplicate, "ok")
	for _, c := range RefusalCodes {
		m.appends.WithLabelValues(OutcomeRefused, c)
	}
	for _, c := range failureCodes {
		m.appends.WithLabelValues(OutcomeFailed, c)
	}
	for _, o := range []string{OutcomeCreated, OutcomeDuplicate, OutcomeRefused, OutcomeFailed} {
		m.latency.WithLabelValues(o)
	}
}

// zeroStatuses are the statuses every route's request counter starts with at 0: the
// refusals of access control (401, 403, 429) and the server's failures (500, 503), the
// codes the security and operations dashboards and the 5xx alert divide by.
var zeroStatuses = []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests,
	http.StatusInternalServerError, http.StatusServiceUnavailable}

// initRoute exports a route's request counter at 0 for its methods and zeroStatuses.
func (m *Metrics) initRoute(route string, methods []string) {
	if m == nil {
		return
	}
	for _, meth := range methods {
		for _, code := range zeroStatuses {
			m.requests.WithLabelValues(route, methodLabel(meth), strconv.Itoa(code))
		}
	}
}
