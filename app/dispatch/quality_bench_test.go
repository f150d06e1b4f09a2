package dispatch

import (
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkDispatchQuality (issue 4, d): batches of 50 orders × 100 staff at random points in
// a 20 km square, with random ratings (3.5–5) and levels (1–3, 1 required). Orders are
// dispatched one after another: greedy-by-score gives each the best-scoring free staff member
// (distance, level, rating and that day's workload, as Score weighs them); the naive baseline
// gives each the nearest free one. Reported: total distance ÷ the optimal total distance of
// an exact assignment (Hungarian), averaged over the batches.
func BenchmarkDispatchQuality(b *testing.B) {
	const orders, staffN, side = 50, 100, 20000.0
	r := rand.New(rand.NewPCG(42, 7))
	var scoreRatio, naiveRatio float64
	batches := 0
	for b.Loop() {
		type pt struct{ x, y float64 }
		st := make([]pt, staffN)
		rating := make([]float64, staffN)
		level := make([]int, staffN)
		for i := range st {
			st[i] = pt{r.Float64() * side, r.Float64() * side}
			rating[i] = 3.5 + 1.5*r.Float64()
			level[i] = 1 + r.IntN(3)
		}
		dist := make([][]float64, orders)
		for i := range dist {
			o := pt{r.Float64() * side, r.Float64() * side}
			dist[i] = make([]float64, staffN)
			for j, s := range st {
				dist[i][j] = math.Hypot(o.x-s.x, o.y-s.y)
			}
		}
		_, opt := Hungarian(dist)
		greedy := func(pick func(i int, free []bool) int) float64 {
			free := make([]bool, staffN)
			for j := range free {
				free[j] = true
			}
			total := 0.0
			for i := range orders {
				j := pick(i, free)
				free[j] = false
				total += dist[i][j]
			}
			return total
		}
		byScore := greedy(func(i int, free []bool) int {
			best, bestS := -1, math.Inf(-1)
			for j := range staffN {
				if !free[j] {
					continue
				}
				s, _ := Score(ScoreInput{DistanceM: dist[i][j], LevelRank: level[j], RequiredRank: 1, Rating: rating[j]})
				if s > bestS {
					best, bestS = j, s
				}
			}
			return best
		})
		nearest := greedy(func(i int, free []bool) int {
			best := -1
			for j := range staffN {
				if free[j] && (best < 0 || dist[i][j] < dist[i][best]) {
					best = j
				}
			}
			return best
		})
		scoreRatio += byScore / opt
		naiveRatio += nearest / opt
		batches++
	}
	b.ReportMetric(scoreRatio/float64(batches), "score/optimal")
	b.ReportMetric(naiveRatio/float64(batches), "nearest/optimal")
}
