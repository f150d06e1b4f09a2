package identity

import (
	"sync"

	"github.com/alexedwards/argon2id"
)

// passwordParams follow OWASP's argon2id recommendation (19 MiB, 2 iterations, 1 lane).
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword hashes a password with argon2id.
func HashPassword(pw string) (string, error) { return argon2id.CreateHash(pw, passwordParams) }

var (
	dummyOnce sync.Once
	dummyHash string
)

// CheckPassword compares in constant time; with an empty hash it still does the work, so an
// unknown login takes as long as a wrong password.
func CheckPassword(pw, hash string) bool {
	if hash == "" {
		dummyOnce.Do(func() { dummyHash, _ = HashPassword("doorstep-dummy-password") })
		_, _ = argon2id.ComparePasswordAndHash(pw, dummyHash)
		return false
	}
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	return err == nil && ok
}
