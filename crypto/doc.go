// Package crypto is the ledger's only door to the Chinese commercial cryptography
// algorithms: SM2 signatures (GB/T 32918, GM/T 0009 with the default user ID
// "1234567812345678"), the SM3 hash and SM4 in GCM mode (RFC 8998).
//
// Nothing above this package imports the SM library: SM2 keys travel as
// *ecdsa.PublicKey on the SM2 curve, SM3 is a hash.Hash and SM4-GCM a cipher.AEAD, so the
// rest of the project speaks the standard library's language.
//
// # Basics
//
// A [Signer] produces DER signatures over whole messages (the SM2 pre-hash
// e = SM3(ZA ‖ M) is taken inside), so a key file ([FileSigner]), a KMS or an HSM can
// stand behind it. A [PublicKey] caches ZA, the per-key half of the pre-hash, so that
// verifying millions of entries signed by a few keys does not recompute it, and from its
// 16th verification on it verifies with its own precomputed table (internal/sm2p256, about
// 4.5× the library's verifier, same answers; at most [MaxVerifyTables] live).
//
// Keys are stored as PKCS#8 (private) and PKIX (public) PEM, the forms OpenSSL 3 reads:
//
//	openssl pkeyutl -verify -pubin -inkey k.pub -rawin -in msg -sigfile sig \
//	    -digest sm3 -pkeyopt distid:1234567812345678
//
// # Caveats
//
// The SM library's own Sign treats its input as a digest unless given signer options;
// this package never exposes that call. [KeyID] is this project's identifier for a key
// (the first 16 bytes of SM3 over its PKIX DER encoding, in hex); it is not a standard.
package crypto
