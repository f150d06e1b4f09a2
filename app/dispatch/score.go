package dispatch

import (
	"math"
	"strconv"
)

// Score weights: a candidate's score is the sum of its reasons' points (higher is better).
const (
	maxDistancePoints = 40.0    // at the address; 0 at FarMeters or beyond
	FarMeters         = 20000.0 // distance beyond which proximity earns nothing
	maxLevelPoints    = 15.0    // exactly the required level; 5 less per level above
	maxRatingPoints   = 20.0    // 5 stars; 0 at 1 star
	workloadPenalty   = 5.0     // per active visit that day
	maxWorkload       = 25.0
	preferredPoints   = 15.0
	previousPoints    = 10.0
	// NeutralRating is used when no rating is known.
	NeutralRating = 4.5
)

// ScoreInput is what a candidate is scored on.
type ScoreInput struct {
	DistanceM    float64 // < 0: unknown
	LevelRank    int
	RequiredRank int // 0: the service names no level
	Rating       float64
	Workload     int // active assignments that day
	Preferred    bool
	Previous     bool // served this customer before
}

// Reason is one factor of a score.
type Reason struct {
	Factor string  `json:"factor"` // distance, level, rating, workload, preferred, previous
	Points float64 `json:"points"`
	Detail string  `json:"detail"`
}

// Score ranks a candidate: closer is better; a level at the required one is better than a
// more senior (costlier) one; higher ratings; fewer visits that day; the customer's preferred
// staff member and staff who served them before get a bonus. Pure: no I/O.
func Score(in ScoreInput) (float64, []Reason) {
	var rs []Reason
	add := func(f string, p float64, d string) { rs = append(rs, Reason{Factor: f, Points: round2(p), Detail: d}) }
	if in.DistanceM >= 0 {
		add("distance", maxDistancePoints*(1-math.Min(in.DistanceM, FarMeters)/FarMeters), fmtKm(in.DistanceM))
	} else {
		add("distance", 0, "location unknown")
	}
	above := in.LevelRank - in.RequiredRank
	switch {
	case in.RequiredRank == 0:
		add("level", maxLevelPoints/2, "no level required")
	case above < 0:
		add("level", -maxLevelPoints, "below the required level")
	default:
		add("level", math.Max(0, maxLevelPoints-5*float64(above)), "levels above required: "+strconv.Itoa(above))
	}
	r := in.Rating
	if r <= 0 {
		r = NeutralRating
	}
	r = math.Max(1, math.Min(5, r))
	add("rating", maxRatingPoints*(r-1)/4, "rating "+ftoa1(r))
	add("workload", -math.Min(maxWorkload, workloadPenalty*float64(in.Workload)), "visits that day: "+strconv.Itoa(in.Workload))
	if in.Preferred {
		add("preferred", preferredPoints, "the customer's preferred staff member")
	}
	if in.Previous {
		add("previous", previousPoints, "served this customer before")
	}
	total := 0.0
	for _, x := range rs {
		total += x.Points
	}
	return round2(total), rs
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
