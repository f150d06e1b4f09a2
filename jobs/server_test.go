package jobs

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRetryDelayIsExponentialWithJitterAndCapped(t *testing.T) {
	t.Parallel()
	for range 100 {
		for n, hi := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
			d := retryDelay(n, nil, nil)
			require.GreaterOrEqual(t, d, hi/2)
			require.LessOrEqual(t, d, hi)
		}
		for _, n := range []int{10, 25, 64, 1000} {
			d := retryDelay(n, nil, nil)
			require.GreaterOrEqual(t, d, retryCap/2)
			require.LessOrEqual(t, d, retryCap)
		}
	}
}
