package dispatch

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bruteForce tries every injective row → column map.
func bruteForce(cost [][]float64) float64 {
	n, m := len(cost), len(cost[0])
	best := math.Inf(1)
	used := make([]bool, m)
	var rec func(i int, sum float64)
	rec = func(i int, sum float64) {
		if i == n {
			best = math.Min(best, sum)
			return
		}
		for j := range m {
			if !used[j] {
				used[j] = true
				rec(i+1, sum+cost[i][j])
				used[j] = false
			}
		}
	}
	rec(0, 0)
	return best
}

func TestHungarianMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 1 + r.IntN(5)
		m := n + r.IntN(3)
		cost := make([][]float64, n)
		for i := range cost {
			cost[i] = make([]float64, m)
			for j := range cost[i] {
				cost[i][j] = float64(r.IntN(100))
				if trial%3 == 0 {
					cost[i][j] = r.Float64() * 1000
				}
			}
		}
		got, total := Hungarian(cost)
		want := bruteForce(cost)
		if math.Abs(total-want) > 1e-9 {
			t.Fatalf("trial %d: %v, brute force %v (cost %v)", trial, total, want, cost)
		}
		seen := map[int]bool{}
		sum := 0.0
		for i, j := range got {
			if seen[j] {
				t.Fatalf("column %d used twice", j)
			}
			seen[j] = true
			sum += cost[i][j]
		}
		if math.Abs(sum-total) > 1e-9 {
			t.Fatalf("total %v but assignment sums to %v", total, sum)
		}
	}
	if a, tot := Hungarian(nil); a != nil || tot != 0 {
		t.Fatal("empty")
	}
	if _, tot := Hungarian([][]float64{{4, 1, 3}, {2, 0, 5}, {3, 2, 2}}); tot != 5 {
		t.Fatalf("classic 3×3: %v", tot)
	}
}
