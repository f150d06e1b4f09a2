package notify_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"doorstep/app/notify"
)

// requireTemplates renders every template of a family (its parameter lists) in each locale
// of want with its listed parameters taken from params, compares subject and body, and checks
// that leaving out any listed parameter fails; want must name every template of the family.
func requireTemplates(t *testing.T, family map[string][]string, params map[string]string, want map[string]map[string][2]string) {
	t.Helper()
	require.Len(t, family, len(want))
	for tpl, byLocale := range want {
		keys := family[tpl]
		require.NotEmpty(t, keys, tpl)
		for locale, sb := range byLocale {
			p := map[string]string{}
			for _, k := range keys {
				p[k] = params[k]
			}
			r, err := notify.Render(notify.Message{Locale: locale, Template: tpl, Params: p})
			require.NoError(t, err, tpl)
			require.Equal(t, sb[0], r.Subject, tpl+"/"+locale)
			require.Equal(t, sb[1], r.Body, tpl+"/"+locale)
			for _, missing := range keys {
				q := map[string]string{}
				for _, k := range keys {
					if k != missing {
						q[k] = params[k]
					}
				}
				_, err := notify.Render(notify.Message{Locale: locale, Template: tpl, Params: q})
				require.Error(t, err, "%s/%s without %s", tpl, locale, missing)
			}
		}
	}
}
