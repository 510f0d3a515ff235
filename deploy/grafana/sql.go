package grafana

import (
	"encoding/json"
	"errors"

	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// PostgresType is the plugin id of Grafana's PostgreSQL data source (core since
// Grafana 10).
const PostgresType = "grafana-postgresql-datasource"

// SQLQuery is a target of Grafana's PostgreSQL data source in code mode. The SDK has no
// builder for that plugin, so the dashboards carry their own: the fields Grafana reads
// from a saved panel (refId, datasource, rawSql, format, and the editor's mode).
type SQLQuery struct {
	RefID      string                `json:"refId"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	RawSQL     string                `json:"rawSql"`
	Format     string                `json:"format"`
	EditorMode string                `json:"editorMode"`
	RawQuery   bool                  `json:"rawQuery"`
}

// ImplementsDataqueryVariant makes SQLQuery a panel target.
func (SQLQuery) ImplementsDataqueryVariant() {}

// DataqueryType is the plugin id.
func (SQLQuery) DataqueryType() string { return PostgresType }

// Equals compares two targets.
func (q SQLQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(SQLQuery)
	if !ok {
		return false
	}
	a, _ := json.Marshal(q)
	b, _ := json.Marshal(o)
	return string(a) == string(b)
}

// Validate refuses a target without SQL or refId.
func (q SQLQuery) Validate() error {
	if q.RawSQL == "" || q.RefID == "" {
		return errors.New("grafana: SQL target needs rawSql and refId")
	}
	return nil
}

// sqlBuilder builds an SQLQuery as the SDK's builders build theirs.
type sqlBuilder struct{ q SQLQuery }

// sqlQuery is a table-format SQL target on the PostgreSQL data source variable.
func sqlQuery(sql string) *sqlBuilder {
	ds := pgSource
	return &sqlBuilder{q: SQLQuery{RawSQL: sql, Format: "table", EditorMode: "code", RawQuery: true, Datasource: &ds}}
}

// RefId sets the target's reference.
func (b *sqlBuilder) RefId(id string) *sqlBuilder { b.q.RefID = id; return b }

// Build implements cog.Builder.
func (b *sqlBuilder) Build() (variants.Dataquery, error) {
	if err := b.q.Validate(); err != nil {
		return nil, err
	}
	return b.q, nil
}
