package events

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/domain"
)

// DataCollected records collection (收集, Art. 17, 18). Collection outside the catalog,
// duplicate collection and biometric re-verification are recorded as they happened; the
// findings projection judges them.
type DataCollected struct {
	Resource     string                `json:"resource"`
	Records      int64                 `json:"records"`
	Purpose      string                `json:"purpose"`
	LegalBasis   string                `json:"legal_basis" jsonschema:"description=the statutory duty collected under (法定职责)"`
	Emergency    string                `json:"emergency,omitempty" jsonschema:"description=emergency collected under (Art. 17 para 3; Art. 21)"`
	OutOfCatalog string                `json:"out_of_catalog_reason,omitempty" jsonschema:"description=special business or urgent need for data outside the catalog (Art. 17 para 3)"`
	Verification []domain.Verification `json:"verification,omitempty" jsonschema:"description=how the persons' identity was verified (Art. 18)"`
}

// Validate implements Payload.
func (x *DataCollected) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(17))
	p.Positive("records", x.Records, art(17))
	p.Text("purpose", x.Purpose, art(17))
	p.Text("legal_basis", x.LegalBasis, art(17))
	p.OptionalID("emergency", x.Emergency, art(21))
}

// DataAggregated records aggregation to the platform (归集, Art. 18, 19).
type DataAggregated struct {
	Resource string                   `json:"resource"`
	Records  int64                    `json:"records"`
	Target   domain.AggregationTarget `json:"target"`
	Database string                   `json:"database" jsonschema:"description=the base or theme database"`
}

// Validate implements Payload.
func (x *DataAggregated) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(18))
	p.NonNegative("records", x.Records, art(18))
	domain.RequireEnum(p, "target", x.Target)
	p.ID("database", x.Database, art(18))
}

// AggregationRefused records a refusal to aggregate (Art. 18): a fact, raised as a
// finding unless a law provides otherwise.
type AggregationRefused struct {
	Resource   string `json:"resource"`
	Reason     string `json:"reason"`
	LegalBasis string `json:"legal_basis,omitempty" jsonschema:"description=the law or regulation providing otherwise; if any"`
}

// Validate implements Payload.
func (x *AggregationRefused) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(18))
	p.Text("reason", x.Reason, art(18))
}

// DataHandled is the common body of storage, processing and transmission (Art. 2).
type DataHandled struct {
	Resource string `json:"resource"`
	Records  int64  `json:"records"`
	System   string `json:"system" jsonschema:"description=the system where it happened"`
	Purpose  string `json:"purpose"`
}

// Validate implements Payload.
func (x *DataHandled) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(2))
	p.NonNegative("records", x.Records, art(2))
	p.ID("system", x.System, art(2))
	p.Text("purpose", x.Purpose, art(2))
}

// DataStored records storage (存储, Art. 2).
type DataStored struct{ DataHandled }

// DataProcessed records processing (加工, Art. 2).
type DataProcessed struct {
	DataHandled
	Operation string `json:"operation"`
}

// Validate implements Payload.
func (x *DataProcessed) Validate(p *domain.Problems) {
	x.DataHandled.Validate(p)
	p.Text("operation", x.Operation, art(2))
}

// DataTransmitted records transmission (传输, Art. 2, 37(1)).
type DataTransmitted struct {
	DataHandled
	To        string `json:"to" jsonschema:"description=receiving institution or system"`
	Encrypted bool   `json:"encrypted" jsonschema:"description=sent under commercial cryptography (Art. 37(1))"`
}

// Validate implements Payload.
func (x *DataTransmitted) Validate(p *domain.Problems) {
	x.DataHandled.Validate(p)
	p.ID("to", x.To, art(2))
}

// Supervised is the common body of acts Art. 37(5) puts under supervision (copy, export,
// desensitise, modify, delete). Approval names the security.approval_granted.v1 approval;
// an act without one is recorded and raised as a finding (Art. 41(8), 41(9)).
type Supervised struct {
	Resource string `json:"resource"`
	Records  int64  `json:"records"`
	Approval string `json:"approval,omitempty" jsonschema:"description=approval id (security.approval_granted.v1)"`
	Reason   string `json:"reason"`
}

func (x *Supervised) check(p *domain.Problems, a domain.Article) {
	p.ID("resource", x.Resource, a)
	p.Positive("records", x.Records, a)
	p.OptionalID("approval", x.Approval, a)
	p.Text("reason", x.Reason, a)
}

// DataCopied records copying (Art. 37(5), 41(9)).
type DataCopied struct {
	Supervised
	Destination string `json:"destination"`
}

// Validate implements Payload.
func (x *DataCopied) Validate(p *domain.Problems) {
	x.check(p, art(37).ItemOf(5))
	p.Text("destination", x.Destination, art(37).ItemOf(5))
}

// DataExported records export (导出, Art. 37(5), 41(9)).
type DataExported struct {
	Supervised
	Destination string `json:"destination"`
	Format      string `json:"format"`
}

// Validate implements Payload.
func (x *DataExported) Validate(p *domain.Problems) {
	x.check(p, art(37).ItemOf(5))
	p.Text("destination", x.Destination, art(37).ItemOf(5))
	p.Text("format", x.Format, art(37).ItemOf(5))
}

// DataDesensitised records desensitisation (脱敏, Art. 37(5), 30 para 2).
type DataDesensitised struct {
	Supervised
	Method string `json:"method"`
	Output string `json:"output,omitempty" jsonschema:"description=resource holding the desensitised data"`
}

// Validate implements Payload.
func (x *DataDesensitised) Validate(p *domain.Problems) {
	x.check(p, art(37).ItemOf(5))
	p.Text("method", x.Method, art(37).ItemOf(5))
	p.OptionalID("output", x.Output, art(30))
}

// DataModified records a modification (Art. 41(8), 20).
type DataModified struct{ Supervised }

// Validate implements Payload.
func (x *DataModified) Validate(p *domain.Problems) { x.check(p, art(41).ItemOf(8)) }

// DataDeleted records a deletion (Art. 41(8), 22).
type DataDeleted struct{ Supervised }

// Validate implements Payload.
func (x *DataDeleted) Validate(p *domain.Problems) { x.check(p, art(41).ItemOf(8)) }

// DataSealed records sealing (封存) outside an emergency (Art. 9, 21).
type DataSealed struct {
	Resource string `json:"resource"`
	Records  int64  `json:"records"`
	Location string `json:"location"`
	Reason   string `json:"reason"`
}

// Validate implements Payload.
func (x *DataSealed) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(21))
	p.Positive("records", x.Records, art(21))
	p.Text("location", x.Location, art(21))
	p.Text("reason", x.Reason, art(21))
}

// DataDestroyed records destruction (销毁, Art. 9, 21, 22).
type DataDestroyed struct {
	Resource string `json:"resource"`
	Records  int64  `json:"records"`
	Method   string `json:"method"`
	Reason   string `json:"reason"`
}

// Validate implements Payload.
func (x *DataDestroyed) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(21))
	p.Positive("records", x.Records, art(21))
	p.Text("method", x.Method, art(21))
	p.Text("reason", x.Reason, art(21))
}

// QualityChecked records a periodic quality check (Art. 20 para 1).
type QualityChecked struct {
	Resource    string `json:"resource"`
	ErrorsFound int64  `json:"errors_found"`
	Corrected   int64  `json:"corrected"`
}

// Validate implements Payload.
func (x *QualityChecked) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(20))
	p.NonNegative("errors_found", x.ErrorsFound, art(20))
	if p.NonNegative("corrected", x.Corrected, art(20)) && x.Corrected > x.ErrorsFound {
		p.Add("corrected", "too_many", art(20), "exceeds errors_found", "超过发现的错误数")
	}
}

// InconsistencyReported records that two institutions provide inconsistent data of one
// category, or that provided data is unusable (Art. 26, 41(5)).
type InconsistencyReported struct {
	Case          string `json:"case"`
	Resource      string `json:"resource"`
	Provider      string `json:"provider" jsonschema:"description=institution whose data is inconsistent or unusable"`
	OtherResource string `json:"other_resource,omitempty"`
	Description   string `json:"description"`
}

// Validate implements Payload.
func (x *InconsistencyReported) Validate(p *domain.Problems) {
	p.ID("case", x.Case, art(26))
	p.ID("resource", x.Resource, art(26))
	p.ID("provider", x.Provider, art(26))
	p.OptionalID("other_resource", x.OtherResource, art(26))
	p.Text("description", x.Description, art(26))
}

// InconsistencyResolved closes an inconsistency case; Confirmed says the provider's data
// was in fact inconsistent or unusable (what F8 needs).
type InconsistencyResolved struct {
	Case       string `json:"case"`
	Confirmed  bool   `json:"confirmed"`
	Resolution string `json:"resolution"`
	DecidedBy  string `json:"decided_by" jsonschema:"description=the institutions; the authority or the government (Art. 26)"`
}

// Validate implements Payload.
func (x *InconsistencyResolved) Validate(p *domain.Problems) {
	p.ID("case", x.Case, art(26))
	p.Text("resolution", x.Resolution, art(26))
	p.ID("decided_by", x.DecidedBy, art(26))
}

var _ = fmt.Sprint
