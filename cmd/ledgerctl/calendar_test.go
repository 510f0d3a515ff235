package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCalendarCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cal.json")
	if err := os.WriteFile(file, []byte(`{"years":[{"year":2028,"source":"t","days_off":["2028-01-03"],"working_days":[]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LEDGER_CALENDAR", "")
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"across national day", []string{"calendar", "add-workdays", "2026-09-30", "1"}, 0, "2026-10-08\n"},
		{"adjusted saturday", []string{"calendar", "is-workday", "2026-10-10"}, 0, "true\n"},
		{"spring festival", []string{"calendar", "is-workday", "2026-02-17"}, 0, "false\n"},
		{"year without data", []string{"calendar", "add-workdays", "2028-03-01", "1"}, 2, ""},
		{"is-workday without data", []string{"calendar", "is-workday", "2028-03-01"}, 2, ""},
		{"operator file adds 2028", []string{"calendar", "--calendar", file, "add-workdays", "2028-01-02", "1"}, 0, "2028-01-04\n"},
		{"bad date", []string{"calendar", "add-workdays", "2026-13-01", "1"}, 2, ""},
		{"bad n", []string{"calendar", "add-workdays", "2026-10-01", "x"}, 2, ""},
		{"missing file", []string{"calendar", "--calendar", file + ".none", "is-workday", "2026-10-01"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRoot()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetArgs(tt.args)
			err := root.Execute()
			code := 0
			if err != nil {
				code = exitUsage
				if ee, ok := err.(*exitError); ok {
					code = ee.code
				}
			}
			if code != tt.code || out.String() != tt.out {
				t.Errorf("exit %d, output %q (err %v); want %d, %q", code, out.String(), err, tt.code, tt.out)
			}
			if code == 2 && err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}
