package grafana_test

import (
	"encoding/json"
	"fmt"

	"github.com/aba-prefecture/dataledger/deploy/grafana"
)

// The generator writes these files; each is a dashboard Grafana provisions as is.
func ExampleFiles() {
	files, err := grafana.Files()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		var d struct{ UID, Title string }
		if err := json.Unmarshal(f.JSON, &d); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(f.Name, d.UID, d.Title)
	}
	// Output:
	// ledger-operations.json ledger-operations 账本运行 / Ledger operations
	// ledger-integrity.json ledger-integrity 完整性 / Integrity
	// ledger-compliance.json ledger-compliance 合规监测 / Compliance
	// ledger-security.json ledger-security 安全 / Security
	// ledger-emergencies.json ledger-emergencies 突发事件 / Emergencies
}
