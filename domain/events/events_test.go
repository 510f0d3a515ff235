package events_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compile(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	b, ok := events.Schema(name)
	if !ok {
		t.Fatalf("no schema for %s", name)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	url := events.SchemaBase + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("schema of %s does not compile: %v", name, err)
	}
	return s
}

// TestExamples: every example decodes, validates, fits its schema and names a valid stream.
func TestExamples(t *testing.T) {
	typeRE := regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.v[1-9][0-9]*$`)
	streamRE := regexp.MustCompile(`^[a-z0-9][a-z0-9._:/-]{0,199}$`)
	for _, typ := range events.All() {
		t.Run(typ.Name, func(t *testing.T) {
			if !typeRE.MatchString(typ.Name) {
				t.Errorf("type name %q is not what the ledger accepts", typ.Name)
			}
			verb := strings.Split(typ.Name, ".")[1]
			if !strings.HasSuffix(verb, "ed") && !strings.HasSuffix(verb, "held") && !strings.HasSuffix(verb, "found") && !strings.HasSuffix(verb, "shut_down") {
				t.Errorf("type name %q is not in the past tense", typ.Name)
			}
			if len(typ.Articles) == 0 || typ.ZH == "" || typ.EN == "" || typ.Act == "" {
				t.Error("missing articles or descriptions")
			}
			raw, err := events.Encode(typ.Example)
			if err != nil {
				t.Fatal(err)
			}
			p, err := events.Decode(typ, raw)
			if err != nil {
				t.Fatalf("example does not decode: %v\n%s", err, raw)
			}
			again, _ := events.Encode(p)
			if !bytes.Equal(raw, again) {
				t.Errorf("round trip differs:\n%s\n%s", raw, again)
			}
			var v any
			_ = json.Unmarshal(raw, &v)
			if err := compile(t, typ.Name).Validate(v); err != nil {
				t.Errorf("example does not fit the schema: %v", err)
			}
			s, err := typ.StreamFor("aba-health-commission", p)
			if err != nil || !streamRE.MatchString(s) {
				t.Errorf("stream %q, %v", s, err)
			}
		})
	}
}

// TestSignerRoles: the roles the catalogue names are the ones the ledger's key registry
// lets sign the type.
func TestSignerRoles(t *testing.T) {
	for _, typ := range events.All() {
		want := ledger.RoleInstitution
		switch {
		case strings.HasPrefix(typ.Name, "institution."):
			want = ledger.RoleRoot
		case strings.HasPrefix(typ.Name, "ledger."):
			want = ledger.RoleLedger
		}
		if typ.Signer != want {
			t.Errorf("%s: signer %s, but the ledger lets only %s keys sign it", typ.Name, typ.Signer, want)
		}
	}
}

// TestSchemaAgreesWithDecode: documents the schema refuses, Decode refuses too, naming
// the field.
func TestSchemaAgreesWithDecode(t *testing.T) {
	tests := []struct {
		typ, body, field string
	}{
		{"catalog.entry_registered.v1", `{"resource":"r1","sharing":{"attribute":"sometimes"}}`, "sharing.attribute"},
		{"data.collected.v1", `{"resource":"r1","records":"many","purpose":"x","legal_basis":"y"}`, "records"},
		{"data.collected.v1", `{"resource":"r1","records":1,"purpose":"x","legal_basis":"y","extra":1}`, "extra"},
		{"emergency.data_evaluated.v1", `{"emergency":"e","resource":"r","disposition":"keep"}`, "disposition"},
		{"security.approval_granted.v1", `{"approval":"a","resource":"r","acts":["photocopy"],"approved_by":"p","purpose":"x","valid_until":"2025-01-01"}`, "acts[0]"},
		{"opening.granted.v1", `{"application":"a","party":"p","use_agreement":{"id":"u","sm3":"xyz","extra":1}}`, "use_agreement.extra"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.field, func(t *testing.T) {
			typ, _ := events.Lookup(tt.typ)
			var v any
			_ = json.Unmarshal([]byte(tt.body), &v)
			if compile(t, tt.typ).Validate(v) == nil {
				t.Error("schema accepts it")
			}
			_, err := events.Decode(typ, []byte(tt.body))
			ps := ledger.Problems(err)
			if len(ps) == 0 || ps[0].Field != tt.field {
				t.Errorf("Decode error %v does not name %s first", err, tt.field)
			}
		})
	}
}

// TestDocsCurrent fails when docs/events.md or docs/schemas/ differ from the code: run
// go generate ./domain/events.
func TestDocsCurrent(t *testing.T) {
	dir := filepath.Join("..", "..", "docs")
	for rel, want := range events.DocFiles() {
		got, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./domain/events)", rel, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("docs/%s differs from the catalogue: run go generate ./domain/events", rel)
		}
	}
	old, _ := filepath.Glob(filepath.Join(dir, "schemas", "*.json"))
	if len(old) != len(events.All())+len(events.KeyTypes()) {
		t.Errorf("docs/schemas holds %d files for %d types and %d key registry acts", len(old), len(events.All()), len(events.KeyTypes()))
	}
}

// TestEveryActHasAType maps each act obligations.md lists to the types recording it.
func TestEveryActHasAType(t *testing.T) {
	acts := map[string][]string{
		"collection":                  {"data.collected.v1"},
		"aggregation":                 {"data.aggregated.v1", "data.aggregation_refused.v1"},
		"storage":                     {"data.stored.v1"},
		"processing":                  {"data.processed.v1"},
		"transmission":                {"data.transmitted.v1"},
		"sharing":                     {"share.application_submitted.v1", "share.granted.v1", "share.refused.v1", "share.data_obtained.v1", "share.data_used.v1"},
		"opening":                     {"opening.published.v1", "opening.application_submitted.v1", "opening.granted.v1", "opening.data_obtained.v1"},
		"development":                 {"development.qualification_applied.v1", "development.qualification_granted.v1", "development.data_developed.v1"},
		"copying":                     {"data.copied.v1"},
		"exporting":                   {"data.exported.v1"},
		"desensitisation":             {"data.desensitised.v1"},
		"modification":                {"data.modified.v1"},
		"deletion":                    {"data.deleted.v1"},
		"sealing":                     {"data.sealed.v1", "emergency.data_sealed.v1"},
		"destruction":                 {"data.destroyed.v1", "emergency.data_destroyed.v1"},
		"outsourcing-contract change": {"outsourcing.security_reviewed.v1", "outsourcing.contract_signed.v1", "outsourcing.confidentiality_agreement_signed.v1", "outsourcing.contract_terminated.v1", "outsourcing.provider_deletion_evidenced.v1"},
		"account revocation":          {"outsourcing.accounts_revoked.v1"},
		"backups":                     {"security.backup_completed.v1"},
		"drills":                      {"security.drill_held.v1"},
		"training":                    {"security.training_held.v1"},
		"incidents":                   {"security.incident_reported.v1", "security.incident_remediated.v1"},
		"stress tests":                {"security.stress_tested.v1"},
		"access suspension":           {"access.suspended.v1", "access.restored.v1", "ledger.access_refused.v1"},
		"registry: institutions":      {"institution.registered.v1", "institution.updated.v1"},
		"registry: people":            {"person.registered.v1", "person.responsible_designated.v1", "person.post_assigned.v1", "person.post_ended.v1"},
		"registry: catalog":           {"catalog.entry_registered.v1", "catalog.entry_updated.v1", "catalog.update_triggered.v1", "catalog.update_reported.v1", "catalog.opening_reclassified.v1", "catalog.source_designated.v1"},
		"registry: IT projects":       {"project.catalog_drafted.v1", "project.preliminary_reviewed.v1", "project.approved.v1", "project.accepted.v1"},
		"registry: emergencies":       {"emergency.declared.v1", "emergency.ended.v1", "emergency.data_evaluated.v1", "emergency.application_shut_down.v1"},
		"withdrawal (Art. 33)":        {"opening.withdrawal_requested.v1", "opening.withdrawal_answered.v1", "opening.suspended.v1", "opening.resumed.v1", "opening.risk_found.v1"},
		"corrections (Art. 20)":       {"correction.requested.v1", "correction.forwarded.v1", "correction.extended.v1", "correction.completed.v1"},
		"data subjects (Art. 22)":     {"subject_request.received.v1", "subject_request.answered.v1"},
		"rectification (Art. 41)":     {"rectification.ordered.v1", "rectification.completed.v1", "rectification.escalated.v1"},
		"inconsistency (Art. 26)":     {"data.inconsistency_reported.v1", "data.inconsistency_resolved.v1"},
		"supervision (Art. 37(5))":    {"security.approval_granted.v1"},
	}
	for act, types := range acts {
		for _, n := range types {
			if _, ok := events.Lookup(n); !ok {
				t.Errorf("%s: no type %s", act, n)
			}
		}
	}
}

// TestPolicyNamesKnownTypes: every trigger and completion the policy names is a type.
func TestPolicyNamesKnownTypes(t *testing.T) {
	v, err := policy.At(calendar.MustParse("2025-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range policy.DeadlineIDs {
		d := v.Deadline(id)
		for _, n := range append(append([]string{}, d.Trigger...), d.Completion...) {
			if _, ok := events.Lookup(n); !ok {
				t.Errorf("%s names %s, which is not in the catalogue", id, n)
			}
		}
	}
}
