package commands

import (
	"errors"
	"fmt"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/ledger"
)

// PayloadPrefix is the JSON path of the payload in a POST /v1/events body.
const PayloadPrefix = "submission.payload."

// toProblems turns the domain's field errors into ledger Problems (joined), with the
// citation appended to both messages.
func toProblems(err error, prefix string) error {
	if err == nil {
		return nil
	}
	var fes []*domain.FieldError
	var walk func(error)
	walk = func(e error) {
		var fe *domain.FieldError
		if errors.As(e, &fe) && fe == e {
			fes = append(fes, fe)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	if len(fes) == 0 {
		return err
	}
	out := make([]error, len(fes))
	for i, fe := range fes {
		out[i] = &ledger.Problem{Kind: ledger.ErrInvalid, Code: fe.Code, Field: prefix + fe.Field,
			Message:   fmt.Sprintf("%s (%s, %s)", fe.Message, fe.Article, fe.Article.EN()),
			MessageZH: fmt.Sprintf("%s（%s）", fe.MessageZH, fe.Article)}
	}
	return errors.Join(out...)
}

func refuse(kind error, code, field string, art domain.Article, en, zh string) *ledger.Problem {
	return &ledger.Problem{Kind: kind, Code: code, Field: field,
		Message: fmt.Sprintf("%s (%s, %s)", en, art, art.EN()), MessageZH: fmt.Sprintf("%s（%s）", zh, art)}
}

// Problems returns every *ledger.Problem in err (joined or single), for transports that
// report all of them.
func Problems(err error) []*ledger.Problem {
	var out []*ledger.Problem
	var walk func(error)
	walk = func(e error) {
		if p, ok := e.(*ledger.Problem); ok {
			out = append(out, p)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}
