package accountability_test

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/accountability"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
)

// Who holds a resource after it was shared and the recipient sealed its copy.
func ExampleView() {
	l := &foldtest.Log{}
	v := accountability.New()
	for _, e := range []*ledger.Entry{
		l.Add("2025-03-04", "health", "data.collected.v1", events.DataCollected{Resource: "vaccinations", Records: 100, Purpose: "p", LegalBasis: "l"}),
		l.Add("2025-03-08", "civil", "share.data_obtained.v1", events.ShareDataObtained{Resource: "vaccinations", Records: 20, Channel: domain.ChannelOnline}),
		l.Add("2025-03-12", "civil", "data.sealed.v1", events.DataSealed{Resource: "vaccinations", Records: 20, Location: "vault", Reason: "done"}),
	} {
		v.Apply(e)
	}
	r, _ := v.Resource("vaccinations")
	for _, h := range r.Holdings {
		fmt.Println(h.Institution, h.How, h.State, h.Since.On)
	}
	// Output:
	// health collected holding 2025-03-04
	// civil obtained sealed 2025-03-08
}
