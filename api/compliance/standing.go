package compliance

import "github.com/prometheus/client_golang/prometheus"

// Institution is a registered institution: its series exist from registration on (at 0
// until its first overdue obligation or finding), and its county lets dashboards and
// alerts group by county by joining on ledger_institution_info.
type Institution struct {
	ID     string
	County string // county (city) code; "prefecture" for an institution at prefecture level
}

// EmergencyData is one group of data collected under emergencies (Art. 21): by the
// institution that collected it and where its evaluation and sealing or destruction
// stand against D8.
type EmergencyData struct {
	Institution string
	State       string // one of EmergencyStates
	Count       int
}

// Standing is the registry's and the emergency register's state that the security and
// emergency dashboards show: counts only, no personal data.
type Standing struct {
	Institutions []Institution
	// Suspended counts the parties with an access suspension in force (Art. 42) by party
	// kind (one of PartyKinds).
	Suspended map[string]int
	// Emergencies counts the emergencies of the register by state (one of
	// EmergencyStates): active (not ended), pending (ended, D8 running), overdue, …
	Emergencies map[string]int
	// EmergencyData groups the data collected under emergencies.
	EmergencyData []EmergencyData
}

// EmergencyStates are the states of an emergency and of its data (projections/emergencies):
// every one is exported at 0, so that a panel per state never says "No data".
var EmergencyStates = []string{"active", "pending", "overdue", "unknown", "late", "done"}

// AwaitingStates are the states of emergency data whose evaluation and sealing or
// destruction (Art. 21 para 2) is not yet done.
var AwaitingStates = []string{"active", "pending", "overdue", "unknown"}

// PartyKinds are the kinds of party an access suspension names (Art. 42).
var PartyKinds = []string{"natural_person", "legal_person", "unincorporated_organisation"}

// Metric names of the standing, for the dashboards and their tests.
const (
	MetricInstitution   = "ledger_institution_info"
	MetricSuspended     = "ledger_suspended_parties"
	MetricEmergencies   = "ledger_emergencies"
	MetricEmergencyData = "ledger_emergency_data"
)

var (
	institutionDesc = prometheus.NewDesc(MetricInstitution,
		"Always 1 for every registered institution; its county label lets queries group per county (… * on (institution) group_left (county) ledger_institution_info).",
		[]string{"institution", "county"}, nil)
	suspendedDesc = prometheus.NewDesc(MetricSuspended,
		"Parties whose access to public data is suspended now (Art. 42), by party kind.",
		[]string{"party_kind"}, nil)
	emergenciesDesc = prometheus.NewDesc(MetricEmergencies,
		"Emergencies of the register (Art. 21) by state: active (not ended), pending (ended, D8 running), overdue (D8 passed, duties not done), unknown, late, done.",
		[]string{"state"}, nil)
	emergencyDataDesc = prometheus.NewDesc(MetricEmergencyData,
		"Resources collected under emergencies, by collecting institution and state of their evaluation and sealing or destruction against D8 (Art. 21 para 2).",
		[]string{"institution", "state"}, nil)
)

// collectStanding sends the standing's series; closed label sets are sent at 0 too.
func collectStanding(ch chan<- prometheus.Metric, s Standing) {
	for _, in := range s.Institutions {
		ch <- metric(institutionDesc, prometheus.GaugeValue, 1, in.ID, in.County)
	}
	for _, k := range PartyKinds {
		ch <- metric(suspendedDesc, prometheus.GaugeValue, float64(s.Suspended[k]), k)
	}
	for _, st := range EmergencyStates {
		ch <- metric(emergenciesDesc, prometheus.GaugeValue, float64(s.Emergencies[st]), st)
	}
	type key struct{ inst, state string }
	data := map[key]int{}
	var order []key
	for _, d := range s.EmergencyData {
		k := key{d.Institution, d.State}
		if _, ok := data[k]; !ok {
			order = append(order, k)
		}
		data[k] += d.Count
	}
	for _, k := range order {
		ch <- metric(emergencyDataDesc, prometheus.GaugeValue, float64(data[k]), k.inst, k.state)
	}
}
