package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/invopop/jsonschema"
)

// SchemaBase prefixes every schema's $id.
const SchemaBase = "https://schemas.aba-dataledger.example/events/"

type enumer interface{ EnumValues() []string }

var enumerType = reflect.TypeFor[enumer]()

func reflector() *jsonschema.Reflector {
	return &jsonschema.Reflector{
		DoNotReference: true, // one self-contained schema per type
		Anonymous:      true,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			if t.Implements(enumerType) {
				vals := reflect.Zero(t).Interface().(enumer).EnumValues()
				s := &jsonschema.Schema{Type: "string"}
				for _, v := range vals {
					s.Enum = append(s.Enum, v)
				}
				return s
			}
			return nil
		},
	}
}

var (
	schemaOnce sync.Once
	schemas    map[string][]byte
)

// Schema returns the JSON Schema (draft 2020-12) of a type's payload, generated from its
// Go struct: the structure, the closed sets and which fields are always required. Rules
// that depend on other fields (a reason for conditional sharing) are the commands'; the
// schema is what a client can check before signing.
func Schema(name string) ([]byte, bool) {
	schemaOnce.Do(buildSchemas)
	b, ok := schemas[name]
	return b, ok
}

func buildSchemas() {
	schemas = make(map[string][]byte, len(catalogue))
	r := reflector()
	for _, t := range catalogue {
		s := r.Reflect(t.New())
		s.ID = schemaID(t.Name)
		s.Title = t.Name
		s.Description = fmt.Sprintf("%s / %s (%s)", t.ZH, t.EN, citeAll(t))
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			panic(fmt.Sprintf("events: schema of %s: %v", t.Name, err))
		}
		schemas[t.Name] = append(b, '\n')
	}
	for _, k := range keyTypes {
		schemas[k.Name] = keySchema(k)
	}
}

func schemaID(name string) jsonschema.ID { return jsonschema.ID(SchemaBase + name + ".json") }
