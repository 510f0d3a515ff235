package events

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/aba-prefecture/dataledger/ledger"
)

// Who names one party that may sign a type. A type lists every party that may; the
// acting institution must be one of them (commands checks it against the registry, the
// one place the rule is enforced). The Measures give these parties their powers: the
// authority keeps the registry of institutions (Art. 3, 6), each institution answers for
// its own data and its own acts (Art. 7, 37), a case is answered by whom it names.
type Who string

// The parties.
const (
	// WhoRoot is the data authority's root key: the registry of institutions (Art. 3, 6).
	WhoRoot Who = "root"
	// WhoLedger is the ledger's own key: the ledger's records (refusals, exports).
	WhoLedger Who = "ledger"
	// WhoAuthority is a public data authority (the one named at genesis, or an
	// institution the root registered with data_authority, Art. 6).
	WhoAuthority Who = "authority"
	// WhoSelf is the institution itself, about itself: its people, posts, security
	// duties, catalog reports (streams named {actor}).
	WhoSelf Who = "self"
	// WhoActor is any registered institution recording its own act on data it handles:
	// a fact, recorded as it happened, that findings judge (a collection outside the
	// catalog, a use outside a grant's purpose).
	WhoActor Who = "actor"
	// WhoHolder is the holder of the resource the payload names: the catalog's
	// responsible institution (责任主体, Art. 7, 14).
	WhoHolder Who = "holder"
	// WhoOpener is the institution that opened the case, or opens it with this act.
	WhoOpener Who = "opener"
	// WhoAnswerer is the institution the case names to answer it: a share application's
	// provider, a correction's (forwarded) institution, a rectification order's
	// institution.
	WhoAnswerer Who = "answerer"
	// WhoCollector is an institution that collected the named resource under the named
	// emergency (Art. 21).
	WhoCollector Who = "collector"
	// WhoApprover is the institution the payload names as the approver
	// (project.approved.v1's approver).
	WhoApprover Who = "approver"
	// WhoIssuer is the institution that issued the suspension being lifted.
	WhoIssuer Who = "issuer"
)

// CaseOpening says how an act relates to its case's stream.
type CaseOpening uint8

const (
	// Continues: the case must exist; the act continues it.
	Continues CaseOpening = iota
	// Opens: the act opens the case; its stream must be new (a second opening of the
	// same id is refused, whoever sends it).
	Opens
	// OpensOrContinues: the first of several acts opens the case (a security review or
	// the contract's signing, a project's catalog or its preliminary review); later ones
	// must come from its opener.
	OpensOrContinues
)

// CaseRule ties a type to the case (application, request, order, contract, emergency,
// project) its payload names.
type CaseRule struct {
	Kind  string // the registry's case kind: share, verification, opening, development, correction, subject, rectification, emergency, contract, project, inconsistency
	Field string // the payload field holding the case id
	Open  CaseOpening
}

// parties is, per type, who may sign it, the case it belongs to, and the subject its
// personal fields are encrypted under ({actor} = the acting institution, {field} = a
// payload field, {case.party} = the party the case names). Every catalogue type has a
// row; a test fails otherwise, and docs/events.md and docs/access.md are generated from
// it.
var parties = map[string]struct {
	who     []Who
	c       *CaseRule
	subject string
}{
	// registries
	InstitutionRegisteredV1:       {who: w(WhoRoot)},
	InstitutionUpdatedV1:          {who: w(WhoRoot)},
	PersonRegisteredV1:            {who: w(WhoSelf), subject: "{actor}/person/{person}"},
	PersonResponsibleDesignatedV1: {who: w(WhoSelf)},
	PersonPostAssignedV1:          {who: w(WhoSelf)},
	PersonPostEndedV1:             {who: w(WhoSelf)},

	// catalog
	CatalogEntryRegisteredV1:     {who: w(WhoActor, WhoAuthority)}, // the responsible institution itself, or an authority for it (Art. 14 para 2)
	CatalogUpdateTriggeredV1:     {who: w(WhoSelf)},
	CatalogEntryUpdatedV1:        {who: w(WhoHolder)},
	CatalogUpdateReportedV1:      {who: w(WhoSelf)},
	CatalogOpeningReclassifiedV1: {who: w(WhoHolder)},
	CatalogSourceDesignatedV1:    {who: w(WhoAuthority)},

	// IT projects
	ProjectCatalogDraftedV1:      {who: w(WhoOpener), c: cs("project", "project", OpensOrContinues)},
	ProjectPreliminaryReviewedV1: {who: w(WhoAuthority), c: cs("project", "project", OpensOrContinues)},
	ProjectApprovedV1:            {who: w(WhoOpener, WhoApprover), c: cs("project", "project", OpensOrContinues)}, // an approval without a catalog opens the project: the F2 fact
	ProjectAcceptedV1:            {who: w(WhoOpener), c: cs("project", "project", Continues)},

	// handling data: facts about the actor's own handling
	DataCollectedV1:             {who: w(WhoActor)},
	DataAggregatedV1:            {who: w(WhoActor)},
	DataAggregationRefusedV1:    {who: w(WhoHolder)},
	DataStoredV1:                {who: w(WhoActor)},
	DataProcessedV1:             {who: w(WhoActor)},
	DataTransmittedV1:           {who: w(WhoActor)},
	DataCopiedV1:                {who: w(WhoActor)},
	DataExportedV1:              {who: w(WhoActor)},
	DataDesensitisedV1:          {who: w(WhoActor)},
	DataModifiedV1:              {who: w(WhoActor)},
	DataDeletedV1:               {who: w(WhoActor)},
	DataSealedV1:                {who: w(WhoActor)},
	DataDestroyedV1:             {who: w(WhoActor)},
	DataQualityCheckedV1:        {who: w(WhoActor)},
	DataInconsistencyReportedV1: {who: w(WhoOpener), c: cs("inconsistency", "case", Opens)},
	DataInconsistencyResolvedV1: {who: w(WhoAuthority, WhoAnswerer), c: cs("inconsistency", "case", Continues)},

	// sharing
	ShareApplicationSubmittedV1:   {who: w(WhoOpener), c: cs("share", "application", Opens)},
	ShareGrantedV1:                {who: w(WhoAnswerer), c: cs("share", "application", Continues)},
	ShareRefusedV1:                {who: w(WhoAnswerer), c: cs("share", "application", Continues)},
	ShareDataObtainedV1:           {who: w(WhoActor)},
	ShareDataUsedV1:               {who: w(WhoActor)},
	ShareVerificationRequestedV1:  {who: w(WhoOpener), c: cs("verification", "request", Opens)},
	ShareVerificationAnsweredV1:   {who: w(WhoAnswerer), c: cs("verification", "request", Continues)},
	OpeningPublishedV1:            {who: w(WhoHolder)},
	OpeningApplicationSubmittedV1: {who: w(WhoHolder), c: cs("opening", "application", Opens)},
	OpeningGrantedV1:              {who: w(WhoAnswerer), c: cs("opening", "application", Continues)},
	OpeningRefusedV1:              {who: w(WhoAnswerer), c: cs("opening", "application", Continues)},
	OpeningDataObtainedV1:         {who: w(WhoHolder, WhoAuthority)},
	OpeningWithdrawalRequestedV1:  {who: w(WhoHolder), subject: "{actor}/party/{party}"},
	OpeningWithdrawalAnsweredV1:   {who: w(WhoHolder)},
	OpeningSuspendedV1:            {who: w(WhoHolder)},
	OpeningResumedV1:              {who: w(WhoHolder)},
	OpeningRiskFoundV1:            {who: w(WhoHolder, WhoAuthority)},

	// development
	DevelopmentQualificationAppliedV1: {who: w(WhoAuthority), c: cs("development", "application", Opens)},
	DevelopmentQualificationGrantedV1: {who: w(WhoAuthority), c: cs("development", "application", Continues)},
	DevelopmentQualificationRefusedV1: {who: w(WhoAuthority), c: cs("development", "application", Continues)},
	DevelopmentDataDevelopedV1:        {who: w(WhoAuthority, WhoHolder), c: cs("development", "application", Continues)},

	// emergencies
	EmergencyDeclaredV1:            {who: w(WhoOpener), c: cs("emergency", "emergency", Opens)},
	EmergencyEndedV1:               {who: w(WhoOpener), c: cs("emergency", "emergency", Continues)},
	EmergencyDataEvaluatedV1:       {who: w(WhoOpener, WhoCollector), c: cs("emergency", "emergency", Continues)},
	EmergencyDataSealedV1:          {who: w(WhoOpener, WhoCollector), c: cs("emergency", "emergency", Continues)},
	EmergencyDataDestroyedV1:       {who: w(WhoOpener, WhoCollector), c: cs("emergency", "emergency", Continues)},
	EmergencyApplicationShutDownV1: {who: w(WhoOpener, WhoCollector), c: cs("emergency", "emergency", Continues)},

	// outsourcing
	OutsourcingSecurityReviewedV1:               {who: w(WhoOpener), c: cs("contract", "contract", OpensOrContinues)},
	OutsourcingContractSignedV1:                 {who: w(WhoOpener), c: cs("contract", "contract", OpensOrContinues)},
	OutsourcingConfidentialityAgreementSignedV1: {who: w(WhoOpener), c: cs("contract", "contract", Continues)},
	OutsourcingContractAmendedV1:                {who: w(WhoOpener), c: cs("contract", "contract", Continues)},
	OutsourcingContractTerminatedV1:             {who: w(WhoOpener), c: cs("contract", "contract", Continues)},
	OutsourcingAccountsRevokedV1:                {who: w(WhoOpener), c: cs("contract", "contract", Continues)},
	OutsourcingProviderDeletionEvidencedV1:      {who: w(WhoOpener), c: cs("contract", "contract", Continues)},

	// corrections and data-subject requests
	CorrectionRequestedV1:    {who: w(WhoOpener), c: cs("correction", "request", Opens), subject: "{actor}/party/{party}"},
	CorrectionForwardedV1:    {who: w(WhoAuthority), c: cs("correction", "request", Continues)},
	CorrectionExtendedV1:     {who: w(WhoAnswerer), c: cs("correction", "request", Continues), subject: "{actor}/party/{case.party}"},
	CorrectionCompletedV1:    {who: w(WhoAnswerer), c: cs("correction", "request", Continues), subject: "{actor}/party/{case.party}"},
	SubjectRequestReceivedV1: {who: w(WhoOpener), c: cs("subject", "request", Opens), subject: "{actor}/party/{party}"},
	SubjectRequestAnsweredV1: {who: w(WhoAnswerer), c: cs("subject", "request", Continues), subject: "{actor}/party/{case.party}"},

	// enforcement
	RectificationOrderedV1:   {who: w(WhoAuthority), c: cs("rectification", "order", Opens)},
	RectificationCompletedV1: {who: w(WhoAnswerer), c: cs("rectification", "order", Continues)},
	RectificationEscalatedV1: {who: w(WhoOpener), c: cs("rectification", "order", Continues)},
	AccessSuspendedV1:        {who: w(WhoAuthority, WhoHolder)}, // a holder only for resources it holds, named (Art. 42)
	AccessRestoredV1:         {who: w(WhoIssuer, WhoAuthority)},
	LedgerAccessRefusedV1:    {who: w(WhoLedger)},

	// the record itself: only an authority declares a migration of history (Art. 6, 37(6))
	MigrationDeclaredV1: {who: w(WhoAuthority)},

	// security duties
	SecurityApprovalGrantedV1:    {who: w(WhoSelf)},
	SecurityTrainingHeldV1:       {who: w(WhoSelf)},
	SecurityBackupCompletedV1:    {who: w(WhoSelf)},
	SecurityDrillHeldV1:          {who: w(WhoSelf)},
	SecurityIncidentReportedV1:   {who: w(WhoSelf)},
	SecurityIncidentRemediatedV1: {who: w(WhoSelf)},
	SecurityStressTestedV1:       {who: w(WhoSelf)},
}

func w(ws ...Who) []Who { return ws }

func cs(kind, field string, o CaseOpening) *CaseRule {
	return &CaseRule{Kind: kind, Field: field, Open: o}
}

// KeyRole is the key role that may sign for these parties: the root's and the ledger's
// own keys for theirs, an institution key for everything an institution does.
func keyRole(ws []Who) string {
	switch {
	case len(ws) == 1 && ws[0] == WhoRoot:
		return ledger.RoleRoot
	case len(ws) == 1 && ws[0] == WhoLedger:
		return ledger.RoleLedger
	}
	return ledger.RoleInstitution
}

// attachParties fills each type's Who, Case, Subject, Signer and Authority from the
// table; it fails for a type without a row or a row without a type.
func attachParties(ts []*Type) error {
	seen := map[string]bool{}
	for _, t := range ts {
		p, ok := parties[t.Name]
		if !ok {
			return fmt.Errorf("events: %s has no signer rule", t.Name)
		}
		seen[t.Name] = true
		t.Who, t.Case, t.Subject = p.who, p.c, p.subject
		t.Signer = keyRole(p.who)
		t.Authority = len(p.who) == 1 && p.who[0] == WhoAuthority
		for _, x := range p.who {
			if x == WhoRoot || x == WhoLedger {
				if len(p.who) != 1 {
					return fmt.Errorf("events: %s: the root and ledger keys sign alone", t.Name)
				}
			}
			if (x == WhoOpener || x == WhoAnswerer || x == WhoCollector) && p.c == nil {
				return fmt.Errorf("events: %s: %s needs a case", t.Name, x)
			}
		}
		if p.c != nil {
			if !hasField(t, p.c.Field) {
				return fmt.Errorf("events: %s: case field %q is not in the payload", t.Name, p.c.Field)
			}
		}
		if p.subject != "" && !strings.HasPrefix(p.subject, "{actor}/") {
			return fmt.Errorf("events: %s: a subject template starts with {actor}/", t.Name)
		}
	}
	for name := range parties {
		if !seen[name] {
			return fmt.Errorf("events: signer rule for %s, which is not in the catalogue", name)
		}
	}
	return nil
}

func hasField(t *Type, name string) bool {
	_, ok := findField(reflect.ValueOf(t.New()).Elem(), name)
	return ok
}

// Describe says in words who may sign, for documentation and error messages.
func (t *Type) Describe() (en, zh string) {
	var ens, zhs []string
	for _, x := range t.Who {
		e, z := x.Describe()
		ens, zhs = append(ens, e), append(zhs, z)
	}
	return strings.Join(ens, " or "), strings.Join(zhs, "或")
}

// Describe names the party in English and Chinese.
func (x Who) Describe() (en, zh string) {
	switch x {
	case WhoRoot:
		return "the data authority's root key", "数据主管部门根密钥"
	case WhoLedger:
		return "the ledger key", "账本密钥"
	case WhoAuthority:
		return "a public data authority", "公共数据主管部门"
	case WhoSelf:
		return "the institution itself", "本单位"
	case WhoActor:
		return "any registered institution, for its own act", "任一登记机构（仅限本单位行为）"
	case WhoHolder:
		return "the resource's holder", "数据资源责任主体"
	case WhoOpener:
		return "the institution that opened the case", "立案（提出）单位"
	case WhoAnswerer:
		return "the institution the case names to answer", "应答复单位"
	case WhoCollector:
		return "an institution that collected the resource under the emergency", "在该紧急情况下采集该数据的单位"
	case WhoApprover:
		return "the approver the payload names", "载荷所列审批单位"
	case WhoIssuer:
		return "the institution that issued the suspension", "作出暂停决定的单位"
	}
	return string(x), string(x)
}

// Personal lists the JSON paths of the type's personal fields ("items.*.name" for
// array elements): those the catalogue tags sensitive:"personal", but the pseudonymous
// party, which stays in clear because Art. 42 suspensions are checked against it. They
// are recorded encrypted under the subject SubjectOf names, never in clear.
func (t *Type) Personal() []string {
	if v, ok := personalByType.Load(t.Name); ok {
		return v.([]string)
	}
	var out []string
	collectPersonal(reflect.TypeOf(t.New()), "", &out, 0)
	out = slices.DeleteFunc(out, func(p string) bool {
		return p == "party" || strings.HasSuffix(p, ".party") || p == t.Party
	})
	slices.Sort(out)
	personalByType.Store(t.Name, out)
	return out
}

var personalByType sync.Map

func collectPersonal(rt reflect.Type, prefix string, out *[]string, depth int) {
	for rt.Kind() == reflect.Pointer || rt.Kind() == reflect.Slice || rt.Kind() == reflect.Array {
		if rt.Kind() != reflect.Pointer {
			prefix += ".*"
		}
		rt = rt.Elem()
	}
	if rt.Kind() != reflect.Struct || depth > 8 {
		return
	}
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" {
			collectPersonal(f.Type, prefix, out, depth+1)
			continue
		}
		if name == "" {
			name = f.Name
		}
		path := strings.TrimPrefix(prefix+"."+name, ".")
		if f.Tag.Get("sensitive") == "personal" {
			*out = append(*out, path)
		}
		collectPersonal(f.Type, path, out, depth+1)
	}
}

var subjectField = regexp.MustCompile(`\{[a-z_.]+\}`)

// SubjectOf expands the type's subject template for one act: {actor} is the acting
// institution, {case.party} the party its case names, any other {field} the payload's
// top-level field, as field returns them. "" when the type names no subject.
func (t *Type) SubjectOf(actor string, field func(name string) string) string {
	if t.Subject == "" {
		return ""
	}
	return subjectField.ReplaceAllStringFunc(t.Subject, func(m string) string {
		f := m[1 : len(m)-1]
		if f == "actor" {
			return actor
		}
		return field(f)
	})
}

// CaseName names a case kind in English and Chinese, for messages and documents.
func CaseName(kind string) (en, zh string) {
	switch kind {
	case "share":
		return kindEN[kind], "共享申请"
	case "verification":
		return kindEN[kind], "核实比对需求"
	case "opening":
		return kindEN[kind], "开放申请"
	case "development":
		return kindEN[kind], "开发资格申请"
	case "correction":
		return kindEN[kind], "校核申请"
	case "subject":
		return kindEN[kind], "数据主体请求"
	case "rectification":
		return kindEN[kind], "整改通知"
	case "emergency":
		return kindEN[kind], "紧急情况"
	case "contract":
		return kindEN[kind], "服务外包协议"
	case "project":
		return kindEN[kind], "信息化项目"
	case "inconsistency":
		return kindEN[kind], "数据不一致案件"
	}
	return kind, kind
}

var kindEN = map[string]string{"share": "share application", "verification": "verification request", "opening": "opening application",
	"development": "development qualification application", "correction": "correction request", "subject": "data-subject request",
	"rectification": "rectification order", "emergency": "emergency", "contract": "outsourcing contract", "project": "IT project",
	"inconsistency": "inconsistency case"}
