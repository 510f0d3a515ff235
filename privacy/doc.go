// Package privacy keeps personal and commercially confidential payload fields readable
// only while the law allows: each such field is encrypted with SM4-GCM under a data key
// of its subject (a person, an emergency's data set, an outsourcing contract), the keys
// live in a KeyStore outside the ledger, and the acts that require the data's destruction
// (Art. 21 emergency data, Art. 22 a data subject's deletion request, Art. 39 a provider's
// deletion) destroy the subject's key. The ledger's bytes never change, so every hash,
// signature and proof still verifies; the fields simply can no longer be read.
//
// # Guarantees
//
//   - Encryption happens before signing, on the institution's side (EncryptPayload): the
//     actor's signature covers the ciphertext and the ledger never sees the plaintext.
//   - The additional authenticated data binds each ciphertext to its event id, field path,
//     subject and key id (AAD), so a ciphertext cannot be moved to another event or field
//     and still decrypt.
//   - Data keys never enter the ledger or any log: the store keeps them wrapped (SM4-GCM)
//     under a key-encryption key (KEK) held in a file or the environment; log lines and
//     errors name subjects and key ids, never key bytes.
//   - After Shred, Get fails with a *ShreddedError naming the destruction event, and
//     GetOrCreate refuses to make a new key for the subject: data recorded later about a
//     destroyed subject cannot silently become readable under a fresh key.
//   - DirStore erases a key file by overwriting it with zeros, fsyncing, unlinking and
//     fsyncing the directory; the tombstone is written first, so a crash between the two
//     leaves a subject that is refused, and the next Open finishes the erasure.
//
// # Basics
//
//	kek, _ := privacy.ReadKEKFile("keystore.kek")
//	ks, _ := privacy.OpenDirStore("keystore", kek)
//	payload, _ = privacy.EncryptPayload(ctx, ks, id, payload, []privacy.Field{{Path: "party", Subject: "person/7f3a"}})
//	// … sign and submit; later, with the right role:
//	clear, fields, _ := privacy.DecryptPayload(ctx, ks, id, payload)
//	// a destruction act recorded in the ledger is applied by the shredder:
//	sh, _ := privacy.NewShredder(privacy.ShredderConfig{Keys: ks, Store: st, Rules: privacy.DefaultRules, PositionFile: "keystore/shredder.json"})
//	sh.RunToEnd(ctx)
//
// # Caveats
//
// Overwriting a file does not reach blocks a journaling file system or an SSD's
// flash translation layer keeps elsewhere; what may survive there is a wrapped key, useless
// without the KEK. Where that is not enough, use a KeyStore backed by a KMS or HSM that
// destroys keys itself. Subject ids and key ids are stored in clear (in the ledger and the
// store): they must be opaque identifiers, never names or identity-card numbers.
package privacy
