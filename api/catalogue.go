package api

import (
	"net/http"
	"strconv"

	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
)

// eventTypeJSON is one entry of GET /v1/event-types: enough for an institution's
// developer to pick the type of an act, know which articles it serves and who signs it,
// and fetch the schema to check a payload before signing.
type eventTypeJSON struct {
	Name          string   `json:"name"`
	Act           string   `json:"act"`
	DescriptionZH string   `json:"description_zh"`
	DescriptionEN string   `json:"description_en"`
	Articles      []string `json:"articles"`
	ArticlesEN    []string `json:"articles_en"`
	Signer        string   `json:"signer"`
	Stream        string   `json:"stream"`
	Authority     bool     `json:"authority_only,omitempty"`
	Schema        string   `json:"schema"`
	Example       any      `json:"example,omitempty"`
	// KeyRegistry marks the key registry's acts (key.registered/rotated/revoked.v1): the
	// ledger's own, outside the catalogue, listed so that a client can enrol a key.
	KeyRegistry bool   `json:"key_registry,omitempty"`
	Notes       string `json:"notes,omitempty"`
}

type eventTypesJSON struct {
	Count int             `json:"count"`
	Types []eventTypeJSON `json:"types"`
}

// catalogueBody is built once: the catalogue is fixed for a build.
var catalogueBody = func() eventTypesJSON {
	all := events.All()
	out := eventTypesJSON{Count: len(all), Types: make([]eventTypeJSON, 0, len(all))}
	for _, t := range all {
		j := eventTypeJSON{Name: t.Name, Act: t.Act, DescriptionZH: t.ZH, DescriptionEN: t.EN, Signer: t.Signer,
			Stream: t.Stream, Authority: t.Authority, Schema: "/v1/event-types/" + t.Name + "/schema", Example: t.Example}
		for _, a := range t.Articles {
			j.Articles = append(j.Articles, a.String())
			j.ArticlesEN = append(j.ArticlesEN, a.EN())
		}
		out.Types = append(out.Types, j)
	}
	for _, k := range events.KeyTypes() {
		out.Types = append(out.Types, eventTypeJSON{Name: k.Name, Act: "key registry (密钥登记)", DescriptionZH: k.ZH, DescriptionEN: k.EN,
			Signer: ledger.RoleRoot, Stream: events.KeyStream, Schema: "/v1/event-types/" + k.Name + "/schema", Example: k.Example,
			KeyRegistry: true, Notes: k.Notes})
	}
	out.Count = len(out.Types)
	return out
}()

// getEventTypes serves the event catalogue (docs/events.md as data).
func (s *Server) getEventTypes(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, catalogueBody)
}

// getEventTypeSchema serves the JSON Schema of one type's payload.
func (s *Server) getEventTypeSchema(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("type")
	b, ok := events.Schema(name)
	if !ok {
		s.refuse(w, r, problem(ledger.ErrNotFound, "unknown_type", "type",
			"no event type "+strconv.Quote(name)+" in the catalogue (GET /v1/event-types lists them)",
			"事件目录中没有类型 "+strconv.Quote(name)+"（见 GET /v1/event-types）"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/schema+json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
