// Package acttest runs a real ledger for tests that judge acts by their days: the
// embedded store or PostgreSQL, the event catalogue's checker at the door, and a clock
// the test moves (ledger.Options.Now and the checker's), so that an act can be recorded
// days after the day it claims, as a back-dating insider or a migration would.
//
//	w := acttest.New(t, acttest.Bolt, acttest.Day("2025-11-17"))
//	w.Enrol("aba-data-bureau", true)
//	w.At("2025-12-08")
//	err := w.Act("provider", "share.granted.v1", acttest.Day("2025-11-20"), payload)
package acttest
