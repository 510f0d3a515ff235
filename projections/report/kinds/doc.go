// Package kinds is the one place where report kinds are wired to their projections:
// `ledgerctl report KIND` (and anything else that renders reports) takes its registry
// from Default. Kinds whose projection is not built yet are registered as placeholders
// (report.Unavailable) so that asking for them says so instead of "unknown".
package kinds
