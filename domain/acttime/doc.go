// Package acttime decides on which day an act counts. occurred_at is the actor's claim;
// recorded_at is the ledger's seal. An act recorded within the policy's grace
// (late_record_grace_workdays, default 1 working day) after the day it claims counts on
// that day; one recorded later is a late record and counts on its recording day less the
// grace, so that back-dating can never turn a missed deadline into a met one nor remove
// a finding. Acts an authority declared as a migration of historical records
// (migration.declared.v1: these institutions, claiming days in this period, recorded in
// this window) count on the day they claim and are shown as migrated.
//
// Of is the one function every fold, the registry and the door use:
//
//	t := acttime.Of(occurredAt, recordedAt, institution, policySet, calendar.Default(), migrations)
//	t.Effective // the day deadlines and findings judge the act on
//	t.Late, t.Migrated, t.Claimed, t.Recorded
package acttime
