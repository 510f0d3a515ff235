package domain

import (
	"fmt"
	"strings"
)

// Article cites the Measures: article N, optionally item Item (第四十一条第(二)项) or
// paragraph Para (第十七条第三款). Zero Item and Para cite the whole article.
type Article struct {
	N    int
	Para int
	Item int
}

// Art cites article n.
func Art(n int) Article { return Article{N: n} }

// ItemOf cites item i of the article (第(i)项).
func (a Article) ItemOf(i int) Article { a.Item = i; return a }

// ParaOf cites paragraph p of the article (第p款).
func (a Article) ParaOf(p int) Article { a.Para = p; return a }

// String is the citation as the Measures print it: 第四十一条第(二)项.
func (a Article) String() string {
	var b strings.Builder
	b.WriteString("第" + numeral(a.N) + "条")
	if a.Para > 0 {
		b.WriteString("第" + numeral(a.Para) + "款")
	}
	if a.Item > 0 {
		b.WriteString("第(" + numeral(a.Item) + ")项")
	}
	return b.String()
}

// EN is the English citation: Art. 41(2), Art. 17 para 3.
func (a Article) EN() string {
	s := fmt.Sprintf("Art. %d", a.N)
	if a.Para > 0 {
		s += fmt.Sprintf(" para %d", a.Para)
	}
	if a.Item > 0 {
		s += fmt.Sprintf("(%d)", a.Item)
	}
	return s
}

// MarshalText writes the Chinese citation, the form findings and documents use.
func (a Article) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Cite joins citations: 第二十四条、第二十五条.
func Cite(arts ...Article) string {
	s := make([]string, len(arts))
	for i, a := range arts {
		s[i] = a.String()
	}
	return strings.Join(s, "、")
}

// CiteEN joins English citations: Art. 24, Art. 25.
func CiteEN(arts ...Article) string {
	s := make([]string, len(arts))
	for i, a := range arts {
		s[i] = a.EN()
	}
	return strings.Join(s, ", ")
}

var digits = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// numeral writes 1–99 the way the Measures number articles: 十, 十一, 二十, 四十四.
func numeral(n int) string {
	switch {
	case n <= 0 || n >= 100:
		return fmt.Sprint(n)
	case n < 10:
		return digits[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + digits[n%10]
	case n%10 == 0:
		return digits[n/10] + "十"
	default:
		return digits[n/10] + "十" + digits[n%10]
	}
}
