package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Required is true in CI (LEDGER_REQUIRE_SERVICES=1): a missing browser fails the test
// instead of skipping it.
func Required() bool { return os.Getenv("LEDGER_REQUIRE_SERVICES") == "1" }

// Find returns the Chromium to drive: $LEDGER_CHROMIUM if set, else the first of
// chromium, chromium-browser, google-chrome on PATH.
func Find() (string, error) {
	if p := os.Getenv("LEDGER_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("LEDGER_CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (apt-get install chromium fonts-noto-cjk)")
}

// Browser is one headless Chromium. Its tabs are opened one at a time by Open; it is
// not for use from several goroutines.
type Browser struct {
	ctx    context.Context // the browser's first tab: keeps the process alive
	cancel func()
}

// Option changes how Start runs the browser.
type Option func(*config)

type config struct{ env []string }

// Env adds variables to the browser's environment, for example FONTCONFIG_FILE to
// choose the fonts it may use.
func Env(vars ...string) Option { return func(c *config) { c.env = append(c.env, vars...) } }

// startTimeout bounds the browser's start-up: a wedged Chromium must not hang a CI run.
const startTimeout = 60 * time.Second

// Start starts a headless Chromium for t and closes it when t ends. Without a Chromium
// it skips t, or fails it when Required.
func Start(t testing.TB, opts ...Option) *Browser {
	t.Helper()
	path, err := Find()
	if err != nil {
		if Required() {
			t.Fatalf("browser tests need Chromium (LEDGER_REQUIRE_SERVICES=1): %v", err)
		}
		t.Skipf("skipping browser test: %v", err)
	}
	b, err := Launch(path, t.TempDir(), opts...)
	if err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	t.Cleanup(b.Close)
	return b
}

// Launch starts the Chromium at path with a fresh profile in dir (which must be empty
// and is the caller's to remove). Headless, no sandbox (tests run as root), and nothing
// that reaches the network on its own: no background networking, component updates,
// sync, QUIC, or first-run pages; no GPU.
func Launch(path, dir string, opts ...Option) (*Browser, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	flags := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.DisableGPU,
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
	)
	if len(c.env) > 0 {
		flags = append(flags, chromedp.Env(c.env...))
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &Browser{ctx: ctx, cancel: func() { cancel(); acancel() }}
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			b.Close()
			return nil, err
		}
	case <-time.After(startTimeout):
		b.Close()
		return nil, fmt.Errorf("browser did not start in %s", startTimeout)
	}
	return b, nil
}

// Close ends the browser process.
func (b *Browser) Close() { b.cancel() }

// Viewport is the window a page is laid out in, in CSS pixels.
type Viewport struct {
	Width, Height int64
	// Print lays the page out for print media (@media print) instead of the screen.
	Print bool
}

// A4 is an A4 page's width at 96 dpi (210 mm), in CSS pixels: what a report must fit
// on screen.
const A4 = 794

// A4Text is the text width of an A4 page under the reports' @page margins (12 mm each
// side: 186 mm), in CSS pixels: what a report must fit when printed.
const A4Text = 703

// Page is one tab showing one document.
type Page struct {
	ctx    context.Context
	cancel func()
}

// pageTimeout bounds every action on a page.
const pageTimeout = 60 * time.Second

// Open shows the document html in a new tab laid out in v. The document is written to
// a file in dir and loaded from there (no server, no network).
func (b *Browser) Open(dir string, html []byte, v Viewport) (*Page, error) {
	f, err := os.CreateTemp(dir, "page-*.html")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(html); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	tab, cancelTab := chromedp.NewContext(b.ctx)
	ctx, cancel := context.WithTimeout(tab, pageTimeout)
	p := &Page{ctx: ctx, cancel: func() { cancel(); cancelTab() }}
	media := func(ctx context.Context, t *chromedp.Target) error {
		m := ""
		if v.Print {
			m = "print"
		}
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
		return err
	}
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(v.Width, max(v.Height, 600)),
		chromedp.Func(media),
		chromedp.Navigate("file://"+filepath.ToSlash(f.Name())),
		chromedp.WaitReady(chromedp.CSS("body")),
	); err != nil {
		p.Close()
		return nil, fmt.Errorf("opening the page: %w", err)
	}
	// Fonts load asynchronously: wait until the document says they are ready.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		p.Close()
		return nil, fmt.Errorf("waiting for fonts: %w", err)
	}
	return p, nil
}

// Close closes the tab.
func (p *Page) Close() { p.cancel() }

// Eval evaluates a JavaScript expression on the page and decodes its result into T.
func Eval[T any](p *Page, expr string) (T, error) {
	return chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
}

// Screenshot is a PNG of the whole page, or of its first maxHeight CSS pixels when
// maxHeight > 0 (a long register would make a picture of megabytes).
func (p *Page) Screenshot(maxHeight int64) ([]byte, error) {
	if maxHeight > 0 {
		h, err := Eval[int64](p, `Math.ceil(document.documentElement.scrollHeight)`)
		if err != nil {
			return nil, err
		}
		if h > maxHeight {
			w, err := Eval[int64](p, `document.documentElement.clientWidth`)
			if err != nil {
				return nil, err
			}
			if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(w, maxHeight)); err != nil {
				return nil, err
			}
			return chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
		}
	}
	return chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
}
