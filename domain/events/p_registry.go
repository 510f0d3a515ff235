package events

import "github.com/aba-prefecture/dataledger/domain"

// InstitutionRegistered enters a public institution (Art. 3) or data authority (Art. 6)
// in the registry. Signed by the authority's root key.
type InstitutionRegistered struct {
	Institution   string                 `json:"institution" jsonschema:"description=institution identifier (also its actor name)"`
	NameZH        string                 `json:"name_zh"`
	NameEN        string                 `json:"name_en,omitempty"`
	Level         domain.Level           `json:"level"`
	Kind          domain.InstitutionKind `json:"kind"`
	County        string                 `json:"county,omitempty" jsonschema:"description=county (city) code; required at county level"`
	DataAuthority bool                   `json:"data_authority,omitempty" jsonschema:"description=the prefecture's or a county's public data authority (Art. 6)"`
}

// Validate implements Payload.
func (x *InstitutionRegistered) Validate(p *domain.Problems) {
	p.ID("institution", x.Institution, art(3))
	p.Text("name_zh", x.NameZH, art(3))
	domain.RequireEnum(p, "level", x.Level)
	domain.RequireEnum(p, "kind", x.Kind)
	if x.Level == domain.LevelCounty {
		if p.RequiredFor("county", x.County != "", art(6).ParaOf(2), "for a county-level institution", "县（市）级机构须注明所属县（市）") {
			p.OptionalID("county", x.County, art(6))
		}
	} else {
		p.OptionalID("county", x.County, art(6))
	}
}

// InstitutionUpdated changes a registered institution's attributes.
type InstitutionUpdated struct{ InstitutionRegistered }

// PersonRegistered enters a person acting for the institution (its staff).
type PersonRegistered struct {
	Person string `json:"person" jsonschema:"description=person identifier used as actor.person"`
	Name   string `json:"name,omitempty" sensitive:"personal" jsonschema:"description=the person's name (personal information: encrypted under {actor}/person/{person}; optional, the id is what acts name)"`
	Title  string `json:"title,omitempty"`
}

// Validate implements Payload.
func (x *PersonRegistered) Validate(p *domain.Problems) {
	p.ID("person", x.Person, art(7))
	if x.Name != "" {
		p.Text("name", x.Name, art(7))
	}
}

// ResponsibleDesignated names the institution's first responsible person (第一责任人:
// its principal head, Art. 7, 37 para 1).
type ResponsibleDesignated struct {
	Person string `json:"person"`
	Since  string `json:"since" jsonschema:"format=date"`
}

// Validate implements Payload.
func (x *ResponsibleDesignated) Validate(p *domain.Problems) {
	p.ID("person", x.Person, art(7))
	p.Date("since", x.Since, art(37))
}

// PostAssigned puts a person in a designated post: dedicated staff (Art. 7) or a
// security management or technical post (Art. 37(3)).
type PostAssigned struct {
	Person string      `json:"person"`
	Post   domain.Post `json:"post"`
	Since  string      `json:"since" jsonschema:"format=date"`
}

// Validate implements Payload.
func (x *PostAssigned) Validate(p *domain.Problems) {
	p.ID("person", x.Person, art(37).ItemOf(3))
	domain.RequireEnum(p, "post", x.Post)
	p.Date("since", x.Since, art(37).ItemOf(3))
}

// PostEnded ends a person's post.
type PostEnded struct {
	Person string      `json:"person"`
	Post   domain.Post `json:"post"`
	Reason string      `json:"reason"`
}

// Validate implements Payload.
func (x *PostEnded) Validate(p *domain.Problems) {
	p.ID("person", x.Person, art(37).ItemOf(3))
	domain.RequireEnum(p, "post", x.Post)
	p.Text("reason", x.Reason, art(37).ItemOf(3))
}
