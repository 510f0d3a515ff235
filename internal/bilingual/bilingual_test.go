package bilingual

import "testing"

func TestLine(t *testing.T) {
	for _, c := range []struct{ msg, want string }{
		{"open x: timeout", "open x: timeout (输入有误)"},
		{"需要 --data 参数 (--data is required)", "需要 --data 参数 (--data is required)"},
		{"", " (输入有误)"},
	} {
		if got := Line(c.msg, "输入有误"); got != c.want {
			t.Errorf("Line(%q) = %q, want %q", c.msg, got, c.want)
		}
	}
}
