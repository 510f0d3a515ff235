// Package domain is the vocabulary of the Aba Prefecture Public Data Management Measures
// as the ledger speaks it: the articles (Article), the closed sets the Measures define
// (levels and kinds of institution, sharing and opening attributes, Art. 42 grounds, …)
// and the field-level problems a payload can have (Problems).
//
// It guarantees that an enum value that is not in its set cannot be built: the enum types
// are structs with an unexported field, made only from their declared values or by
// parsing, and parsing an unknown value fails with an error that names the article that
// defines the set. The zero value is "not given" and is what Required checks.
//
// # Basics
//
//	var a domain.SharingAttribute
//	err := a.UnmarshalText([]byte("sometimes")) // *EnumError citing 第二十四条
//	domain.SharingConditional.String()         // "conditional"
//
// Validation collects every problem (Problems, then Err joins them with errors.Join);
// each is a *ledger.Problem (the one refusal type from the domain to the HTTP body)
// naming the JSON field and the article it enforces, in English and Simplified Chinese.
//
// # Caveats
//
// Article citations use the Measures' own numbering as printed (第二十四条, with 条), so
// that a citation can be searched for in the text; messages are otherwise in Simplified
// Chinese.
package domain
