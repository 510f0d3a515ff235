package findings

import (
	"fmt"
	"regexp"
	"strings"
)

// Citation is one article a finding cites, in both languages: 第四十一条第(二)项 is
// Art. 41(2), 第十四条第二款 is Art. 14 para 2.
type Citation struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

var citeRE = regexp.MustCompile(`^第([一二三四五六七八九十百零〇]+)条(?:第([一二三四五六七八九十]+)款)?(?:第\(([一二三四五六七八九十]+)\)项)?$`)

// Cite turns a policy citation (Simplified Chinese, as the policy file writes it) into
// both languages. A form it does not know keeps its Chinese text in English too.
func Cite(zh string) Citation {
	m := citeRE.FindStringSubmatch(zh)
	if m == nil {
		return Citation{ZH: zh, EN: zh}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Art. %d", numeral(m[1]))
	if m[3] != "" {
		fmt.Fprintf(&b, "(%d)", numeral(m[3]))
	}
	if m[2] != "" {
		fmt.Fprintf(&b, " para %d", numeral(m[2]))
	}
	return Citation{ZH: zh, EN: b.String()}
}

// numeral reads a Chinese numeral below 1000 (四十一 = 41, 十六 = 16, 一百零二 = 102).
func numeral(s string) int {
	digits := map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	total, cur := 0, 0
	for _, r := range s {
		switch r {
		case '百':
			total += max(cur, 1) * 100
			cur = 0
		case '十':
			total += max(cur, 1) * 10
			cur = 0
		default:
			cur = digits[r]
		}
	}
	return total + cur
}

// joinCites formats citations for one line: "第四十一条第(一)项、第十六条" and
// "Art. 41(1), Art. 16".
func joinCites(cs []Citation) (zh, en string) {
	z, e := make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		z[i], e[i] = c.ZH, c.EN
	}
	return strings.Join(z, "、"), strings.Join(e, ", ")
}
