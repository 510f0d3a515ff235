package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/aba-prefecture/dataledger"

type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
}

// packages lists the module's packages with their non-test imports.
func packages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkg
	d := json.NewDecoder(bytes.NewReader(out))
	for d.More() {
		var p pkg
		if err := d.Decode(&p); err != nil {
			t.Fatal(err)
		}
		p.ImportPath = strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		ps = append(ps, p)
	}
	return ps
}

// under says whether path is dir or inside it.
func under(path string, dirs ...string) bool {
	for _, d := range dirs {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// rule is one layer's allowance: the project packages (by top directory) a package
// under Dir may import, or those it must not.
type rule struct {
	dir     string
	only    []string // if set: nothing of the project outside these
	never   []string // never these
	because string
}

var rules = []rule{
	{dir: "crypto", only: []string{"crypto"}, because: "crypto imports nothing of the project"},
	{dir: "ledger", only: []string{"ledger", "crypto", "internal"}, because: "the ledger imports nothing above it"},
	{dir: "domain", only: []string{"domain", "ledger", "crypto", "internal"}, because: "the domain vocabulary and write model stand on the ledger only"},
	{dir: "commands", never: []string{"projections", "api", "cmd", "client"}, because: "the write side never reads a projection"},
	{dir: "privacy", only: []string{"privacy", "ledger", "crypto", "internal", "domain"}, because: "key custody stands on the ledger and the domain vocabulary only"},
	{dir: "projections", never: []string{"commands", "api", "cmd", "client", "privacy"}, because: "projections read the log and write nothing"},
	{dir: "client", never: []string{"api", "cmd", "commands", "projections"}, because: "the client speaks the wire types, not the server"},
	{dir: "api", never: []string{"cmd"}, because: "nothing imports a command"},
	{dir: "cmd/ledgerctl", never: []string{"api"}, because: "the officer's tool talks to ledgerd through client/, the one HTTP client"},
	{dir: "internal", never: []string{"cmd", "api"}, because: "nothing imports a command"},
}

// TestImportRules: every package keeps to its layer.
func TestImportRules(t *testing.T) {
	for _, p := range packages(t) {
		for _, imp := range p.Imports {
			inner, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			top := strings.SplitN(inner, "/", 2)[0]
			for _, r := range rules {
				if !under(p.ImportPath, r.dir) {
					continue
				}
				if r.only != nil && !slices.Contains(r.only, top) {
					t.Errorf("%s imports %s: %s (may import %s)", p.ImportPath, inner, r.because, strings.Join(r.only, ", "))
				}
				if slices.Contains(r.never, top) {
					t.Errorf("%s imports %s: %s", p.ImportPath, inner, r.because)
				}
			}
			// A command's own internal packages are its; no other package imports a command.
			if top == "cmd" && !under(inner, commandOf(p.ImportPath)) {
				t.Errorf("%s imports %s: nothing imports a command", p.ImportPath, inner)
			}
		}
	}
}

// commandOf is cmd/NAME for a package of that command's tree, else "".
func commandOf(path string) string {
	parts := strings.SplitN(path, "/", 3)
	if len(parts) < 2 || parts[0] != "cmd" {
		return "\x00"
	}
	return parts[0] + "/" + parts[1]
}

// owners are the only packages that may import a library: storage, transport and the
// SM algorithms are reached through them, so cmd only wires and one package answers
// for each.
var owners = map[string][]string{
	"github.com/emmansun/gmsm":           {"crypto", "internal/bench"},
	"go.etcd.io/bbolt":                   {"ledger/boltstore", "ledger/datadir", "ledger/esdbstore", "projections/search"},
	"github.com/jackc/pgx":               {"ledger/pgstore", "ledger/bus", "internal/pgmigrate", "projections/readmodel", "projections/search"},
	"github.com/ThreeDotsLabs/watermill": {"ledger/bus", "ledger/follow"},
	"github.com/nats-io/nats.go":         {"ledger/bus"},
	"github.com/EventStore":              {"ledger/esdbstore"},
	"github.com/kurrent-io":              {"ledger/esdbstore"},
}

// TestLibraryOwners: a storage, transport or SM library is imported only by the package
// that owns it.
func TestLibraryOwners(t *testing.T) {
	for _, p := range packages(t) {
		for _, imp := range p.Imports {
			for lib, who := range owners {
				if strings.HasPrefix(imp, lib) && !under(p.ImportPath, who...) {
					t.Errorf("%s imports %s: only %s may", p.ImportPath, imp, strings.Join(who, ", "))
				}
			}
		}
	}
}

// writes are the names through which an event reaches the log.
var writes = map[string]bool{"Append": true, "SignAndSubmit": true, "Submit": true, "AppendBatch": true}

// TestProjectionsWriteNoEvent: no read model calls a method that appends to the log or
// names the types a write is made of.
func TestProjectionsWriteNoEvent(t *testing.T) {
	for _, p := range packages(t) {
		if !under(p.ImportPath, "projections") {
			continue
		}
		for _, f := range p.GoFiles {
			file := parse(t, filepath.Join(p.Dir, f))
			ast.Inspect(file, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "ledger" && (sel.Sel.Name == "Ledger" || sel.Sel.Name == "Signed" || sel.Sel.Name == "Batch") {
					t.Errorf("%s/%s names ledger.%s: projections write no event", p.ImportPath, f, sel.Sel.Name)
				}
				if writes[sel.Sel.Name] {
					t.Errorf("%s/%s calls %s: projections write no event", p.ImportPath, f, sel.Sel.Name)
				}
				return true
			})
		}
	}
}

func parse(t *testing.T, path string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// maxLines is the longest function body the project keeps outside tests and generated
// code: longer ones are split where they do several things.
const maxLines = 100

// TestFunctionLength: no function (or function literal) of the project's own code is
// longer than maxLines.
func TestFunctionLength(t *testing.T) {
	for _, p := range packages(t) {
		for _, f := range p.GoFiles {
			path := filepath.Join(p.Dir, f)
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			if ast.IsGenerated(file) {
				continue
			}
			ast.Inspect(file, func(n ast.Node) bool {
				var body *ast.BlockStmt
				name := "a function literal"
				switch x := n.(type) {
				case *ast.FuncDecl:
					body, name = x.Body, x.Name.Name
				case *ast.FuncLit:
					body = x.Body
				}
				if body != nil {
					if l := fset.Position(body.Rbrace).Line - fset.Position(body.Lbrace).Line - 1; l > maxLines {
						t.Errorf("%s: %s is %d lines (at most %d)", fmt.Sprintf("%s/%s:%d", p.ImportPath, f, fset.Position(body.Lbrace).Line), name, l, maxLines)
					}
				}
				return true
			})
		}
	}
}

// eventType is what an event type looks like: dotted lower-case words and a version.
var eventType = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z][a-z_]*)+\.v[0-9]+$`)

// typeHomes are where an event type may be written as a string: the catalogue and its
// generated constants, and the constants of the ledger's own records.
var typeHomes = []string{"domain/events/catalogue.go", "domain/events/types_gen.go", "ledger/registry.go",
	"ledger/bundle/bundle.go", "commands/checker.go"}

// TestNoBareEventTypes: outside the catalogue, every event type is named by its
// constant (events.DataCollectedV1, ledger.TypeKeyRegistered…), so a misspelt type is a
// build error rather than a rule silently switched off.
func TestNoBareEventTypes(t *testing.T) {
	for _, p := range packages(t) {
		for _, f := range p.GoFiles {
			rel := p.ImportPath + "/" + f
			if slices.Contains(typeHomes, rel) {
				continue
			}
			file := parse(t, filepath.Join(p.Dir, f))
			// The ledger's packages cannot import the catalogue, which stands above them:
			// there a type may be written once, as the value of a constant.
			consts := map[*ast.BasicLit]bool{}
			if under(p.ImportPath, "ledger") {
				for _, d := range file.Decls {
					if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
						ast.Inspect(g, func(n ast.Node) bool {
							if lit, ok := n.(*ast.BasicLit); ok {
								consts[lit] = true
							}
							return true
						})
					}
				}
			}
			ast.Inspect(file, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING || consts[lit] {
					return true
				}
				if s, err := strconv.Unquote(lit.Value); err == nil && eventType.MatchString(s) {
					t.Errorf("%s: the event type %q written as a string: use its constant", rel, s)
				}
				return true
			})
		}
	}
}
