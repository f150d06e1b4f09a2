package rbac

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"doorstep/app/auth"
)

// matrix.csv is the single source of the published permissions and of the role templates
// every tenant is seeded with. Rows starting with "@" are attributes of the templates (one
// per role column); the other rows are permissions, "x" marking the templates that have them.
//
//go:embed matrix.csv
var matrixCSV []byte

// Permission is one published permission, "object:action".
type Permission struct {
	Name          string
	Object        string
	Action        string
	DescriptionEN string
	DescriptionZH string
}

// Template is a role every tenant gets; templates cannot be changed by a tenant.
type Template struct {
	Name          string
	Scope         auth.Scope
	DisplayEN     string
	DisplayZH     string
	DescriptionEN string
	DescriptionZH string
	Permissions   []string // in matrix order
}

func (t Template) clone() Template {
	t.Permissions = slices.Clone(t.Permissions)
	return t
}

type matrix struct {
	permissions []Permission
	permIndex   map[string]int
	templates   []Template
	tplIndex    map[string]int
}

var published = sync.OnceValue(func() *matrix {
	m, err := parseMatrix(bytes.NewReader(matrixCSV))
	if err != nil {
		panic("rbac: embedded matrix.csv: " + err.Error())
	}
	return m
})

// Permissions returns the published permissions in file order.
func Permissions() []Permission { return slices.Clone(published().permissions) }

// KnownPermission reports whether name is a published permission.
func KnownPermission(name string) bool {
	_, ok := published().permIndex[name]
	return ok
}

// Templates returns the role templates in file order, owner first.
func Templates() []Template {
	ts := published().templates
	out := make([]Template, len(ts))
	for i, t := range ts {
		out[i] = t.clone()
	}
	return out
}

// TemplateByName returns the template called name.
func TemplateByName(name string) (Template, bool) {
	m := published()
	i, ok := m.tplIndex[name]
	if !ok {
		return Template{}, false
	}
	return m.templates[i].clone(), true
}

// IsTemplate reports whether name is a template role.
func IsTemplate(name string) bool {
	_, ok := published().tplIndex[name]
	return ok
}

// sortPermissions orders permission names as the matrix does; unknown names go last.
func sortPermissions(names []string) {
	idx := published().permIndex
	rank := func(n string) int {
		if i, ok := idx[n]; ok {
			return i
		}
		return len(idx)
	}
	slices.SortStableFunc(names, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
}

var (
	matrixHeader   = []string{"permission", "description_en", "description_zh"}
	permissionName = regexp.MustCompile(`^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$`)
	requiredAttrs  = []string{"@scope", "@display_en", "@display_zh"}
)

// parseMatrix reads and checks a permission matrix: a known header, one cell per role in
// every row, valid scopes, unique well-formed names, and only "x" or empty in permission cells.
func parseMatrix(r io.Reader) (*matrix, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked below, with a better message
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if len(header) <= len(matrixHeader) || !slices.Equal(header[:len(matrixHeader)], matrixHeader) {
		return nil, fmt.Errorf("header must start with %s and name at least one role", strings.Join(matrixHeader, ","))
	}
	m := &matrix{permIndex: map[string]int{}, tplIndex: map[string]int{}}
	for i, name := range header[len(matrixHeader):] {
		if !roleName.MatchString(name) {
			return nil, fmt.Errorf("header: role %q: invalid name", name)
		}
		if _, dup := m.tplIndex[name]; dup {
			return nil, fmt.Errorf("header: role %q twice", name)
		}
		m.tplIndex[name] = i
		m.templates = append(m.templates, Template{Name: name, Permissions: []string{}})
	}
	seenAttr := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("line %d: %d cells, want %d", line, len(rec), len(header))
		}
		key, cells := rec[0], rec[len(matrixHeader):]
		if strings.HasPrefix(key, "@") {
			if seenAttr[key] {
				return nil, fmt.Errorf("line %d: %s twice", line, key)
			}
			seenAttr[key] = true
			if err := m.setAttr(key, cells); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			continue
		}
		if err := m.addPermission(rec); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	for _, a := range requiredAttrs {
		if !seenAttr[a] {
			return nil, fmt.Errorf("missing %s row", a)
		}
	}
	if len(m.permissions) == 0 {
		return nil, errors.New("no permissions")
	}
	return m, nil
}

func (m *matrix) setAttr(key string, cells []string) error {
	for i, c := range cells {
		t := &m.templates[i]
		c = strings.TrimSpace(c)
		switch key {
		case "@scope":
			s := auth.Scope(c)
			if !s.Valid() {
				return fmt.Errorf("%s: %s: unknown scope %q", key, t.Name, c)
			}
			t.Scope = s
		case "@display_en", "@display_zh":
			if c == "" {
				return fmt.Errorf("%s: %s: empty", key, t.Name)
			}
			if key == "@display_en" {
				t.DisplayEN = c
			} else {
				t.DisplayZH = c
			}
		case "@description_en":
			t.DescriptionEN = c
		case "@description_zh":
			t.DescriptionZH = c
		default:
			return fmt.Errorf("unknown attribute row %s", key)
		}
	}
	return nil
}

func (m *matrix) addPermission(rec []string) error {
	name := rec[0]
	if !permissionName.MatchString(name) {
		return fmt.Errorf("permission %q: want object:action in lowercase", name)
	}
	if _, dup := m.permIndex[name]; dup {
		return fmt.Errorf("permission %q twice", name)
	}
	en, zh := strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
	if en == "" || zh == "" {
		return fmt.Errorf("permission %q: both descriptions are required", name)
	}
	for i, c := range rec[len(matrixHeader):] {
		switch strings.TrimSpace(c) {
		case "x":
			m.templates[i].Permissions = append(m.templates[i].Permissions, name)
		case "":
		default:
			return fmt.Errorf("permission %q, role %s: cell %q, want \"x\" or empty", name, m.templates[i].Name, c)
		}
	}
	obj, act, _ := strings.Cut(name, ":")
	m.permIndex[name] = len(m.permissions)
	m.permissions = append(m.permissions, Permission{Name: name, Object: obj, Action: act, DescriptionEN: en, DescriptionZH: zh})
	return nil
}
