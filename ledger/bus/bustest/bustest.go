package bustest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/nats-io/nats.go"
)

// DefaultNATSURL is where the project's machines run NATS with JetStream.
const DefaultNATSURL = "nats://127.0.0.1:4222"

// NATSURL returns LEDGER_NATS_URL (or the default) once a JetStream server answers there.
func NATSURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("LEDGER_NATS_URL")
	if u == "" {
		u = DefaultNATSURL
	}
	nc, err := nats.Connect(u, nats.Timeout(3*time.Second))
	if err != nil {
		pgtest.Unavailable(t, "NATS is not reachable at LEDGER_NATS_URL=%s: %v", u, err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err == nil {
		_, err = js.AccountInfo()
	}
	if err != nil {
		pgtest.Unavailable(t, "NATS at %s has no JetStream: %v", u, err)
	}
	return u
}

// Topic returns a topic (and JetStream stream) name of the test's own, deleting the
// stream when the test ends.
func Topic(t testing.TB, url string) string {
	t.Helper()
	var b [5]byte
	rand.Read(b[:])
	topic := "ledger-test-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if nc, err := nats.Connect(url); err == nil {
			if js, err := nc.JetStream(); err == nil {
				js.DeleteStream(topic)
			}
			nc.Close()
		}
	})
	return topic
}
