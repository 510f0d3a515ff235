package console_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/internal/browsertest"
)

// roles: what each role sees in the console is what the server lets it do, and every
// refusal is shown with the server's own words.
func roles(t *testing.T, b *browsertest.Browser, dir string, env *ledgerEnv) {
	person, _ := env.busiest()
	other := ""
	for _, r := range env.rows {
		if r.Institution != env.institution && r.Type == "data.collected.v1" {
			other = r.ID
			break
		}
	}

	t.Run("no token", func(t *testing.T) {
		tb := openTab(t, b, dir, env.base, desktop, "", "zh")
		tb.eval(`location.hash = '#/search?person=x'; true`)
		tb.waitFor(`document.body.dataset.ready === 'signin' && location.hash.startsWith('#/signin')`, 20*time.Second)
	})

	t.Run("reviewer", func(t *testing.T) {
		tb := openTab(t, b, dir, env.base, desktop, env.tokens[auth.RoleReviewer], "zh")
		tb.route("#/search?"+url.Values{"person": {person}}.Encode(), "search")
		if role := tb.text("#role-badge"); !strings.Contains(role, "考核评审") {
			t.Errorf("role shown: %q", role)
		}
		if caps := tb.text("#role-caps"); !strings.Contains(caps, "不可导出证据包") || !strings.Contains(caps, "只能看到受保护字段的密文") {
			t.Errorf("capabilities: %q", caps)
		}
		if n := evalAs[int](tb, `document.querySelectorAll('#results-table tbody tr').length`); n == 0 {
			t.Fatal("a reviewer reads every entry, but the search shows none")
		}
		// The export is offered with a note, and the server's 403 is shown when tried.
		tb.click("#export-open")
		tb.fill("#export-form textarea[name=reason]", "考核抽查")
		tb.submit("#export-form")
		tb.waitFor(`document.querySelector('#export-result [role=alert]')`, 20*time.Second)
		if msg := tb.text("#export-result"); !strings.Contains(msg, "无权") || !strings.Contains(msg, "forbidden") || !strings.Contains(msg, "导出证据包") {
			t.Errorf("a reviewer's export refusal reads %q", msg)
		}
		// An act: verified, ciphertext only (no plaintext button).
		tb.click("#results-table a.act-link")
		tb.waitFor(`document.body.dataset.ready === 'event'`, 30*time.Second)
		if v := evalAs[string](tb, `document.getElementById('verdict').dataset.verdict`); v != "intact" {
			t.Errorf("a reviewer's act verdict: %q", v)
		}
		if evalAs[bool](tb, `!!document.getElementById('show-plaintext')`) {
			t.Error("a reviewer is offered plaintext")
		}
		// The register of emergencies is not a reviewer's report: 403, said so.
		tb.route("#/emergencies?as_of=2026-01-01", "emergencies")
		if msg := tb.text("#main"); !strings.Contains(msg, "无权读取此报告") {
			t.Errorf("a reviewer's emergencies page: %q", msg)
		}
		tb.route("#/assessment?year=2025&as_of=2026-01-01", "assessment")
		if n := evalAs[int](tb, `document.querySelectorAll('table[data-section=institutions] tbody tr').length`); n == 0 {
			t.Errorf("a reviewer reads the assessment, but it shows no rows: %s", tb.text("#main"))
		}
	})

	t.Run("institution", func(t *testing.T) {
		tb := openTab(t, b, dir, env.base, desktop, env.tokens[auth.RoleInstitution], "en")
		tb.route("#/search?"+url.Values{"institution": {env.institution}}.Encode(), "search")
		if role := tb.text("#role-badge"); !strings.Contains(role, "institution") {
			t.Errorf("role shown: %q", role)
		}
		if caps := tb.text("#role-caps"); !strings.Contains(caps, "its own institution") {
			t.Errorf("capabilities: %q", caps)
		}
		insts := evalAs[[]string](tb, `[...document.querySelectorAll('#results-table tbody tr')].map(r => r.cells[3].innerText)`)
		if len(insts) == 0 {
			t.Fatal("an institution finds none of its own acts")
		}
		for _, i := range insts {
			if i != env.institution {
				t.Fatalf("an institution sees an act of %s", i)
			}
		}
		if other != "" {
			tb.route("#/event/"+other, "event")
			if msg := tb.text("#main [role=alert]"); !strings.Contains(msg, "not_found") {
				t.Errorf("another institution's act: %q", msg)
			}
		}
		tb.route("#/findings?as_of=2026-01-01", "findings")
		if msg := tb.text("#main"); !strings.Contains(msg, "may not read this report") || !strings.Contains(msg, "forbidden") {
			t.Errorf("an institution's findings page: %q", msg)
		}
	})

	t.Run("submitter", func(t *testing.T) {
		tb := openTab(t, b, dir, env.base, desktop, "", "zh")
		tb.route("#/signin", "signin")
		tb.fill("#signin-form input[name=token]", env.tokens[auth.RoleSubmitter])
		tb.submit("#signin-form")
		tb.waitFor(`document.body.dataset.ready === 'signin' && document.body.innerText.includes('提交系统')`, 20*time.Second)
		tb.route("#/search?person=x", "search")
		if msg := tb.text("#main [role=alert]"); !strings.Contains(msg, "无权") {
			t.Errorf("a submitter's search: %q", msg)
		}
	})
}

// exportStream exports a stream through the API (POST /v1/bundles) and returns the bundle.
func exportStream(env *ledgerEnv, token, stream, reason string) ([]byte, error) {
	body, _ := json.Marshal(map[string]string{"stream": stream, "reason": reason})
	req, _ := http.NewRequest(http.MethodPost, env.real+"/v1/bundles", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST /v1/bundles: %d %s", resp.StatusCode, b)
	}
	return b, nil
}

// alterBundle changes one character of the last entry's payload as a careful forger
// would: the entry's hash and submission member are recomputed to match, so only the
// inclusion proof (and the signature) can tell.
func alterBundle(t *testing.T, b []byte) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	entries := doc["entries"].([]any)
	e := entries[len(entries)-2].(map[string]any) // the last before the export act
	entry, _ := base64.StdEncoding.DecodeString(e["entry"].(string))
	sub, _ := base64.StdEncoding.DecodeString(e["submission"].(string))
	i := bytes.Index(entry, []byte(`"payload":{`))
	if i < 0 {
		t.Fatal("no payload in the entry")
	}
	// Change the first letter or digit inside the payload to another of its kind.
	for j := i + len(`"payload":{`); j < len(entry); j++ {
		c := entry[j]
		if c >= 'a' && c < 'z' || c >= '0' && c < '9' {
			newSub := bytes.Replace(sub, entry[i:j+1], append(bytes.Clone(entry[i:j]), c+1), 1)
			entry[j] = c + 1
			e["entry"] = base64.StdEncoding.EncodeToString(entry)
			e["submission"] = base64.StdEncoding.EncodeToString(newSub)
			h := crypto.SM3(entry)
			e["hash"] = hex.EncodeToString(h[:])
			out, err := json.MarshalIndent(doc, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	t.Fatal("nothing to alter in the payload")
	return nil
}
