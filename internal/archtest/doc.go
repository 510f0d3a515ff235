// Package archtest holds no code: its tests hold the project to its layering
// (ARCHITECTURE.md, "Top level"): which package may import which, that read models
// write no event, that storage, transport and the SM library are reached only through
// the packages that own them, and that no function grows past what one reading holds.
package archtest
