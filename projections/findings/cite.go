package findings

import (
	"strings"

	"github.com/aba-prefecture/dataledger/projections/report"
)

// Citation is one article a finding cites, in both languages: 第四十一条第(二)项 is
// Art. 41(2), 第十四条第二款 is Art. 14 para 2.
type Citation = report.Text

// Cite turns a policy citation (Simplified Chinese, as the policy file writes it) into
// both languages (report.Cite: every report cites the same way). A form it does not know
// keeps its Chinese text in English too.
func Cite(zh string) Citation { return report.Cite(zh) }

// joinCites formats citations for one line: "第四十一条第(一)项、第十六条" and
// "Art. 41(1), Art. 16".
func joinCites(cs []Citation) (zh, en string) {
	z, e := make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		z[i], e[i] = c.ZH, c.EN
	}
	return strings.Join(z, "、"), strings.Join(e, ", ")
}
