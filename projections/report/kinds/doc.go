// Package kinds is the one place where report kinds are wired to their projections:
// `ledgerctl report KIND` (and anything else that renders reports) takes its registry
// from Default. A kind whose projection is not built yet can be registered as a
// placeholder (report.Unavailable) so that asking for it says so instead of "unknown".
package kinds
