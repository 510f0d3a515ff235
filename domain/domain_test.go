package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain"
)

func TestArticle(t *testing.T) {
	tests := []struct {
		a      domain.Article
		zh, en string
	}{
		{domain.Art(3), "第三条", "Art. 3"},
		{domain.Art(10), "第十条", "Art. 10"},
		{domain.Art(14).ParaOf(2), "第十四条第二款", "Art. 14 para 2"},
		{domain.Art(24), "第二十四条", "Art. 24"},
		{domain.Art(41).ItemOf(2), "第四十一条第(二)项", "Art. 41(2)"},
		{domain.Art(41).ItemOf(11), "第四十一条第(十一)项", "Art. 41(11)"},
		{domain.Art(44), "第四十四条", "Art. 44"},
	}
	for _, tt := range tests {
		if tt.a.String() != tt.zh || tt.a.EN() != tt.en {
			t.Errorf("%#v = %s / %s, want %s / %s", tt.a, tt.a, tt.a.EN(), tt.zh, tt.en)
		}
	}
}

func TestEnumCannotBeBuiltInvalid(t *testing.T) {
	var a domain.SharingAttribute
	err := a.UnmarshalText([]byte("sometimes"))
	var ee *domain.EnumError
	if !errors.As(err, &ee) || ee.Article != domain.Art(24) || !a.IsZero() {
		t.Fatalf("UnmarshalText(sometimes) = %v, value %q", err, a)
	}
	if !strings.Contains(err.Error(), "第二十四条") || !strings.Contains(ee.ZH(), "第二十四条") {
		t.Errorf("error does not cite the article: %v / %s", err, ee.ZH())
	}
	if err := a.UnmarshalText([]byte("conditional")); err != nil || a != domain.SharingConditional {
		t.Errorf("UnmarshalText(conditional) = %v, %v", a, err)
	}
	if domain.SharingConditional.ZH() != "有条件共享" {
		t.Error(domain.SharingConditional.ZH())
	}
}

func TestProblems(t *testing.T) {
	var p domain.Problems
	p.Required("a", false, domain.Art(14))
	q := p.At("sharing")
	q.RequiredFor("reason", false, domain.Art(24).ParaOf(3), "for conditional sharing", "有条件共享须说明理由")
	p.At("items").At("[2]").ID("name", "Bad Name", domain.Art(14))
	errs := p.Errors()
	if len(errs) != 3 {
		t.Fatalf("%d problems: %v", len(errs), p.Err())
	}
	for i, f := range []string{"a", "sharing.reason", "items[2].name"} {
		if errs[i].Field != f {
			t.Errorf("problem %d names %s, want %s", i, errs[i].Field, f)
		}
	}
}

func ExampleArticle() {
	fmt.Println(domain.Art(41).ItemOf(10), domain.Art(41).ItemOf(10).EN())
	// Output: 第四十一条第(十)项 Art. 41(10)
}
