package errs_test

import (
	"testing"

	"doorstep/app/kit/errs"
)

// TestInvalidFieldsIsValidationsError: the constructor and Validation.Err give the same error,
// so every field problem keeps one code and one detail text.
func TestInvalidFieldsIsValidationsError(t *testing.T) {
	var v errs.Validation
	v.Add("name", "1 to 100 characters")
	got, ok := errs.As(v.Err())
	if !ok {
		t.Fatalf("Validation.Err is not an *errs.Error: %v", v.Err())
	}
	want := errs.InvalidFields(errs.Field("name", "1 to 100 characters"))
	if got.Kind != errs.Invalid || got.Kind != want.Kind || got.Code != "validation_failed" || got.Code != want.Code ||
		got.Detail != "the request has invalid fields" || got.Detail != want.Detail ||
		len(got.Fields) != 1 || got.Fields[0] != want.Fields[0] {
		t.Fatalf("Validation.Err = %+v, InvalidFields = %+v", got, want)
	}
}
