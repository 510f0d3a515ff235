package events

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/domain"
)

// EmergencyDeclared opens an emergency under which data may be collected urgently and
// outside the catalog (Art. 17 para 3, Art. 21).
type EmergencyDeclared struct {
	Emergency  string               `json:"emergency"`
	Kind       domain.EmergencyKind `json:"kind"`
	Title      string               `json:"title"`
	LegalBasis string               `json:"legal_basis"`
}

// Validate implements Payload.
func (x *EmergencyDeclared) Validate(p *domain.Problems) {
	p.ID("emergency", x.Emergency, art(21))
	domain.RequireEnum(p, "kind", x.Kind)
	p.Text("title", x.Title, art(21))
	p.Text("legal_basis", x.LegalBasis, art(21))
}

// EmergencyEnded closes the response; the evaluation and sealing or destruction deadline
// (D8) runs from EndedOn.
type EmergencyEnded struct {
	Emergency string `json:"emergency"`
	EndedOn   string `json:"ended_on" jsonschema:"format=date"`
}

// Validate implements Payload.
func (x *EmergencyEnded) Validate(p *domain.Problems) {
	p.ID("emergency", x.Emergency, art(21))
	p.Date("ended_on", x.EndedOn, art(21).ParaOf(2))
}

// EmergencyDataEvaluated is the classified evaluation of data collected under an
// emergency (Art. 21 para 2): data carrying any sensitive category must be sealed or
// destroyed.
type EmergencyDataEvaluated struct {
	Emergency   string             `json:"emergency"`
	Resource    string             `json:"resource"`
	Categories  []domain.Sensitive `json:"categories,omitempty"`
	Disposition domain.Disposition `json:"disposition"`
}

// Validate implements Payload.
func (x *EmergencyDataEvaluated) Validate(p *domain.Problems) {
	a := art(21).ParaOf(2)
	p.ID("emergency", x.Emergency, a)
	p.ID("resource", x.Resource, a)
	if domain.RequireEnum(p, "disposition", x.Disposition) && x.Disposition == domain.DispositionRetain && len(x.Categories) > 0 {
		p.Add("disposition", "must_seal_or_destroy", a,
			fmt.Sprintf("must be seal or destroy: the data carries %s", x.Categories[0]),
			fmt.Sprintf("数据含%s，须封存或销毁", x.Categories[0].ZH()))
	}
}

// EmergencyDataSealed records the sealing of emergency data (Art. 21 para 2).
type EmergencyDataSealed struct {
	Emergency string `json:"emergency"`
	Resource  string `json:"resource"`
	Records   int64  `json:"records"`
	Location  string `json:"location"`
}

// Validate implements Payload.
func (x *EmergencyDataSealed) Validate(p *domain.Problems) {
	a := art(21).ParaOf(2)
	p.ID("emergency", x.Emergency, a)
	p.ID("resource", x.Resource, a)
	p.Positive("records", x.Records, a)
	p.Text("location", x.Location, a)
}

// EmergencyDataDestroyed records the destruction of emergency data (Art. 21 para 2).
type EmergencyDataDestroyed struct {
	Emergency string `json:"emergency"`
	Resource  string `json:"resource"`
	Records   int64  `json:"records"`
	Method    string `json:"method"`
}

// Validate implements Payload.
func (x *EmergencyDataDestroyed) Validate(p *domain.Problems) {
	a := art(21).ParaOf(2)
	p.ID("emergency", x.Emergency, a)
	p.ID("resource", x.Resource, a)
	p.Positive("records", x.Records, a)
	p.Text("method", x.Method, a)
}

// EmergencyApplicationShutDown records shutting down a data application built for the
// emergency (Art. 21 para 2).
type EmergencyApplicationShutDown struct {
	Emergency   string `json:"emergency"`
	Application string `json:"application" jsonschema:"description=the system or application shut down"`
}

// Validate implements Payload.
func (x *EmergencyApplicationShutDown) Validate(p *domain.Problems) {
	p.ID("emergency", x.Emergency, art(21).ParaOf(2))
	p.ID("application", x.Application, art(21).ParaOf(2))
}
