package console_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/console"
)

// TestServesThePageAndAssets: "/" is the page and every asset has its type, the strict
// Content-Security-Policy and the other protective headers; a repeated request with the
// ETag is 304; other methods are 405 and unknown files 404, in the API's error shape.
func TestServesThePageAndAssets(t *testing.T) {
	h := console.Handler()
	paths := console.Paths()
	if len(paths) < 10 {
		t.Fatalf("only %d console paths: %v", len(paths), paths)
	}
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	for _, p := range paths {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		res := rec.Result()
		if res.StatusCode != 200 || rec.Body.Len() == 0 {
			t.Fatalf("GET %s: %d, %d bytes", p, res.StatusCode, rec.Body.Len())
		}
		ct := want[filepath.Ext(p)]
		if p == "/" {
			ct = "text/html; charset=utf-8"
		}
		if got := res.Header.Get("Content-Type"); got != ct {
			t.Errorf("%s: Content-Type %q, want %q", p, got, ct)
		}
		for k, v := range map[string]string{"Content-Security-Policy": console.CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
			"Referrer-Policy": "no-referrer", "Cross-Origin-Opener-Policy": "same-origin", "Cache-Control": "no-cache"} {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", p, k, got, v)
			}
		}
		req := httptest.NewRequest(http.MethodGet, p, nil)
		req.Header.Set("If-None-Match", res.Header.Get("ETag"))
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Errorf("%s with its ETag: %d, %d bytes", p, rec.Code, rec.Body.Len())
		}
	}
	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodPost, "/", 405, "method_not_allowed"},
		{http.MethodDelete, "/console/js/app.js", 405, "method_not_allowed"},
		{http.MethodGet, "/console/nothing.js", 404, "not_found"},
		{http.MethodGet, "/console/", 404, "not_found"},
		{http.MethodGet, "/console/../go.mod", 404, "not_found"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), `"code":"`+c.code+`"`) || !strings.Contains(rec.Body.String(), "message_zh") {
			t.Errorf("%s %s: %d %s", c.method, c.path, rec.Code, rec.Body.String())
		}
		if rec.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s %s: no CSP on the refusal", c.method, c.path)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/", nil))
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "0" {
		t.Errorf("HEAD /: %d, %d bytes, length %s", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

// TestMountLeavesTheAPIAlone: everything but "/" and /console/… reaches the API as it
// is, /v1 routes, health, metrics and unknown paths alike.
func TestMountLeavesTheAPIAlone(t *testing.T) {
	var seen []string
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	})
	h := console.Mount(api)
	for _, p := range []string{"/v1/events", "/v1/ledger", "/healthz", "/readyz", "/metrics", "/openapi.yaml", "/favicon.ico", "/consolex", "/index.html"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusTeapot || rec.Header().Get("Content-Security-Policy") != "" {
			t.Errorf("GET %s: %d (CSP %q): not passed to the API", p, rec.Code, rec.Header().Get("Content-Security-Policy"))
		}
	}
	if len(seen) != 9 {
		t.Errorf("the API saw %v", seen)
	}
	for _, p := range []string{"/", "/console/js/app.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != 200 {
			t.Errorf("GET %s: %d", p, rec.Code)
		}
	}
}

// TestAssetsFetchNothingElse: the console runs on an isolated network. No asset names
// another host (only XML namespaces, which are names, not fetches), pulls a font or
// runs inline script or style (which the CSP would block), and the JavaScript has no DOM
// sink for markup or code (which Trusted Types would block at run time).
func TestAssetsFetchNothingElse(t *testing.T) {
	root := "assets"
	urlRE := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	sinks := regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|setTimeout\(\s*['"]|\.setAttribute\(\s*['"](style|on)|@import|url\(`)
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		s := string(b)
		for _, m := range urlRE.FindAllString(s, -1) {
			if !strings.Contains(m, "www.w3.org") {
				t.Errorf("%s names another host: %s", p, m)
			}
		}
		if m := sinks.FindString(s); m != "" {
			t.Errorf("%s uses %q", p, m)
		}
		if strings.HasSuffix(p, ".html") {
			if regexp.MustCompile(`<script(?:\s+type="module")?>|<style|\sstyle=|\son[a-z]+=`).MatchString(s) {
				t.Errorf("%s has inline script, style or handlers", p)
			}
		}
		if strings.HasSuffix(p, ".css") && strings.Contains(s, "@font-face") {
			t.Errorf("%s loads a font", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Fatalf("only %d assets", n)
	}
	// Every asset is served, and everything served is an asset.
	for _, p := range console.Paths() {
		f := strings.TrimPrefix(p, console.Prefix)
		if p == "/" {
			f = "index.html"
		}
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("%s is served but is no asset: %v", p, err)
		}
	}
}

// TestPageLoadsItsModule: the page is the shell the modules fill; its script is the app
// module, from this server.
func TestPageLoadsItsModule(t *testing.T) {
	rec := httptest.NewRecorder()
	console.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{`<html lang="zh-CN">`, `<script type="module" src="/console/js/app.js">`, `<link rel="stylesheet" href="/console/console.css">`, `id="main"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}
