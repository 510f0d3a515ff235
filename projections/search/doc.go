// Package search is the investigation index: the read model that answers an officer's
// question "every act touching resource R / person P / institution I between two days"
// without reading the whole log (GET /v1/events, ledgerctl search).
//
// It guarantees that what it answers is what the log says: it is folded from committed
// entries in order, from a position stored in the same bbolt transaction as the postings,
// so a crash replays nothing twice, and Reset followed by a catch-up from zero gives the
// same file contents as the incremental run. It indexes only what is in clear: the
// envelope (institution, person, type, stream, days) and the resources and officials a
// payload names; an encrypted field is never indexed.
//
// # Basics
//
//	x, _ := search.Open(filepath.Join(dataDir, "search.db"))
//	r := follow.New(x, follow.Options{Store: st})      // catch up, then follow
//	page, _ := x.Search(ctx, search.Query{Resource: "health.appointments", From: d1, To: d2})
//	more, _ := x.Search(ctx, search.Query{Resource: "health.appointments", From: d1, To: d2, Cursor: page.Next})
//
// # Caveats
//
// Results come by the act's day, then by seq: every posting list is kept in that order,
// so a day range is one seek whatever else the query names. A query whose filters select
// little from a long posting list examines at most 20,000 candidates per page and answers
// with a cursor to go on. Role scoping is the
// caller's (Query.Visible): the index holds every entry.
package search
