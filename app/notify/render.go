package notify

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	i18ntemplate "github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

// Templates are go-i18n messages with the ids "<template>.body" and, optionally,
// "<template>.subject", in locales/active.<locale>.json.
//
//go:embed locales/*.json
var localeFiles embed.FS

// ErrUnknownTemplate is returned by Render for a template no locale file defines.
var ErrUnknownTemplate = errors.New("notify: unknown template")

// strictText makes a missing parameter an error instead of "<no value>" in a customer's SMS.
var strictText = &i18ntemplate.TextParser{Option: "missingkey=error"}

var bundle = sync.OnceValues(func() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.MustParse(DefaultLocale))
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	names, err := fs.Glob(localeFiles, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := b.LoadMessageFileFS(localeFiles, name); err != nil {
			return nil, fmt.Errorf("notify: load %s: %w", name, err)
		}
	}
	return b, nil
})

// Render fills in m's template in m's locale, falling back to DefaultLocale when the locale
// or the template's translation is missing. An unknown template or a missing parameter is an
// error.
func Render(m Message) (Rendered, error) {
	b, err := bundle()
	if err != nil {
		return Rendered{}, err
	}
	loc := i18n.NewLocalizer(b, m.Locale, DefaultLocale)
	body, ok, err := localize(loc, m.Template+".body", m.Params)
	if err != nil {
		return Rendered{}, err
	}
	if !ok {
		return Rendered{}, fmt.Errorf("%w %q", ErrUnknownTemplate, m.Template)
	}
	if body == "" {
		return Rendered{}, fmt.Errorf("notify: template %q rendered empty", m.Template)
	}
	subject, _, err := localize(loc, m.Template+".subject", m.Params)
	if err != nil {
		return Rendered{}, err
	}
	return Rendered{Message: m, Subject: subject, Body: body}, nil
}

// localize returns the message id rendered with params; ok is false when no locale has it.
func localize(loc *i18n.Localizer, id string, params map[string]string) (text string, ok bool, err error) {
	text, tag, err := loc.LocalizeWithTag(&i18n.LocalizeConfig{
		MessageID:      id,
		TemplateData:   params,
		TemplateParser: strictText,
	})
	var notFound *i18n.MessageNotFoundErr
	switch {
	case errors.As(err, &notFound) && tag == language.Und:
		return "", false, nil
	case errors.As(err, &notFound):
		return text, true, nil // found in the default locale instead
	case err != nil:
		return "", true, fmt.Errorf("notify: render %s: %w", id, err)
	}
	return text, true, nil
}
