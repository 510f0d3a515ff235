// Package console is the ledger's console in the browser, served by ledgerd at "/": a
// security officer, an assessment reviewer or a compliance clerk signs in with a bearer
// token and searches the acts, opens one and sees it verified, verifies an evidence
// bundle, follows a resource's custody, and reads the emergency register, the findings,
// the obligations and the yearly assessment, in Chinese first and English second.
//
// Everything it runs is in this package, embedded in the binary (assets/): HTML, CSS and
// plain JavaScript modules written for it, no library, no build step, nothing fetched
// from anywhere but the ledgerd that serves it, so that it works on an isolated
// government network. Its own verifier (assets/js: SM3, SHA-256, SM2 over BigInt, RFC
// 6962 proofs, C2SP signed notes, the key registry and evidence bundles) checks what the
// server answers in the browser, so that an officer need not trust the server: the
// console's differential test holds it to the Go code (docs/console.md).
//
// # Basics
//
//	srv := &http.Server{Handler: console.Mount(apiServer)}
//
// Mount answers GET and HEAD of "/" (the page) and "/console/…" (its assets) with a
// strict Content-Security-Policy and hands every other request, /v1 and the rest, to the
// API unchanged.
package console
