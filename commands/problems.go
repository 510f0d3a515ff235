package commands

import (
	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/ledger"
)

// PayloadPrefix is the JSON path of the payload in a POST /v1/events body.
const PayloadPrefix = "submission.payload."

func refuse(kind error, code, field string, art domain.Article, en, zh string) *ledger.Problem {
	return &ledger.Problem{Kind: kind, Code: code, Field: field, Message: en, MessageZH: zh, Cite: art.String(), CiteEN: art.EN()}
}
