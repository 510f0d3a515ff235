// Package browsertest drives a headless Chromium (Debian's chromium package) from Go
// tests through github.com/chromedp/chromedp: one browser per test binary, a tab per
// page, and the checks a reader's eye would make — that nothing is wider than the page
// (Page.Overflow) and that no character is drawn as a box for want of a font
// (Page.Boxes) — plus screenshots for the documentation.
//
// Start skips a test when no Chromium is installed, and fails it when
// LEDGER_REQUIRE_SERVICES=1 (CI), so that a missing browser never passes unnoticed.
package browsertest
