package policy_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
)

func TestEmbeddedPolicy(t *testing.T) {
	v, err := policy.At(calendar.MustParse("2025-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"D1": 10, "D2": 3, "D3": 5, "D4": 2, "D5": 7, "D6": 0, "D7": 0, "D8": 10, "D9": 1, "D10": 10, "D12": 15}
	for id, n := range want {
		d := v.Deadline(id)
		if d.Workdays == nil || *d.Workdays != n {
			t.Errorf("%s workdays = %v, want %d (obligations.md)", id, d.Workdays, n)
		}
	}
	if d := v.Deadline("D3"); d.ExtendedWorkdays == nil || *d.ExtendedWorkdays != 10 {
		t.Error("D3 extension is not 10 working days (第二十条)")
	}
	if d := v.Deadline("D11"); d.Workdays != nil || d.FromAct == "" {
		t.Error("D11 must come from the rectification order")
	}
	if got := v.Finding("F2").Cites; strings.Join(got, ",") != "第四十一条第(一)项,第十二条,第十三条" {
		t.Errorf("F2 cites %v", got)
	}
	if got := v.Finding("F18").Cites; got[0] != "第四十二条" {
		t.Errorf("F18 cites %v", got)
	}
	for _, id := range policy.FindingIDs {
		if !strings.HasPrefix(v.Finding(id).Cites[0], "第四十") {
			t.Errorf("%s's first citation %s is not Art. 41 or 42", id, v.Finding(id).Cites[0])
		}
	}
}

func TestEffectiveRange(t *testing.T) {
	tests := []struct {
		day  string
		want string // version id, or "" for none
	}{
		{"2024-12-30", ""},
		{"2024-12-31", "aba-2024-trial"},
		{"2026-12-30", "aba-2024-trial"},
		{"2026-12-31", ""}, // two years (第四十四条) are over
	}
	for _, tt := range tests {
		t.Run(tt.day, func(t *testing.T) {
			v, err := policy.At(calendar.MustParse(tt.day))
			if tt.want == "" {
				if !errors.Is(err, policy.ErrNoPolicy) {
					t.Fatalf("At(%s) = %v, %v; want ErrNoPolicy", tt.day, v, err)
				}
				return
			}
			if err != nil || v.ID != tt.want {
				t.Fatalf("At(%s) = %v, %v; want %s", tt.day, v, err, tt.want)
			}
		})
	}
}

func TestOperatorVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.json")
	body := `{"versions":[
	 {"id":"aba-2025-06","extends":"aba-2024-trial","title_zh":"调整","title_en":"adjusted",
	  "effective_from":"2025-06-01","effective_until":"2026-12-31","deadlines":{"D9":{"workdays":2}}},
	 {"id":"aba-2027","extends":"aba-2024-trial","title_zh":"修订版","title_en":"revised",
	  "effective_from":"2026-12-31","effective_until":"2028-12-31"}]}`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := policy.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		day, id string
		d9      int
	}{{"2025-05-31", "aba-2024-trial", 1}, {"2025-06-01", "aba-2025-06", 2}, {"2027-03-01", "aba-2027", 1}} {
		v, err := s.At(calendar.MustParse(tc.day))
		if err != nil {
			t.Fatal(err)
		}
		if v.ID != tc.id || *v.Deadline("D9").Workdays != tc.d9 {
			t.Errorf("At(%s) = %s with D9 %d; want %s with %d", tc.day, v.ID, *v.Deadline("D9").Workdays, tc.id, tc.d9)
		}
		if v.Deadline("D9").Articles[0] != "第三十九条" {
			t.Errorf("merge lost D9's article: %v", v.Deadline("D9").Articles)
		}
	}
	// The embedded default is untouched.
	if v, _ := policy.At(calendar.MustParse("2025-07-01")); *v.Deadline("D9").Workdays != 1 {
		t.Error("loading an operator file changed the default")
	}
}

func TestBadPolicyRefused(t *testing.T) {
	base, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, body, want string }{
		{"missing deadline", `{"versions":[{"id":"x","extends":"aba-2024-trial","effective_from":"2027-01-01","effective_until":"2028-01-01","deadlines":{"D5":null}}]}`, "deadlines.D5 is missing"},
		{"negative workdays", `{"versions":[{"id":"x","extends":"aba-2024-trial","effective_from":"2027-01-01","effective_until":"2028-01-01","deadlines":{"D5":{"workdays":-1}}}]}`, "D5"},
		{"unknown deadline", `{"versions":[{"id":"x","extends":"aba-2024-trial","effective_from":"2027-01-01","effective_until":"2028-01-01","deadlines":{"D99":{"workdays":1}}}]}`, "D99"},
		{"same start", `{"versions":[{"id":"x","extends":"aba-2024-trial","effective_from":"2024-12-31","effective_until":"2028-01-01"}]}`, "ambiguous"},
		{"range backwards", `{"versions":[{"id":"x","extends":"aba-2024-trial","effective_from":"2028-01-01","effective_until":"2027-01-01"}]}`, "after effective_from"},
		{"unknown base", `{"versions":[{"id":"x","extends":"nope","effective_from":"2027-01-01","effective_until":"2028-01-01"}]}`, "no version"},
		{"duplicate id", `{"versions":[{"id":"aba-2024-trial","effective_from":"2027-01-01","effective_until":"2028-01-01"}]}`, "already defined"},
		{"bad basis", `{"versions":[{"id":"x","extends":"aba-2024-trial","effective_from":"2027-01-01","effective_until":"2028-01-01","parameters":{"drill_min_per_year":{"basis":"whim"}}}]}`, "basis"},
		{"unknown field", `{"versions":[{"id":"x","extends":"aba-2024-trial","effective_from":"2027-01-01","effective_until":"2028-01-01","deadline":{}}]}`, "unknown field"},
		{"bad date", `{"versions":[{"id":"x","extends":"aba-2024-trial","effective_from":"2027-02-30","effective_until":"2028-01-01"}]}`, "not a date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Parse(base, []byte(tt.body), "test")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestDeadlineDue(t *testing.T) {
	v, err := policy.At(calendar.MustParse("2026-09-30"))
	if err != nil {
		t.Fatal(err)
	}
	cal := calendar.Default()
	due, err := v.Deadline("D9").Due(cal, calendar.MustParse("2026-09-30"), false)
	if err != nil || due.String() != "2026-10-08" {
		t.Errorf("D9 due = %s, %v; want 2026-10-08", due, err)
	}
	due, err = v.Deadline("D3").Due(cal, calendar.MustParse("2026-09-30"), true)
	if err != nil || due.String() != "2026-10-20" {
		t.Errorf("D3 extended due = %s, %v; want 2026-10-20", due, err)
	}
	if _, err := v.Deadline("D11").Due(cal, calendar.MustParse("2026-09-30"), false); err == nil {
		t.Error("D11 has no policy due date")
	}
}

func ExampleAt() {
	v, _ := policy.At(calendar.MustParse("2025-03-01"))
	d5 := v.Deadline("D5")
	fmt.Println(v.ID, *d5.Workdays, policy.Cite(d5.Articles))
	// Output: aba-2024-trial 7 第二十五条
}
