package events

import "github.com/aba-prefecture/dataledger/domain"

// ProjectCatalogDrafted records the project data-resource catalog compiled before the
// project is applied for (Art. 12 para 2).
type ProjectCatalogDrafted struct {
	Project   string   `json:"project"`
	Title     string   `json:"title"`
	Resources []string `json:"resources" jsonschema:"description=catalog entries (or draft entries) of the project"`
}

// Validate implements Payload.
func (x *ProjectCatalogDrafted) Validate(p *domain.Problems) {
	p.ID("project", x.Project, art(12))
	p.Text("title", x.Title, art(12))
	p.IDs("resources", x.Resources, art(12).ParaOf(2))
}

// ProjectPreliminaryReviewed is the data authority's preliminary review of a
// government-invested project before approval (Art. 12 para 1).
type ProjectPreliminaryReviewed struct {
	Project string `json:"project"`
	Owner   string `json:"owner" jsonschema:"description=the building institution"`
	Passed  bool   `json:"passed"`
	Opinion string `json:"opinion"`
}

// Validate implements Payload.
func (x *ProjectPreliminaryReviewed) Validate(p *domain.Problems) {
	p.ID("project", x.Project, art(12))
	p.ID("owner", x.Owner, art(12))
	p.Text("opinion", x.Opinion, art(12))
}

// ProjectApproved records a project's approval (Art. 12). Approval without a drafted
// project catalog is recorded as it happened; the findings projection raises it.
type ProjectApproved struct {
	Project     string `json:"project"`
	Approver    string `json:"approver" jsonschema:"description=the approving body"`
	ApprovalRef string `json:"approval_ref" jsonschema:"description=the approval document number"`
}

// Validate implements Payload.
func (x *ProjectApproved) Validate(p *domain.Problems) {
	p.ID("project", x.Project, art(12))
	p.ID("approver", x.Approver, art(12))
	p.Text("approval_ref", x.ApprovalRef, art(12))
}

// ProjectAccepted records completion acceptance (Art. 13): the report filed with the
// authority and whether the project catalog is on the platform.
type ProjectAccepted struct {
	Project           string       `json:"project"`
	Report            *DocumentRef `json:"report"`
	ReportFiled       bool         `json:"report_filed" jsonschema:"description=acceptance report filed with the data authority"`
	CatalogOnPlatform bool         `json:"catalog_on_platform" jsonschema:"description=project catalog included in the Aba big-data platform"`
}

// Validate implements Payload.
func (x *ProjectAccepted) Validate(p *domain.Problems) {
	p.ID("project", x.Project, art(13))
	doc(p, "report", x.Report, art(13), true)
}
