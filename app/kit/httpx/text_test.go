package httpx

import (
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/kit/errs"
)

func TestUnstorableText(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       []errs.FieldError
	}{
		{"clean", `{"name":"Bow tie","items":[{"note":"ok"}]}`, nil},
		{"clean with an escaped backslash before u0000", `{"name":"a\\u0000b"}`, nil},
		{"top-level field", `{"name":"a\u0000b"}`, []errs.FieldError{{Field: "name", Message: msgNUL}}},
		{"nested field", `{"contact":{"phone":"1","name":"\u0000"}}`, []errs.FieldError{{Field: "contact.name", Message: msgNUL}}},
		{"array element field", `{"items":[{"note":"x"},{"note":"y"},{"qty":2,"note":"z\u0000"}]}`,
			[]errs.FieldError{{Field: "items[2].note", Message: msgNUL}}},
		{"array of strings", `{"tags":["a","b\u0000"]}`, []errs.FieldError{{Field: "tags[1]", Message: msgNUL}}},
		{"after nested values", `{"a":{"b":[1,{"c":null}],"d":true},"e":"\u0000"}`, []errs.FieldError{{Field: "e", Message: msgNUL}}},
		{"every offender", `{"a":"\u0000","b":["\u0000"]}`, []errs.FieldError{{Field: "a", Message: msgNUL}, {Field: "b[0]", Message: msgNUL}}},
		{"invalid UTF-8", "{\"name\":\"caf\xe9\"}", []errs.FieldError{{Field: "name", Message: msgBadUTF8}}},
		{"property name", `{"contact":{"na\u0000me":"x"}}`, []errs.FieldError{{Field: "contact", Message: msgBadKey}}},
		{"root string", `"\u0000"`, []errs.FieldError{{Field: "body", Message: msgNUL}}},
		{"malformed after a fault", `{"a":"\u0000",`, []errs.FieldError{{Field: "a", Message: msgNUL}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, UnstorableText([]byte(c.body)))
		})
	}
}
