package storeurl_test

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/ledger/storeurl"
)

// Every command takes the same --store string; Kind says which backend it names, and
// Redact is what may be logged.
func ExampleKind() {
	for _, spec := range []string{
		"./ledger-data",
		"bolt:/var/lib/ledger/ledger.db",
		"postgres://ledger:s3cret@db.aba.example:5432/ledger",
		"esdb://admin:changeit@a:2111,b:2112,c:2113?tls=true",
	} {
		fmt.Println(storeurl.Kind(spec), storeurl.Redact(spec))
	}
	// Output:
	// datadir ./ledger-data
	// bolt bolt:/var/lib/ledger/ledger.db
	// postgres postgres://ledger:xxxxx@db.aba.example:5432/ledger
	// esdb esdb://admin:xxxxx@a:2111,b:2112,c:2113?tls=true
}
