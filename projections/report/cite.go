package report

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/domain/calendar"
)

var citeRE = regexp.MustCompile(`^第([一二三四五六七八九十百零〇]+)条(?:第([一二三四五六七八九十]+)款)?(?:第\(([一二三四五六七八九十]+)\)项)?$`)

// Cite turns an article as the policy writes it (Simplified Chinese) into both
// languages, the form every report cites in: 第四十一条第(二)项 is Art. 41(2),
// 第十四条第二款 is Art. 14 para 2. A form it does not know keeps its Chinese text in
// English too, so a citation is never lost.
func Cite(zh string) Text {
	m := citeRE.FindStringSubmatch(zh)
	if m == nil {
		return Text{ZH: zh, EN: zh}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Art. %d", numeral(m[1]))
	if m[3] != "" {
		fmt.Fprintf(&b, "(%d)", numeral(m[3]))
	}
	if m[2] != "" {
		fmt.Fprintf(&b, " para %d", numeral(m[2]))
	}
	return Text{ZH: zh, EN: b.String()}
}

// Cites is several articles on one line: "第十六条、第四十一条第(一)项" and
// "Art. 16, Art. 41(1)".
func Cites(zh []string) Text {
	z, e := make([]string, len(zh)), make([]string, len(zh))
	for i, c := range zh {
		t := Cite(c)
		z[i], e[i] = t.ZH, t.EN
	}
	return Text{ZH: strings.Join(z, "、"), EN: strings.Join(e, ", ")}
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

// Seqs lists ledger positions as evidence ("12, 40, 41"): each one can be proved with
// `ledgerctl prove --seq N`.
func Seqs(ss ...uint64) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.FormatUint(s, 10)
	}
	return strings.Join(out, ", ")
}

// Problems keeps what a fold's Apply reported (a day without policy or calendar data)
// without stopping the fold: Model.Apply has no error, and a report with one
// undetermined deadline is still worth reading. It keeps the first problem and counts
// the rest. It is part of a model's state: GobEncode and GobDecode carry it in a
// snapshot (the first problem as its text, which is all a note shows).
type Problems struct {
	first error
	n     int
}

// GobEncode writes the count (uvarint) and the first problem's text.
func (p Problems) GobEncode() ([]byte, error) {
	b := binary.AppendUvarint(nil, uint64(p.n))
	if p.first != nil {
		b = append(b, p.first.Error()...)
	}
	return b, nil
}

// GobDecode restores what GobEncode wrote.
func (p *Problems) GobDecode(b []byte) error {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > math.MaxInt32 || n == 0 && len(b) != k {
		return fmt.Errorf("report: problems: malformed (%d bytes)", len(b))
	}
	*p = Problems{n: int(n)}
	if n > 0 {
		p.first = errors.New(string(b[k:]))
	}
	return nil
}

// Keep records err if it is not nil.
func (p *Problems) Keep(err error) {
	if err == nil {
		return
	}
	if p.first == nil {
		p.first = err
	}
	p.n++
}

// Notes is the report note for the problems kept: none, or one naming the first and
// how many there were.
func (p *Problems) Notes() []Text {
	if p.first == nil {
		return nil
	}
	return []Text{T(fmt.Sprintf("有 %d 项无法按策略或日历判定（未作推测），第一项：%v", p.n, p.first),
		fmt.Sprintf("%d item(s) could not be judged for lack of policy or calendar data (nothing was guessed); the first: %v", p.n, p.first))}
}

// Day is d as YYYY-MM-DD, or "—" for no day (a deadline not set, an act not done), so a
// zero date never reads as a real one.
func Day(d calendar.Date) string {
	if !d.Valid() {
		return Dash("")
	}
	return d.String()
}

// Name is an institution's registered name in both languages, or "(not registered)"
// when the ledger holds none, so an unknown actor stands out instead of leaving a blank.
func Name(zh, en string) Text {
	if zh == "" && en == "" {
		return T("（未登记）", "(not registered)")
	}
	return T(zh, en)
}

// ProveNote tells the reader how to check a report's evidence: every kind that lists
// ledger positions ends with it.
var ProveNote = T("证据列为账本序号，可用 ledgerctl prove --seq N 取得包含证明。",
	"Evidence is given as ledger positions; ledgerctl prove --seq N gives an inclusion proof.")

// Dash is s, or "—" when s is empty: a blank cell reads as missing data, a dash as
// "nothing there".
func Dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
