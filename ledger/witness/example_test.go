package witness_test

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger/witness"
)

// The message a witness signs for a checkpoint body at a time: tlog-cosignature/v1.
func ExampleCosignedMessage() {
	body := "vector.aba.example/ledger\n1\naAoADgL2XMJ+pLjL5Z8UCsLEqT+NGtQ9c0Z7Qh6Q9MY=\n"
	fmt.Printf("%s", witness.CosignedMessage(1762403372, []byte(body)))
	// Output:
	// cosignature/v1
	// time 1762403372
	// vector.aba.example/ledger
	// 1
	// aAoADgL2XMJ+pLjL5Z8UCsLEqT+NGtQ9c0Z7Qh6Q9MY=
}

// The key ID in a witness's cosignature lines (docs/formats.md §6 test vector).
func ExampleKeyHash() {
	k, err := crypto.ParsePublicKeyPEM([]byte(`-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE+VScyPU1vFBpLb8B/pGPEKYjbNt+
EKPAnxFBEioOEZ6U+MIrc0pQPRSJwOP0rjItnoVrvPXCuO3pGFdFN+NVJQ==
-----END PUBLIC KEY-----
`))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%08x\n", witness.KeyHash("witness.example", k))
	// Output: cd3569e8
}
