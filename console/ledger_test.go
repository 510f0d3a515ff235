package console_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
)

// ledgerEnv is a real ledgerd, built from this tree, serving a demo ledger
// (`ledgerctl demo --events 300 --end 2025-12-31`), with the console at its "/". base is
// where the browser goes: ledgerd itself once it answers GET /v1/events, else a proxy that
// answers that one route from a stub (searchStub) and passes everything else to ledgerd.
type ledgerEnv struct {
	base, real  string
	tokens      map[auth.Role]string // the demo's token for each role
	institution string               // the institution token's institution
	stubbed     bool
	rows        []searchRow // every entry, for the stub and for choosing test data
	bin         string      // directory of the built binaries
	data        string
}

// searchRow is one answer row of GET /v1/events.
type searchRow struct {
	Seq         uint64   `json:"seq"`
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	Stream      string   `json:"stream"`
	Institution string   `json:"institution"`
	Person      string   `json:"person"`
	Resources   []string `json:"resources,omitempty"`
	OccurredAt  string   `json:"occurred_at"`
	RecordedAt  string   `json:"recorded_at"`
	Day         string   `json:"day"`
	Hash        string   `json:"hash"`
}

// buildBinaries builds the commands from this tree into dir, in one go build (which
// links them in parallel).
func buildBinaries(t testing.TB, dir string, names ...string) {
	t.Helper()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "github.com/aba-prefecture/dataledger/cmd/"+n)
	}
	if b, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", names, err, b)
	}
}

var tokenLine = regexp.MustCompile(`^\s+(authority|security_officer|reviewer|institution|submitter)\s+(\S+)\s+(dlt1_\S+)\s*$`)

// startLedger builds ledgerd and ledgerctl, fills a demo ledger and serves it.
func startLedger(t testing.TB) *ledgerEnv {
	t.Helper()
	dir := t.TempDir()
	env := &ledgerEnv{bin: dir, data: filepath.Join(dir, "data"), tokens: map[auth.Role]string{}}
	buildBinaries(t, dir, "ledgerctl", "ledgerd")
	ledgerctl, ledgerd := filepath.Join(dir, "ledgerctl"), filepath.Join(dir, "ledgerd")
	out, err := exec.Command(ledgerctl, "demo", "--data", env.data, "--events", "300", "--end", "2025-12-31").CombinedOutput()
	if err != nil {
		t.Fatalf("ledgerctl demo: %v\n%s", err, out)
	}
	var serve []string
	for _, line := range strings.Split(string(out), "\n") {
		if m := tokenLine.FindStringSubmatch(line); m != nil {
			env.tokens[auth.Role(m[1])] = m[3]
			if m[1] == "institution" {
				env.institution, _, _ = strings.Cut(m[2], "/")
			}
		}
		if _, rest, ok := strings.Cut(line, "ledgerd "); ok && strings.Contains(line, "--keystore") {
			serve = strings.Fields(rest)
		}
	}
	if len(env.tokens) != 5 || serve == nil {
		t.Fatalf("the demo printed %d tokens and serve flags %q:\n%s", len(env.tokens), serve, out)
	}
	env.rows = readRows(t, filepath.Join(env.data, "ledger.db"))

	cmd := exec.Command(ledgerd, append(serve, "--listen", "127.0.0.1:0", "--log-format", "json")...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	listen := make(chan string, 1)
	var logs bytes.Buffer
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			logs.Write(sc.Bytes())
			logs.WriteByte('\n')
			var l struct {
				Msg    string `json:"msg"`
				Listen string `json:"listen"`
			}
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "ledgerd serving" {
				listen <- l.Listen
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	select {
	case addr := <-listen:
		env.real = "http://" + addr
	case <-done:
		t.Fatalf("ledgerd exited:\n%s", logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("ledgerd did not start:\n%s", logs.String())
	}

	// The search endpoint is being built on main: until ledgerd answers it, a stub does.
	status := httpGet(t, env.real+"/v1/events?limit=1", env.tokens[auth.RoleSecurityOfficer])
	env.stubbed = status == http.StatusMethodNotAllowed || status == http.StatusNotFound
	env.base = env.real
	if env.stubbed {
		target, _ := url.Parse(env.real)
		proxy := httputil.NewSingleHostReverseProxy(target)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/events" && r.Method == http.MethodGet {
				env.search(w, r)
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		env.base = srv.URL
	}
	t.Logf("ledgerd at %s; browser at %s (search stubbed: %v)", env.real, env.base, env.stubbed)
	return env
}

func httpGet(t testing.TB, u, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// readRows reads every entry of the store (before ledgerd holds it) as search rows.
func readRows(t testing.TB, path string) []searchRow {
	t.Helper()
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	h, err := st.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rows []searchRow
	err = st.Entries(ctx, 0, h.Size, func(re ledger.RawEntry) error {
		e, err := ledger.ParseEntry(bytes.Clone(re.Bytes))
		if err != nil {
			return err
		}
		s := e.Submission
		var p struct {
			Resource  string   `json:"resource"`
			Resources []string `json:"resources"`
			Output    string   `json:"output"`
		}
		_ = json.Unmarshal(s.Payload, &p)
		r := searchRow{Seq: e.Seq, ID: s.ID, Type: s.Type, Stream: s.Stream, Institution: s.Actor.Institution, Person: s.Actor.Person,
			OccurredAt: s.OccurredAt, RecordedAt: e.RecordedAt, Day: chinaDay(s.OccurredAt), Hash: e.Hash.String()}
		for _, x := range append([]string{p.Resource, p.Output}, p.Resources...) {
			if x != "" {
				r.Resources = append(r.Resources, x)
			}
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func chinaDay(ts string) string {
	tm, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return ""
	}
	return tm.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
}

// search is a stand-in for GET /v1/events with the agreed answer shape, ascending by
// seq, an opaque cursor, and the role scope approximated from the demo's tokens.
func (env *ledgerEnv) search(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, en, zh string) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "field": "", "message": en, "message_zh": zh}})
	}
	tok, _ := auth.BearerToken(r.Header.Get("Authorization"))
	var role auth.Role
	for rl, tk := range env.tokens {
		if tk == tok {
			role = rl
		}
	}
	switch role {
	case "":
		fail(http.StatusUnauthorized, "unauthenticated", "this endpoint needs a credential", "此接口需要凭据")
		return
	case auth.RoleSubmitter:
		fail(http.StatusForbidden, "forbidden", "role submitter may not read event data", "角色“提交系统”无权读取事件数据")
		return
	}
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "institution", "person", "resource", "type", "stream", "from", "to", "cursor", "limit":
		default:
			fail(http.StatusBadRequest, "bad_query", "unknown query parameter "+strconv.Quote(k), "未知查询参数")
			return
		}
	}
	limit := 50
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			fail(http.StatusBadRequest, "bad_query", "limit must be 1 to 1000", "limit 须为 1 至 1000")
			return
		}
		limit = n
	}
	var after int64 = -1
	if c := q.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		n, err2 := strconv.ParseInt(strings.TrimPrefix(string(b), "after:"), 10, 64)
		if err != nil || err2 != nil {
			fail(http.StatusBadRequest, "bad_cursor", "cursor is not one this server gave", "游标无效")
			return
		}
		after = n
	}
	match := func(row searchRow) bool {
		if int64(row.Seq) <= after {
			return false
		}
		if role == auth.RoleInstitution && row.Institution != env.institution {
			return false
		}
		if v := q.Get("institution"); v != "" && row.Institution != v {
			return false
		}
		if v := q.Get("person"); v != "" && row.Person != v {
			return false
		}
		if v := q.Get("type"); v != "" && row.Type != v {
			return false
		}
		if v := q.Get("stream"); v != "" && row.Stream != v {
			return false
		}
		if v := q.Get("resource"); v != "" {
			found := false
			for _, x := range row.Resources {
				found = found || x == v
			}
			if !found {
				return false
			}
		}
		if v := q.Get("from"); v != "" && row.Day < v {
			return false
		}
		if v := q.Get("to"); v != "" && row.Day > v {
			return false
		}
		return true
	}
	out := struct {
		Events     []searchRow `json:"events"`
		NextCursor string      `json:"next_cursor,omitempty"`
	}{Events: []searchRow{}}
	for _, row := range env.rows {
		if !match(row) {
			continue
		}
		if len(out.Events) == limit {
			last := out.Events[len(out.Events)-1].Seq
			out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("after:" + strconv.FormatUint(last, 10)))
			break
		}
		out.Events = append(out.Events, row)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(out)
}

// busiest returns the person with the most acts (the search test pages through them).
func (env *ledgerEnv) busiest() (string, int) {
	n := map[string]int{}
	for _, r := range env.rows {
		n[r.Person]++
	}
	people := make([]string, 0, len(n))
	for p := range n {
		people = append(people, p)
	}
	sort.Slice(people, func(i, j int) bool {
		return n[people[i]] > n[people[j]] || n[people[i]] == n[people[j]] && people[i] < people[j]
	})
	return people[0], n[people[0]]
}

// row returns the first row of a type (the tests open acts they know).
func (env *ledgerEnv) row(t testing.TB, typ string) searchRow {
	t.Helper()
	for _, r := range env.rows {
		if r.Type == typ {
			return r
		}
	}
	t.Fatalf("the demo ledger holds no %s", typ)
	return searchRow{}
}

func (env *ledgerEnv) String() string { return fmt.Sprintf("ledgerd %s via %s", env.real, env.base) }
