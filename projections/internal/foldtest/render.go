package foldtest

import (
	"bytes"
	"encoding/json"

	"github.com/aba-prefecture/dataledger/projections/report"
)

// Rows renders r as JSON in l, the form programs read, and returns each section's rows
// by section key, so a kind's test asserts what a reader of the JSON would see (cell
// texts and their "<key>_code").
func Rows(r *report.Report, l report.Lang) (map[string][]map[string]string, error) {
	var buf bytes.Buffer
	if err := report.Render(&buf, r, report.FormatJSON, l); err != nil {
		return nil, err
	}
	var out struct {
		Sections []struct {
			Key  string              `json:"key"`
			Rows []map[string]string `json:"rows"`
		} `json:"sections"`
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		return nil, err
	}
	rows := map[string][]map[string]string{}
	for _, s := range out.Sections {
		rows[s.Key] = s.Rows
	}
	return rows, nil
}
