package auth

import (
	"fmt"
	"regexp"
)

// Role is what a principal may do. The set is closed: ParseRole refuses anything else.
type Role string

// Roles. See docs/access.md for the full matrix of roles against endpoints.
const (
	// RoleAuthority is the data authority (数据主管部门): reads every entry; may decrypt
	// protected fields.
	RoleAuthority Role = "authority"
	// RoleSecurityOfficer is a security officer (安全管理员) investigating an incident:
	// reads every entry; may decrypt protected fields.
	RoleSecurityOfficer Role = "security_officer"
	// RoleReviewer is an assessment reviewer (考核评审): reads every entry, but protected
	// fields stay ciphertext; the annual assessment counts acts, it does not need to
	// know who the data subjects are.
	RoleReviewer Role = "reviewer"
	// RoleInstitution is one institution (单位): reads its own entries only (see
	// docs/access.md, "own data") and may decrypt protected fields in them.
	RoleInstitution Role = "institution"
	// RoleSubmitter is a system that only submits: no reads. It matters only when ledgerd
	// requires a token for writes (--write-token).
	RoleSubmitter Role = "submitter"
)

// Roles lists every role, in the order documentation shows them.
var Roles = []Role{RoleAuthority, RoleSecurityOfficer, RoleReviewer, RoleInstitution, RoleSubmitter}

// ZH is the role's name in Simplified Chinese, for messages officials read.
func (r Role) ZH() string {
	switch r {
	case RoleAuthority:
		return "数据主管部门"
	case RoleSecurityOfficer:
		return "安全管理员"
	case RoleReviewer:
		return "考核评审"
	case RoleInstitution:
		return "单位"
	case RoleSubmitter:
		return "提交系统"
	}
	return string(r)
}

// ReadsAll reports whether the role reads every entry, not only its institution's.
func (r Role) ReadsAll() bool {
	return r == RoleAuthority || r == RoleSecurityOfficer || r == RoleReviewer
}

// Decrypts reports whether the role may see protected (SM4-GCM encrypted) fields in
// clear: in every entry it reads for the authority and security officers, in its own
// entries for an institution.
func (r Role) Decrypts() bool {
	return r == RoleAuthority || r == RoleSecurityOfficer || r == RoleInstitution
}

// Exports reports whether the role may take an evidence bundle out of the ledger
// (POST /v1/bundles): the authority and security officers, who investigate and answer
// for disclosures (第三十七条). A reviewer reads every entry to count acts; copying
// evidence out is not part of that (docs/access.md, "Evidence bundles").
func (r Role) Exports() bool { return r == RoleAuthority || r == RoleSecurityOfficer }

// Reports reports whether the role may read report kind (GET /v1/reports/{kind}): the
// authority and security officers every kind; assessment reviewers the kinds the yearly
// assessment rests on (assessment, findings, obligations), not who holds which data
// (accountability) or the emergency register. Reports span institutions, so an
// institution reads its own acts, not reports (docs/access.md).
func (r Role) Reports(kind string) bool {
	switch r {
	case RoleAuthority, RoleSecurityOfficer:
		return true
	case RoleReviewer:
		return kind == "assessment" || kind == "findings" || kind == "obligations"
	}
	return false
}

// BoundToInstitution reports whether a credential of this role must name an institution.
func (r Role) BoundToInstitution() bool { return r == RoleInstitution || r == RoleSubmitter }

// ParseRole accepts exactly the names of Roles.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q: want one of authority, security_officer, reviewer, institution, submitter", s)
}

// nameRE is the ledger's rule for institution and person ids (ledger.Actor), so that a
// principal can be compared with an entry's actor byte for byte.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)

// Principal is an authenticated caller.
type Principal struct {
	Role        Role
	Institution string // set for RoleInstitution and RoleSubmitter
	Person      string // the person the credential was issued to; recorded in the audit log
	Credential  string // the credential id (token id or "cert-…"), never the secret
	Method      string // "token" or "cert"
}

// ClientKey is the key per-client rate limits count under.
func (p *Principal) ClientKey() string { return "cred:" + p.Credential }

// CanRead reports whether p may read an entry whose actor is actorInstitution, given
// whether p's institution holds the entry's stream (holds: the domain's rule, never the
// stream's first writer; docs/access.md). An institution reads the entries it signed and
// the entries of the streams it holds.
func (p *Principal) CanRead(actorInstitution string, holds bool) bool {
	switch {
	case p.Role.ReadsAll():
		return true
	case p.Role == RoleInstitution:
		return p.Institution != "" && (actorInstitution == p.Institution || holds)
	}
	return false
}

// CanDecrypt is CanRead for protected fields in clear.
func (p *Principal) CanDecrypt(actorInstitution string, holds bool) bool {
	return p.Role.Decrypts() && p.CanRead(actorInstitution, holds)
}
