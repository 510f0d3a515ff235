package console_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/internal/browsertest"
)

// update rewrites docs/screenshots/console/*.png from TestConsoleInBrowser:
// go test ./console -run TestConsoleInBrowser -update
var update = flag.Bool("update", false, "rewrite docs/screenshots/console/*.png from TestConsoleInBrowser")

var (
	desktop = browsertest.Viewport{Width: 1280, Height: 800}
	a4      = browsertest.Viewport{Width: browsertest.A4, Height: 1123}
)

// TestConsoleInBrowser drives the console in one headless Chromium against a real
// ledgerd built from this tree and filled by `ledgerctl demo`: sign in, search by person,
// open an act and see it verified in the browser, export a selection and see the bundle
// verified, see an altered bundle reported as tampered, read the reports, each role's
// refusals; every page in both languages, checked for overflow (1280 px, and A4 for the
// report pages) and for characters drawn as boxes; and the differential test that holds
// the browser's verifier to the Go code.
func TestConsoleInBrowser(t *testing.T) {
	b := browsertest.Start(t)
	start := time.Now()
	env := startLedger(t)
	t.Logf("ledger ready in %s", time.Since(start).Round(time.Millisecond))
	dir := t.TempDir()
	officer := env.tokens[auth.RoleSecurityOfficer]

	t.Run("differential", func(t *testing.T) { differential(t, b, dir, env) })

	var exported []byte // the bundle the export test downloads, for the bundle test
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			// A tab per step: browsertest bounds a tab's life to a minute.
			var tb *tab
			fresh := func(t *testing.T) { tb = openTab(t, b, dir, env.base, desktop, officer, lang) }
			shot := func(name string, anchor ...string) { tb.screenshot(name+"-"+lang, anchor...) }
			zh := lang == "zh"
			pick := func(a, b string) string {
				if zh {
					return a
				}
				return b
			}

			// Sign in, search and open an act in one tab, as a user would.
			first := openTab(t, b, dir, env.base, desktop, "", lang)
			t.Run("sign in", func(t *testing.T) {
				tb = first
				tb.t = t
				tb.route("#/signin", "signin")
				if got := evalAs[string](tb, `document.documentElement.lang`); got != pick("zh-CN", "en") {
					t.Errorf("<html lang> is %q", got)
				}
				tb.checkLayout("sign-in page")
				shot("signin")
				tb.fill("#signin-form input[name=token]", "dlt1_0000000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro")
				tb.submit("#signin-form")
				tb.waitFor(`document.querySelector('#main [role=alert]')`, 10*time.Second)
				if msg := tb.text("#main [role=alert]"); !strings.Contains(msg, pick("不接受此令牌", "does not accept this token")) || !strings.Contains(msg, "bad_credentials") {
					t.Errorf("a wrong token says %q", msg)
				}
				if evalAs[string](tb, `sessionStorage.getItem('dataledger.console.token') || ''`) != "" {
					t.Error("a refused token stays in sessionStorage")
				}
				tb.fill("#signin-form input[name=token]", officer)
				tb.submit("#signin-form")
				tb.waitFor(`document.body.dataset.ready === 'search'`, 20*time.Second)
				if role := tb.text("#role-badge"); !strings.Contains(role, pick("安全管理员", "security officer")) {
					t.Errorf("role shown: %q", role)
				}
				if caps := tb.text("#role-caps"); !strings.Contains(caps, pick("可导出证据包", "may export evidence bundles")) {
					t.Errorf("capabilities shown: %q", caps)
				}
			})

			person, n := env.busiest()
			t.Run("search by person", func(t *testing.T) {
				tb.t = t
				tb.fill("#search-form input[name=person]", person)
				tb.fill("#search-form select[name=limit]", "20")
				tb.submit("#search-form")
				tb.waitFor(`document.body.dataset.ready === 'search' && document.querySelector('#results-table, #no-results')`, 20*time.Second)
				rows := evalAs[[]string](tb, `[...document.querySelectorAll('#results-table tbody tr')].map(r => r.cells[4].innerText)`)
				if len(rows) == 0 || env.stubbed && len(rows) != min(n, 20) {
					t.Fatalf("%d rows for %s, want %d", len(rows), person, min(n, 20))
				}
				for _, r := range rows {
					if r != person {
						// The stub matches the actor; ledgerd's own search is the judge of
						// what "by person" covers.
						if env.stubbed {
							t.Fatalf("a row of %q in the search for %q", r, person)
						}
						t.Logf("a row of %q in the search for %q", r, person)
					}
				}
				tb.checkLayout("search results")
				shot("search")
				if n > 20 {
					first := tb.text("#results-table tbody tr td")
					tb.click("#page-next")
					tb.waitFor(`document.body.dataset.ready === 'search' && new URLSearchParams(location.hash.split('?')[1]).get('page') === '2'`, 20*time.Second)
					if second := tb.text("#results-table tbody tr td"); second == first || second == "" {
						t.Errorf("page 2 starts at seq %q, page 1 at %q", second, first)
					}
					tb.click("#page-prev")
					tb.waitFor(`document.body.dataset.ready === 'search' && !new URLSearchParams(location.hash.split('?')[1]).get('cursor')`, 20*time.Second)
				}
			})

			t.Run("open an act", func(t *testing.T) {
				tb.t = t
				tb.click("#results-table a.act-link")
				tb.waitFor(`document.body.dataset.ready === 'event'`, 30*time.Second)
				if v := evalAs[string](tb, `document.getElementById('verdict').dataset.verdict`); v != "intact" {
					t.Fatalf("verdict %q: %s", v, tb.text(".verification"))
				}
				checks := evalAs[map[string]string](tb, `Object.fromEntries([...document.querySelectorAll('#checks li')].map(li => [li.dataset.check, li.dataset.ok]))`)
				for _, c := range []string{"entry_hash", "entry_form", "checkpoint", "inclusion", "actor_key", "signature"} {
					if checks[c] != "true" {
						t.Errorf("check %s: %q", c, checks[c])
					}
				}
				if !strings.Contains(tb.text(".verification"), pick("完整", "Intact")) {
					t.Errorf("the verdict reads %q", tb.text(".verification"))
				}
				tb.checkLayout("act page")
				shot("event")
				// An act with an encrypted field: ciphertext said so, plaintext on request
				// (an officer decrypts; the request is audited).
				tb.route("#/event/"+env.row(t, "person.registered.v1").ID, "event")
				if !strings.Contains(tb.text("#main"), pick("已加密（SM4-GCM）", "encrypted (SM4-GCM)")) {
					t.Errorf("no encrypted field said so: %s", tb.text("#main"))
				}
				tb.click("#show-plaintext")
				tb.waitFor(`document.querySelector('#plaintext h3, #plaintext [role=alert]')`, 20*time.Second)
				if txt := tb.text("#plaintext"); !strings.Contains(txt, pick("明文", "In clear")) || strings.Contains(txt, "SM4-GCM") {
					t.Errorf("plaintext: %q", txt)
				}
			})

			t.Run("export a selection", func(t *testing.T) {
				if !zh && !*update {
					t.Skip("exported once, in Chinese; in English for the screenshot only")
				}
				fresh(t)
				// Until ledgerd exports by the search filter, it exports a stream: the
				// console says so for a person, and exports a search by stream.
				q := url.Values{"person": {person}, "limit": {"20"}}
				if env.stubbed {
					tb.route("#/search?"+q.Encode(), "search")
					tb.click("#export-open")
					tb.fill("#export-form textarea[name=reason]", "x")
					tb.submit("#export-form")
					tb.waitFor(`document.querySelector('#export-result [role=alert]')`, 20*time.Second)
					if msg := tb.text("#export-result"); !strings.Contains(msg, pick("尚不支持按这些条件导出", "cannot select by these conditions yet")) {
						t.Errorf("exporting by person from a server that exports streams: %q", msg)
					}
					q = url.Values{"stream": {streamOf(env, person)}, "limit": {"20"}}
				}
				tb.route("#/search?"+q.Encode(), "search")
				tb.click("#export-open")
				tb.fill("#export-form textarea[name=reason]", pick("案件 2026-031：浏览器测试", "case 2026-031: browser test"))
				tb.submit("#export-form")
				tb.waitFor(`document.querySelector('#export-verdict[data-verdict], #export-result [role=alert]')`, 60*time.Second)
				if v := evalAs[string](tb, `(document.querySelector('#export-verdict') || {dataset: {}}).dataset.verdict || ''`); v != "intact" {
					t.Fatalf("export: %s", tb.text("#export-result"))
				}
				seq := evalAs[string](tb, `document.getElementById('export-done').dataset.exportSeq`)
				if seq == "" {
					t.Fatal("no export seq shown")
				}
				if exported == nil {
					exported = fetchExport(t, env, person)
				}
				tb.checkLayout("export")
				shot("export", "#export-title")
			})

			t.Run("verify a bundle", func(t *testing.T) {
				fresh(t)
				if exported == nil {
					t.Skip("no exported bundle")
				}
				tb.route("#/bundle", "bundle")
				tb.upload("#bundle-file", "bundle.json", exported)
				tb.waitFor(`document.getElementById('bundle-result').dataset.verdict`, 60*time.Second)
				if v := tb.text("#bundle-result .verdict"); evalAs[string](tb, `document.getElementById('bundle-result').dataset.verdict`) != "intact" {
					t.Fatalf("the exported bundle: %s", v)
				}
				tb.checkLayout("bundle intact")
				shot("bundle")
				altered := alterBundle(t, exported)
				tb.upload("#bundle-file", "altered.json", altered)
				tb.waitFor(`document.getElementById('bundle-result').dataset.verdict`, 60*time.Second)
				verdict := evalAs[string](tb, `document.getElementById('bundle-result').dataset.verdict`)
				field := evalAs[string](tb, `(document.querySelector('#bundle-result .verdict') || {dataset: {}}).dataset.field || ''`)
				if verdict != "tampered" || !strings.HasPrefix(field, "entries[") {
					t.Fatalf("an altered bundle: verdict %q field %q: %s", verdict, field, tb.text("#bundle-result"))
				}
				if txt := tb.text("#bundle-result .verdict"); !strings.Contains(txt, pick("已被篡改", "Tampered")) || !strings.Contains(txt, pick("第 ", "entry ")) {
					t.Errorf("the tampered verdict reads %q", txt)
				}
				shot("bundle-tampered")
			})

			reports := []struct{ name, hash, sel string }{
				{"assessment", "#/assessment?year=2025&as_of=2026-01-01", "table[data-section=institutions] tbody tr"},
				{"findings", "#/findings?as_of=2026-01-01", "table[data-section=findings] tbody tr"},
				{"obligations", "#/obligations?as_of=2026-01-01", "table[data-section=obligations] tbody tr"},
				{"emergencies", "#/emergencies?as_of=2026-01-01", "table[data-section=emergencies] tbody tr"},
				{"custody", "#/custody?" + url.Values{"resource": {custodyResource(env)}, "as_of": {"2026-01-01"}}.Encode(), "table[data-section=timeline] tbody tr"},
			}
			// Each report at 1280 px (layout and glyphs), then all of them in a tab of A4
			// width and in one laid out for print on A4 (layout).
			reportTab := openTab(t, b, dir, env.base, desktop, officer, lang) // one tab for the reports
			for _, rp := range reports {
				t.Run(rp.name, func(t *testing.T) {
					tb = reportTab
					tb.t = t
					tb.route(rp.hash, rp.name)
					if n := evalAs[int](tb, fmt.Sprintf(`document.querySelectorAll(%q).length`, rp.sel)); n == 0 {
						t.Fatalf("%s: no rows: %s", rp.name, tb.text("#main"))
					}
					tb.checkLayout(rp.name + " at 1280 px")
					shot(rp.name)
					// Evidence is given by seq: each opens its act, verified.
					if rp.name == "findings" {
						tb.click("td .seqs a")
						tb.waitFor(`document.body.dataset.ready === 'event' && document.getElementById('verdict')`, 20*time.Second)
						if v := evalAs[string](tb, `document.getElementById('verdict').dataset.verdict`); v != "intact" {
							t.Errorf("a finding's evidence: %s", tb.text(".verification"))
						}
					}
				})
			}
			for _, v := range []browsertest.Viewport{a4, {Width: browsertest.A4Text, Height: 1000, Print: true}} {
				t.Run(fmt.Sprintf("reports at %d px, print %v", v.Width, v.Print), func(t *testing.T) {
					narrow := openTab(t, b, dir, env.base, v, officer, lang)
					for _, rp := range reports {
						narrow.route(rp.hash, rp.name)
						narrow.checkWidth(fmt.Sprintf("%s at %d px (print %v)", rp.name, v.Width, v.Print))
					}
				})
			}

			t.Run("ledger and keys", func(t *testing.T) {
				fresh(t)
				tb.route("#/ledger", "ledger")
				if !strings.Contains(tb.text("#main"), pick("检查点签名在本浏览器中核验通过", "The checkpoint signature verifies in this browser")) {
					t.Errorf("ledger page: %s", tb.text("#main"))
				}
				tb.checkLayout("ledger page")
				shot("ledger")
				if !zh {
					return
				}
				// Pinned, the key is checked against this browser's copy; a server offering
				// another key is caught (here the pin is made to be another key).
				act := env.row(t, "data.collected.v1").ID
				tb.click("#pin")
				tb.waitFor(`document.body.dataset.ready === 'ledger' && document.getElementById('unpin')`, 20*time.Second)
				tb.route("#/event/"+act, "event")
				if v := evalAs[string](tb, `document.getElementById('verdict').dataset.verdict`); v != "intact" || !strings.Contains(tb.text("#main"), "已固定") {
					t.Errorf("with the key pinned: %s", tb.text(".verification"))
				}
				origin := evalAs[string](tb, `Object.keys(localStorage).find(k => k.startsWith('dataledger.console.pin.'))`)
				tb.eval(`window.__root = ''; fetch('/v1/ledger').then(r => r.json()).then(j => { window.__root = j.root_key.pem; }); true`)
				tb.waitFor(`window.__root`, 10*time.Second)
				tb.eval(fmt.Sprintf(`localStorage.setItem(%q, window.__root); true`, origin))
				tb.route("#/event/"+act+"?again=1", "event")
				if f := evalAs[string](tb, `document.getElementById('verdict').dataset.failed || ''`); f != "checkpoint" || !strings.Contains(tb.text("#main"), "警告") {
					t.Errorf("with another key pinned: failed %q: %s", f, tb.text("#main"))
				}
				tb.eval(fmt.Sprintf(`localStorage.removeItem(%q); true`, origin))
			})

			t.Run("accessibility", func(t *testing.T) {
				if !zh {
					t.Skip("the structure is the same in English")
				}
				fresh(t)
				for _, h := range []string{"#/search?person=" + url.QueryEscape(person), "#/bundle", "#/findings?as_of=2026-01-01", "#/assessment?year=2025&as_of=2026-01-01"} {
					name := strings.SplitN(strings.TrimPrefix(h, "#/"), "?", 2)[0]
					tb.route(h, name)
					accessible(t, tb, h)
				}
			})
		})
	}

	t.Run("roles", func(t *testing.T) { roles(t, b, dir, env) })
}

// accessible checks the basics a keyboard or screen-reader user needs on the page.
func accessible(t *testing.T, tb *tab, page string) {
	t.Helper()
	var res struct {
		Lang        string   `json:"lang"`
		Unlabelled  []string `json:"unlabelled"`
		PositiveTab []string `json:"positiveTab"`
		Unfocusable []string `json:"unfocusable"`
		H1          int      `json:"h1"`
		NoFocusRing []string `json:"noFocusRing"`
		Skip        bool     `json:"skip"`
	}
	raw := evalAs[string](tb, `JSON.stringify((() => {
		const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '');
		const out = { lang: document.documentElement.lang, unlabelled: [], positiveTab: [], unfocusable: [], noFocusRing: [], h1: document.querySelectorAll('h1').length,
			skip: !!document.querySelector('a.skip') };
		for (const el of document.querySelectorAll('input, select, textarea')) {
			if (el.type === 'hidden') continue;
			const labelled = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
			if (!labelled) out.unlabelled.push(name(el));
		}
		for (const el of document.querySelectorAll('[tabindex]')) if (Number(el.getAttribute('tabindex')) > 0) out.positiveTab.push(name(el));
		const controls = [...document.querySelectorAll('a[href], button, input, select, textarea')].filter(el => !el.disabled && el.offsetParent !== null);
		for (const el of controls) {
			el.focus();
			if (document.activeElement !== el) { out.unfocusable.push(name(el)); continue; }
			const cs = getComputedStyle(el);
			if (cs.outlineStyle === 'none' && cs.boxShadow === 'none') out.noFocusRing.push(name(el));
		}
		document.activeElement && document.activeElement.blur();
		return out;
	})())`)
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		t.Fatal(err)
	}
	if res.Lang != "zh-CN" && res.Lang != "en" {
		t.Errorf("%s: <html lang=%q>", page, res.Lang)
	}
	if len(res.Unlabelled) > 0 {
		t.Errorf("%s: form controls without a label: %v", page, res.Unlabelled)
	}
	if len(res.PositiveTab) > 0 {
		t.Errorf("%s: a positive tabindex breaks the reading order: %v", page, res.PositiveTab)
	}
	if len(res.Unfocusable) > 0 {
		t.Errorf("%s: controls the keyboard cannot reach: %v", page, res.Unfocusable)
	}
	if len(res.NoFocusRing) > 0 {
		t.Errorf("%s: controls with no visible focus: %v", page, res.NoFocusRing)
	}
	if res.H1 != 1 || !res.Skip {
		t.Errorf("%s: %d h1, skip link %v", page, res.H1, res.Skip)
	}
}

// streamOf is the stream of a person's first act.
func streamOf(env *ledgerEnv, person string) string {
	for _, r := range env.rows {
		if r.Person == person {
			return r.Stream
		}
	}
	return ""
}

// fetchExport exports, through the API, the stream of the busiest person's first act:
// a real bundle file for the bundle page to read (the console's own download is a Blob
// in the page, which a headless test cannot pick up as a file).
func fetchExport(t *testing.T, env *ledgerEnv, person string) []byte {
	t.Helper()
	b, err := exportStream(env, env.tokens[auth.RoleSecurityOfficer], streamOf(env, person), "browser test: a bundle file for the bundle page")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// custodyResource is a resource the demo's custody timeline covers.
func custodyResource(env *ledgerEnv) string {
	for _, r := range env.rows {
		if r.Type == "data.collected.v1" && len(r.Resources) > 0 && strings.HasPrefix(r.Resources[0], "emg-") {
			return r.Resources[0]
		}
	}
	return "emg-2026-flood-01.affected-persons"
}
