package bench

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aba-prefecture/dataledger/client"
)

// Latencies summarise request times, in milliseconds: the median and the tail an
// operator sizes a deployment by, not the mean a few slow requests hide in.
type Latencies struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Summarise sorts ds and returns its quantiles, or nil when there are none.
func Summarise(ds []time.Duration) *Latencies {
	if len(ds) == 0 {
		return nil
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := int(q * float64(len(ds)))
		if i >= len(ds) {
			i = len(ds) - 1
		}
		return ms(ds[i])
	}
	return &Latencies{P50: at(0.50), P99: at(0.99), P999: at(0.999), Max: ms(ds[len(ds)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ErrorCode names a failed request for the error counts: the server's code for an
// answer it refused, "network" for one that never came back.
func ErrorCode(err error) string {
	if ce, ok := errors.AsType[*client.Error](err); ok {
		if ce.Code == "" {
			return fmt.Sprintf("http_%d", ce.Status)
		}
		return ce.Code
	}
	return "network"
}
