// Package bustest gives tests the real NATS JetStream server, or skips them (fails them
// when LEDGER_REQUIRE_SERVICES=1) if it cannot be reached.
package bustest
