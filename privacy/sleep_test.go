package privacy_test

import "time"

func sleep() { time.Sleep(10 * time.Millisecond) }
