package events

import (
	"fmt"
	"slices"

	"github.com/aba-prefecture/dataledger/domain"
)

// Sharing is a resource's sharing attribute with what Art. 24 requires of it.
type Sharing struct {
	Attribute  domain.SharingAttribute `json:"attribute"`
	Method     domain.SharingMethod    `json:"method,omitzero" jsonschema:"description=required unless the attribute is none"`
	Reason     string                  `json:"reason,omitempty" jsonschema:"description=why the data is conditional (required for conditional)"`
	Conditions string                  `json:"conditions,omitempty" jsonschema:"description=the conditions of sharing (required for conditional)"`
	LegalBasis string                  `json:"legal_basis,omitempty" jsonschema:"description=law; regulation or central/provincial policy (required for none)"`
}

func (s *Sharing) validate(p *domain.Problems) {
	if !domain.RequireEnum(p, "attribute", s.Attribute) {
		return
	}
	switch s.Attribute {
	case domain.SharingConditional:
		p.RequiredFor("reason", s.Reason != "", art(24).ParaOf(3), "for conditional sharing", "有条件共享须说明理由")
		p.RequiredFor("conditions", s.Conditions != "", art(24).ParaOf(3), "for conditional sharing", "有条件共享须明确共享条件")
	case domain.SharingNone:
		p.RequiredFor("legal_basis", s.LegalBasis != "", art(24).ParaOf(4), "for data not to be shared (a law, administrative regulation or central/provincial policy)",
			"不予共享须提供法律、行政法规或党中央、国务院、省委、省政府政策依据")
	}
	if s.Attribute != domain.SharingNone {
		domain.RequireEnum(p, "method", s.Method)
	}
}

// Opening is a resource's opening attribute (Art. 30).
type Opening struct {
	Attribute  domain.OpeningAttribute `json:"attribute"`
	Conditions string                  `json:"conditions,omitempty" jsonschema:"description=required for conditional opening"`
	Reason     string                  `json:"reason,omitempty" jsonschema:"description=why the data is not opened (required for none)"`
}

func (o *Opening) validate(p *domain.Problems) {
	if !domain.RequireEnum(p, "attribute", o.Attribute) {
		return
	}
	switch o.Attribute {
	case domain.OpeningConditional:
		p.RequiredFor("conditions", o.Conditions != "", art(30), "for conditional opening", "有条件开放须明确开放条件")
	case domain.OpeningNone:
		p.RequiredFor("reason", o.Reason != "", art(30), "for data not to be opened", "不予开放须说明理由")
	}
}

// DataItem is one attribute (field) of a resource (属性, Art. 14).
type DataItem struct {
	Name      string             `json:"name"`
	Format    string             `json:"format"`
	Sensitive []domain.Sensitive `json:"sensitive,omitempty" jsonschema:"description=categories of Art. 21 and 30 the item carries"`
}

// CatalogEntry carries every attribute Art. 14 requires of a catalog entry.
type CatalogEntry struct {
	Resource          string              `json:"resource" jsonschema:"description=resource identifier"`
	TitleZH           string              `json:"title_zh"`
	TitleEN           string              `json:"title_en,omitempty"`
	Classification    string              `json:"classification" jsonschema:"description=classification (分类) code"`
	Responsible       string              `json:"responsible" jsonschema:"description=responsible institution (责任主体)"`
	Formats           []string            `json:"formats" jsonschema:"description=formats (格式); e.g. json; csv"`
	Items             []DataItem          `json:"items" jsonschema:"description=attributes (属性)"`
	UpdatePeriod      domain.UpdatePeriod `json:"update_period"`
	Sharing           Sharing             `json:"sharing"`
	UsageRequirements string              `json:"usage_requirements" jsonschema:"description=usage requirements (使用要求)"`
	Opening           Opening             `json:"opening"`
	System            string              `json:"system,omitempty" jsonschema:"description=information system the data lives in"`
}

// Validate implements Payload.
func (x *CatalogEntry) Validate(p *domain.Problems) {
	a := art(14)
	p.ID("resource", x.Resource, a)
	p.Text("title_zh", x.TitleZH, a)
	p.Text("classification", x.Classification, a)
	p.ID("responsible", x.Responsible, a)
	p.Texts("formats", x.Formats, a)
	if p.Required("items", len(x.Items) > 0, a) {
		for i := range x.Items {
			q := p.At(fmt.Sprintf("items[%d]", i))
			q.Text("name", x.Items[i].Name, a)
			q.Text("format", x.Items[i].Format, a)
		}
	}
	domain.RequireEnum(p, "update_period", x.UpdatePeriod)
	x.Sharing.validate(p.At("sharing"))
	p.Text("usage_requirements", x.UsageRequirements, a)
	x.Opening.validate(p.At("opening"))
	p.OptionalID("system", x.System, a)
	if !x.Opening.Attribute.IsZero() && x.Opening.Attribute != domain.OpeningNone {
		for i, it := range x.Items {
			if len(it.Sensitive) == 0 {
				continue
			}
			s := it.Sensitive[0]
			p.Add("opening.attribute", "sensitive_data_opened", art(30),
				fmt.Sprintf("must be none: items[%d] carries %s; open it only after desensitisation or the rights-holder's consent (catalog.opening_reclassified.v1)", i, s),
				fmt.Sprintf("第 %d 项数据含%s，应列为不予开放；经脱敏或权利人同意后方可调整（catalog.opening_reclassified.v1）", i, s.ZH()))
			return
		}
	}
}

// CatalogEntryRegistered is a new catalog entry (Art. 14, 15).
type CatalogEntryRegistered struct{ CatalogEntry }

// CatalogEntryUpdated is the entry as updated (Art. 16); Trigger names the
// catalog.update_triggered.v1 event it answers, if any.
type CatalogEntryUpdated struct {
	CatalogEntry
	Trigger string `json:"trigger,omitempty" jsonschema:"description=id of the catalog.update_triggered.v1 event this update answers"`
	Change  string `json:"change" jsonschema:"description=what changed and why (变更依据)"`
}

// Validate implements Payload.
func (x *CatalogEntryUpdated) Validate(p *domain.Problems) {
	x.CatalogEntry.Validate(p)
	p.Text("change", x.Change, art(16))
}

// CatalogUpdateTriggered records a situation of Art. 16 that obliges catalog updates
// within 10 working days of the day it arose.
type CatalogUpdateTriggered struct {
	Trigger     domain.CatalogTrigger `json:"trigger"`
	AroseOn     string                `json:"arose_on" jsonschema:"format=date,description=the day the situation arose (情形发生之日)"`
	Description string                `json:"description"`
	Resources   []string              `json:"resources,omitempty" jsonschema:"description=catalog entries expected to change"`
}

// Validate implements Payload.
func (x *CatalogUpdateTriggered) Validate(p *domain.Problems) {
	domain.RequireEnum(p, "trigger", x.Trigger)
	p.Date("arose_on", x.AroseOn, art(16))
	p.Text("description", x.Description, art(16))
	for i, r := range x.Resources {
		p.ID(fmt.Sprintf("resources[%d]", i), r, art(16))
	}
}

// CatalogUpdateReported records that updated entries and their basis were reported to
// the data authority (Art. 16).
type CatalogUpdateReported struct {
	Resources []string     `json:"resources"`
	Authority string       `json:"authority" jsonschema:"description=the authority reported to"`
	Report    *DocumentRef `json:"report"`
}

// Validate implements Payload.
func (x *CatalogUpdateReported) Validate(p *domain.Problems) {
	p.IDs("resources", x.Resources, art(16))
	p.ID("authority", x.Authority, art(16))
	doc(p, "report", x.Report, art(16), true)
}

// OpeningReclassified changes a resource's opening attribute. Data classed none may be
// opened only after desensitisation or with the rights-holder's consent (Art. 30 para 2).
type OpeningReclassified struct {
	Resource        string                  `json:"resource"`
	From            domain.OpeningAttribute `json:"from"`
	To              domain.OpeningAttribute `json:"to"`
	Desensitisation string                  `json:"desensitisation,omitempty" jsonschema:"description=id of the data.desensitised.v1 event"`
	Consent         *DocumentRef            `json:"consent,omitempty" jsonschema:"description=the rights-holder's consent"`
	Reason          string                  `json:"reason"`
}

// Validate implements Payload.
func (x *OpeningReclassified) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(30))
	domain.RequireEnum(p, "from", x.From)
	if domain.RequireEnum(p, "to", x.To) && x.To == x.From {
		p.Add("to", "no_change", art(30), "is the same as from", "与原开放属性相同")
	}
	p.Text("reason", x.Reason, art(30))
	p.OptionalID("desensitisation", x.Desensitisation, art(30).ParaOf(2))
	doc(p, "consent", x.Consent, art(30).ParaOf(2), false)
	if x.From == domain.OpeningNone && !x.To.IsZero() && x.To != domain.OpeningNone && x.Desensitisation == "" && x.Consent == nil {
		p.Add("desensitisation", "required", art(30).ParaOf(2),
			"required (or consent) to open data classed none: a desensitisation record or the rights-holder's consent",
			"不予开放数据调整为开放，须有脱密脱敏处理记录或相关权利人同意")
	}
}

// SourceDesignated is the authority's designation of the one collecting institution for
// data cataloged twice (一数一源, Art. 14 para 2, Art. 17).
type SourceDesignated struct {
	Resource    string   `json:"resource" jsonschema:"description=the designated source's entry"`
	Source      string   `json:"source" jsonschema:"description=the designated collecting institution"`
	Duplicates  []string `json:"duplicates" jsonschema:"description=other entries describing the same data"`
	Description string   `json:"description"`
}

// Validate implements Payload.
func (x *SourceDesignated) Validate(p *domain.Problems) {
	a := art(14).ParaOf(2)
	p.ID("resource", x.Resource, a)
	p.ID("source", x.Source, a)
	if p.IDs("duplicates", x.Duplicates, a) && slices.Contains(x.Duplicates, x.Resource) {
		p.Add("duplicates", "self", a, "must not include the designated entry itself", "不得包含被指定的目录条目本身")
	}
	p.Text("description", x.Description, a)
}
