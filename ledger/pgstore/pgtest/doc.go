// Package pgtest gives tests a fresh PostgreSQL database of their own.
//
// The server is named by LEDGER_PG_URL (default DefaultURL). When it cannot be reached a
// test is skipped with a message saying so, unless LEDGER_REQUIRE_SERVICES=1, when it
// fails instead: CI sets that, so a missing database can never pass as green.
package pgtest
