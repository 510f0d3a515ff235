package console_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/internal/browsertest"
)

// tab is one browser tab showing the console. browsertest opens documents from files;
// the tab starts on a blank one and goes to the console from there, then is driven with
// JavaScript as a user would drive it: fields filled, forms submitted, links followed.
type tab struct {
	t    testing.TB
	p    *browsertest.Page
	base string
}

const blank = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>start</title></head><body></body></html>`

// openTab opens a tab of the console at base in viewport v, signed in with token (or
// not, when it is ""), in language lang.
func openTab(t testing.TB, b *browsertest.Browser, dir, base string, v browsertest.Viewport, token, lang string) *tab {
	t.Helper()
	p, err := b.Open(dir, []byte(blank), v)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	tb := &tab{t: t, p: p, base: base}
	tb.load("#/signin")
	js := fmt.Sprintf(`localStorage.setItem('dataledger.console.lang', %q); true`, lang)
	if token != "" {
		js = fmt.Sprintf(`sessionStorage.setItem('dataledger.console.token', %q); `, token) + js
	}
	tb.eval(js)
	return tb
}

// load navigates the tab to base/+hash and waits for the page to be rendered.
func (tb *tab) load(hash string) {
	tb.t.Helper()
	u := tb.base + "/" + hash
	tb.eval(fmt.Sprintf(`location.href = %q; true`, u))
	tb.waitFor(fmt.Sprintf(`location.href === %q && document.readyState === 'complete' && !!document.body.dataset.ready`, u), 30*time.Second)
	// Anything the Content-Security-Policy blocks is a bug of the console: collect it.
	tb.eval(`window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber)); true`)
}

// eval evaluates an expression and returns its JSON value.
func (tb *tab) eval(expr string) any {
	tb.t.Helper()
	v, err := browsertest.Eval[any](tb.p, expr)
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v", short(expr), err)
	}
	return v
}

func evalAs[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := browsertest.Eval[T](tb.p, expr)
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v", short(expr), err)
	}
	return v
}

func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// waitFor polls a JavaScript condition until it holds; evaluation errors while a
// document is replaced are retried.
func (tb *tab) waitFor(cond string, timeout time.Duration) {
	tb.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := browsertest.Eval[bool](tb.p, "!!("+cond+")")
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(40 * time.Millisecond)
	}
	text, _ := browsertest.Eval[string](tb.p, `document.body ? document.body.innerText.slice(0, 1500) : ''`)
	tb.t.Fatalf("waiting for %s: timed out (last error %v); the page says:\n%s", short(cond), last, text)
}

// route goes to a console route (a hash such as "#/search?person=x") and waits until the
// page named name has rendered.
func (tb *tab) route(hash, name string) {
	tb.t.Helper()
	tb.eval(fmt.Sprintf(`(() => { delete document.body.dataset.ready; if (location.hash === %q) { location.reload(); } else { location.hash = %q; } return true; })()`, hash, hash))
	tb.waitFor(fmt.Sprintf(`document.readyState === 'complete' && document.body.dataset.ready === %q`, name), 30*time.Second)
}

// text is the visible text of the first element matching selector ("" if none).
func (tb *tab) text(selector string) string {
	tb.t.Helper()
	return evalAs[string](tb, fmt.Sprintf(`(document.querySelector(%q) || {innerText: ''}).innerText`, selector))
}

// fill sets a form control's value as typing would (input and change events).
func (tb *tab) fill(selector, value string) {
	tb.t.Helper()
	ok := evalAs[bool](tb, fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false; el.focus(); el.value = %q;
		el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, selector, value))
	if !ok {
		tb.t.Fatalf("no %s on the page", selector)
	}
}

// click clicks the first element matching selector.
func (tb *tab) click(selector string) {
	tb.t.Helper()
	ok := evalAs[bool](tb, fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false; el.click(); return true; })()`, selector))
	if !ok {
		tb.t.Fatalf("no %s on the page", selector)
	}
}

// submit submits a form as pressing Enter in it would (requestSubmit runs its handlers).
func (tb *tab) submit(selector string) {
	tb.t.Helper()
	ok := evalAs[bool](tb, fmt.Sprintf(`(() => { const f = document.querySelector(%q); if (!f) return false; f.requestSubmit(); return true; })()`, selector))
	if !ok {
		tb.t.Fatalf("no form %s on the page", selector)
	}
}

// upload hands a file to a file input as a user choosing it would.
func (tb *tab) upload(selector, name string, content []byte) {
	tb.t.Helper()
	c, _ := json.Marshal(string(content))
	ok := evalAs[bool](tb, fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false;
		const dt = new DataTransfer(); dt.items.add(new File([%s], %q, {type: 'application/json'}));
		el.files = dt.files; el.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, selector, c, name))
	if !ok {
		tb.t.Fatalf("no %s on the page", selector)
	}
}

// checkLayout fails the test for anything wider than the page and for any character
// drawn as a box (internal/browsertest's checks).
func (tb *tab) checkLayout(what string) {
	tb.t.Helper()
	tb.checkWidth(what)
	if v := evalAs[[]string](tb, `window.__csp || []`); len(v) > 0 {
		tb.t.Errorf("%s: the Content-Security-Policy blocked: %v", what, v)
	}
	missing, checked, err := tb.p.Boxes()
	if err != nil {
		tb.t.Fatal(err)
	}
	if len(missing) > 0 || checked < 10 {
		tb.t.Errorf("%s: %d characters checked; drawn as boxes:\n  %s", what, checked, strings.Join(missing, "\n  "))
	}
}

// checkWidth fails the test for anything wider than the page.
func (tb *tab) checkWidth(what string) {
	tb.t.Helper()
	over, err := tb.p.Overflow()
	if err != nil {
		tb.t.Fatal(err)
	}
	if len(over) > 0 {
		tb.t.Errorf("%s: wider than the page:\n  %s", what, strings.Join(over, "\n  "))
	}
}

// screenshot writes docs/screenshots/console/NAME.png when the test runs with -update:
// the top 800 px of the page, or from the element matching anchor down.
func (tb *tab) screenshot(name string, anchor ...string) {
	tb.t.Helper()
	if !*update {
		return
	}
	scroll := `window.scrollTo(0, 0);`
	if len(anchor) > 0 {
		scroll = fmt.Sprintf(`document.querySelector(%q).scrollIntoView({block: 'start'}); window.scrollBy(0, -12);`, anchor[0])
	}
	tb.eval(`document.activeElement && document.activeElement.blur && document.activeElement.blur(); ` + scroll + ` true`)
	png, err := tb.p.Screenshot(800)
	if err != nil {
		tb.t.Fatal(err)
	}
	dir := filepath.Join("..", "docs", "screenshots", "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	if len(png) > 400<<10 {
		tb.t.Errorf("screenshot %s is %d KiB: keep the pictures small", name, len(png)>>10)
	}
}
