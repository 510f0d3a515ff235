package registry_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/registry"
)

// streamRulesTable is the block docs/access.md carries between its stream-rules markers.
func streamRulesTable() string {
	var b strings.Builder
	b.WriteString("| stream | held by | 持有者 |\n|---|---|---|\n")
	for _, r := range registry.StreamRules() {
		b.WriteString("| `" + strings.ReplaceAll(r.Stream, ", ", "`, `") + "` | " + r.Holds + " | " + r.ZH + " |\n")
	}
	return b.String()
}

// TestAccessDocStatesTheStreamRule: docs/access.md states the stream-ownership rule once,
// as the code has it. Run with -update to rewrite the block.
func TestAccessDocStatesTheStreamRule(t *testing.T) {
	const path = "../../docs/access.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	const start, end = "<!-- stream-rules: generated from domain/registry.StreamRules; a test fails when this differs -->\n", "<!-- /stream-rules -->"
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatal("docs/access.md lacks the stream-rules markers")
	}
	want := streamRulesTable()
	if got := doc[i+len(start) : j]; got != want {
		if os.Getenv("UPDATE_DOCS") != "" {
			if err := os.WriteFile(path, []byte(doc[:i+len(start)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("docs/access.md's stream rules differ from registry.StreamRules; run UPDATE_DOCS=1 go test ./domain/registry\n%s", want)
	}
}
