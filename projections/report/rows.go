package report

// RowMap is row j of s as machines read it: the cell texts in l under the column keys,
// and each coded cell's code under "<key>_code". The JSON form and the read-model tables
// (projections/readmodel) both use it, so a column means the same in both.
func (s *Section) RowMap(j int, l Lang) map[string]string {
	row := s.Rows[j]
	m := make(map[string]string, len(row)+2)
	for k, c := range row {
		m[s.Columns[k].Key] = c.Text.In(l)
		if c.Code != "" {
			m[s.Columns[k].Key+"_code"] = c.Code
		}
	}
	return m
}
