package events_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
)

// TestArt32Art33Art22CitizensActsOneRule: acts a natural or legal person starts (a
// withdrawal or opening application, a download of open data, a subject or correction
// request, a development application) follow one documented rule: the receiving
// institution signs them with an institution key, naming the party by a pseudonymous id
// in clear (`party`, never encrypted: Art. 42 suspensions are checked against it), and
// whatever is personal about the party is encrypted under {actor}/party/{party}.
func TestArt32Art33Art22CitizensActsOneRule(t *testing.T) {
	started := []string{"opening.withdrawal_requested.v1", "opening.application_submitted.v1", "opening.data_obtained.v1",
		"subject_request.received.v1", "correction.requested.v1", "development.qualification_applied.v1"}
	for _, name := range started {
		ty, ok := events.Lookup(name)
		if !ok {
			t.Fatalf("%s missing", name)
		}
		if ty.Signer != ledger.RoleInstitution || slices.Contains(ty.Who, events.WhoRoot) {
			t.Errorf("%s: signed with a %s key by %v; the receiving institution signs", name, ty.Signer, ty.Who)
		}
		if events.FieldString(ty.Example, "party") == "" {
			t.Errorf("%s: the party is not named in clear", name)
		}
		if slices.Contains(ty.Personal(), "party") {
			t.Errorf("%s: party is encrypted; it must stay in clear for Art. 42", name)
		}
		if ty.Subject != "" && !strings.HasPrefix(ty.Subject, "{actor}/party/") {
			t.Errorf("%s: personal fields under %s, not the party's subject", name, ty.Subject)
		}
	}
	b, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "the institution that\nreceives the act signs it") || !strings.Contains(string(b), "the party is named by a pseudonymous id in clear") {
		t.Error("docs/events.md does not state the rule")
	}
}
