package dispatch

import "testing"

func TestScore(t *testing.T) {
	base := ScoreInput{DistanceM: 5000, LevelRank: 2, RequiredRank: 2, Rating: 4.5}
	with := func(f func(*ScoreInput)) ScoreInput { in := base; f(&in); return in }
	cases := []struct {
		name        string
		better, not ScoreInput
	}{
		{"closer wins", with(func(i *ScoreInput) { i.DistanceM = 1000 }), base},
		{"unknown location loses", base, with(func(i *ScoreInput) { i.DistanceM = -1 })},
		{"far is capped, not negative", with(func(i *ScoreInput) { i.DistanceM = 19000 }), with(func(i *ScoreInput) { i.DistanceM = 90000 })},
		{"required level beats senior", base, with(func(i *ScoreInput) { i.LevelRank = 4 })},
		{"higher rating wins", with(func(i *ScoreInput) { i.Rating = 5 }), with(func(i *ScoreInput) { i.Rating = 3 })},
		{"no rating is neutral, above a poor one", with(func(i *ScoreInput) { i.Rating = 0 }), with(func(i *ScoreInput) { i.Rating = 4 })},
		{"lighter day wins", base, with(func(i *ScoreInput) { i.Workload = 2 })},
		{"preferred wins", with(func(i *ScoreInput) { i.Preferred = true }), base},
		{"previous wins", with(func(i *ScoreInput) { i.Previous = true }), base},
		{"preferred outweighs 3 km", with(func(i *ScoreInput) { i.Preferred = true; i.DistanceM = 8000 }), base},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, rb := Score(c.better)
			n, _ := Score(c.not)
			if b <= n {
				t.Fatalf("score %v (reasons %+v) not above %v", b, rb, n)
			}
		})
	}
	s, rs := Score(ScoreInput{DistanceM: 0, LevelRank: 1, RequiredRank: 1, Rating: 5, Preferred: true, Previous: true})
	if s != 40+15+20+15+10 {
		t.Fatalf("max score %v", s)
	}
	sum := 0.0
	for _, r := range rs {
		sum += r.Points
	}
	if sum != s || len(rs) != 6 {
		t.Fatalf("reasons %+v do not add up to %v", rs, s)
	}
	if s, _ := Score(ScoreInput{DistanceM: 1000, Workload: 100, Rating: 4.5}); s < -40 {
		t.Fatalf("workload penalty uncapped: %v", s)
	}
}
