package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed assets
var assets embed.FS

// Prefix is where the console's assets are served; the page itself is at "/".
const Prefix = "/console/"

// CSP is the Content-Security-Policy of every console response: scripts, styles and
// fetches only from the ledgerd that served the page, no inline script or style, no
// plugin, frame, form target or base URL, and DOM sinks closed by Trusted Types. A
// console that checks what a server says must not run what anyone else says.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; manifest-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// file is one embedded asset with what its answer needs.
type file struct {
	body []byte
	typ  string
	etag string
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// files maps request paths to assets, read once: the assets are fixed for a build.
var files = func() map[string]*file {
	out := map[string]*file{}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		typ, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil // only what the page loads is served
		}
		sum := sha256.Sum256(b)
		f := &file{body: b, typ: typ, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		rel := strings.TrimPrefix(p, "assets/")
		if rel == "index.html" {
			out["/"] = f
			return nil
		}
		out[Prefix+rel] = f
		return nil
	})
	if err != nil {
		panic("console: reading the embedded assets: " + err.Error()) // a broken build, not input
	}
	return out
}()

// Paths lists the request paths the console answers, for tests and docs.
func Paths() []string {
	out := make([]string, 0, len(files))
	for p := range files {
		out = append(out, p)
	}
	return out
}

// Handler serves the console's page and assets. Requests for other paths answer 404; use
// Mount to put the console in front of the API.
func Handler() http.Handler { return http.HandlerFunc(serve) }

// Mount returns a handler that serves the console at "/" and under Prefix and passes
// every other request to next (the API), so that /v1, /metrics, /healthz, /readyz and
// /openapi.yaml answer exactly as they do without it.
func Mount(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, Prefix) {
			serve(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	f, ok := files[r.URL.Path]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such console file: "+r.URL.Path, "控制台无此文件："+r.URL.Path)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
			r.Method+" is not allowed on "+r.URL.Path+"; allowed: GET, HEAD",
			r.URL.Path+" 不允许使用 "+r.Method+" 方法；允许：GET, HEAD")
		return
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", f.typ)
	h.Set("Content-Length", strconv.Itoa(len(f.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(f.body)
	}
}

// writeError answers in the API's one error shape (api/errors.go), in both languages.
func writeError(w http.ResponseWriter, status int, code, en, zh string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "field": "", "message": en, "message_zh": zh}})
}
