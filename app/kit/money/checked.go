package money

import (
	"errors"
	"math"
	"math/bits"
)

// MaxInput is the largest amount, in minor units, that any money input may carry: one hundred
// million in major units (¥100,000,000.00 at two digits). It is far above any real price and far
// below int64's range, so sums of many bounded inputs cannot overflow. Every API and service
// that accepts a price, fee or cap checks it against this bound.
const MaxInput int64 = 100_000_000_00

// MaxRateBP is the largest percentage rate, in basis points, a rate input may carry (10000 bp =
// 100%), unless a rule documents its own, lower or higher, bound.
const MaxRateBP int64 = 10_000

// ErrOverflow: a money computation left int64's range. It is never wrapped into a wrong amount.
var ErrOverflow = errors.New("money: arithmetic overflow")

// Add returns a+b, or ErrOverflow.
func Add(a, b int64) (int64, error) {
	s := a + b
	// Overflow happened iff both operands have the same sign and the sum's sign differs.
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		return 0, ErrOverflow
	}
	return s, nil
}

// Sum adds all values, or returns ErrOverflow.
func Sum(vs ...int64) (int64, error) {
	var t int64
	for _, v := range vs {
		var err error
		if t, err = Add(t, v); err != nil {
			return 0, err
		}
	}
	return t, nil
}

// Mul returns a*b, or ErrOverflow.
func Mul(a, b int64) (int64, error) {
	if a == 0 || b == 0 {
		return 0, nil
	}
	hi, lo := bits.Mul64(uabs(a), uabs(b))
	neg := (a < 0) != (b < 0)
	return signed(hi, lo, neg)
}

// MulDiv returns a*b/d rounded half away from zero, computed with a 128-bit intermediate so
// that the product may exceed int64 as long as the result does not. d must be positive.
// It is how percentages are taken: MulDiv(base, bp, 10000).
func MulDiv(a, b, d int64) (int64, error) {
	if d <= 0 {
		return 0, ErrOverflow
	}
	if a == 0 || b == 0 {
		return 0, nil
	}
	hi, lo := bits.Mul64(uabs(a), uabs(b))
	ud := uint64(d)
	if hi >= ud {
		return 0, ErrOverflow // the quotient would not fit 64 bits
	}
	q, r := bits.Div64(hi, lo, ud)
	// Half away from zero: round up when the remainder is at least half the divisor.
	if r >= ud-r {
		if q == math.MaxUint64 {
			return 0, ErrOverflow
		}
		q++
	}
	return signed(0, q, (a < 0) != (b < 0))
}

func uabs(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1 // safe for math.MinInt64
	}
	return uint64(v)
}

// signed turns a 128-bit magnitude and a sign into an int64, or ErrOverflow.
func signed(hi, lo uint64, neg bool) (int64, error) {
	if hi != 0 {
		return 0, ErrOverflow
	}
	if neg {
		if lo > 1<<63 {
			return 0, ErrOverflow
		}
		return -int64(lo-1) - 1, nil
	}
	if lo > math.MaxInt64 {
		return 0, ErrOverflow
	}
	return int64(lo), nil
}
