package events

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/domain"
)

// ApprovalGranted is the supervising approval for copying, exporting, desensitising,
// modifying or deleting data (Art. 37(5), 41(8), 41(9)).
type ApprovalGranted struct {
	Approval   string                 `json:"approval"`
	Resource   string                 `json:"resource"`
	Acts       []domain.SupervisedAct `json:"acts"`
	ApprovedBy string                 `json:"approved_by" jsonschema:"description=person id of the approver"`
	Purpose    string                 `json:"purpose"`
	ValidUntil string                 `json:"valid_until" jsonschema:"format=date"`
}

// Validate implements Payload.
func (x *ApprovalGranted) Validate(p *domain.Problems) {
	a := art(37).ItemOf(5)
	p.ID("approval", x.Approval, a)
	p.ID("resource", x.Resource, a)
	if p.Required("acts", len(x.Acts) > 0, a) {
		for i, act := range x.Acts {
			domain.RequireEnum(p, fmt.Sprintf("acts[%d]", i), act)
		}
	}
	p.ID("approved_by", x.ApprovedBy, a)
	p.Text("purpose", x.Purpose, a)
	p.Date("valid_until", x.ValidUntil, a)
}

// TrainingHeld records security education and technical training (Art. 37(4)).
type TrainingHeld struct {
	HeldOn       string `json:"held_on" jsonschema:"format=date"`
	Topic        string `json:"topic"`
	Participants int64  `json:"participants"`
}

// Validate implements Payload.
func (x *TrainingHeld) Validate(p *domain.Problems) {
	a := art(37).ItemOf(4)
	p.Date("held_on", x.HeldOn, a)
	p.Text("topic", x.Topic, a)
	p.Positive("participants", x.Participants, a)
}

// BackupCompleted records a disaster-recovery backup (Art. 37(7)).
type BackupCompleted struct {
	System   string `json:"system"`
	Location string `json:"location" jsonschema:"description=where the copy is kept"`
	Verified bool   `json:"verified" jsonschema:"description=the backup was test-restored"`
}

// Validate implements Payload.
func (x *BackupCompleted) Validate(p *domain.Problems) {
	p.ID("system", x.System, art(37).ItemOf(7))
	p.Text("location", x.Location, art(37).ItemOf(7))
}

// DrillHeld records an incident-response drill of the emergency plan (Art. 37(8)).
type DrillHeld struct {
	Plan         string `json:"plan" jsonschema:"description=the incident response plan (应急预案)"`
	HeldOn       string `json:"held_on" jsonschema:"format=date"`
	Scenario     string `json:"scenario"`
	Participants int64  `json:"participants"`
}

// Validate implements Payload.
func (x *DrillHeld) Validate(p *domain.Problems) {
	a := art(37).ItemOf(8)
	p.ID("plan", x.Plan, a)
	p.Date("held_on", x.HeldOn, a)
	p.Text("scenario", x.Scenario, a)
	p.Positive("participants", x.Participants, a)
}

// IncidentReported records a data-security incident or a defect found (Art. 37(6), (8)).
type IncidentReported struct {
	Incident     string   `json:"incident"`
	Severity     string   `json:"severity"`
	Description  string   `json:"description"`
	Resources    []string `json:"resources,omitempty"`
	DiscoveredAt string   `json:"discovered_at" jsonschema:"format=date-time"`
}

// Validate implements Payload.
func (x *IncidentReported) Validate(p *domain.Problems) {
	a := art(37).ItemOf(6)
	p.ID("incident", x.Incident, a)
	p.Text("severity", x.Severity, a)
	p.Text("description", x.Description, a)
	for i, r := range x.Resources {
		p.ID(fmt.Sprintf("resources[%d]", i), r, a)
	}
	if p.Required("discovered_at", x.DiscoveredAt != "", a) {
		p.Time("discovered_at", x.DiscoveredAt, a)
	}
}

// IncidentRemediated records the remedial measures taken (Art. 37(6)).
type IncidentRemediated struct {
	Incident string `json:"incident"`
	Measures string `json:"measures"`
}

// Validate implements Payload.
func (x *IncidentRemediated) Validate(p *domain.Problems) {
	p.ID("incident", x.Incident, art(37).ItemOf(6))
	p.Text("measures", x.Measures, art(37).ItemOf(6))
}

// StressTested records a platform or system stress test (Art. 37(6)).
type StressTested struct {
	System string `json:"system"`
	Passed bool   `json:"passed"`
	Result string `json:"result"`
}

// Validate implements Payload.
func (x *StressTested) Validate(p *domain.Problems) {
	p.ID("system", x.System, art(37).ItemOf(6))
	p.Text("result", x.Result, art(37).ItemOf(6))
}
