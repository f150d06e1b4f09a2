package rbac

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The published matrix, as other packages rely on it. A change to matrix.csv must change this.
var wantMatrix = map[string][]string{
	"settings:read":      {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "finance", "support", "staff"},
	"settings:write":     {"owner", "hq_admin"},
	"domains:read":       {"owner", "hq_admin"},
	"domains:write":      {"owner", "hq_admin"},
	"franchisees:read":   {"owner", "hq_admin", "franchisee_owner", "finance", "support"},
	"franchisees:write":  {"owner", "hq_admin"},
	"stores:read":        {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "finance", "support", "staff"},
	"stores:write":       {"owner", "hq_admin", "franchisee_owner", "store_manager"},
	"users:read":         {"owner", "hq_admin", "franchisee_owner", "store_manager", "support"},
	"users:write":        {"owner", "hq_admin", "franchisee_owner", "store_manager"},
	"roles:read":         {"owner", "hq_admin"},
	"roles:write":        {"owner", "hq_admin"},
	"roles:assign":       {"owner", "hq_admin", "franchisee_owner", "store_manager"},
	"customers:read":     {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "support"},
	"customers:phone":    {"owner", "hq_admin", "dispatcher", "support"},
	"audit:read":         {"owner", "hq_admin", "finance"},
	"catalog:read":       {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "finance", "support", "staff"},
	"catalog:write":      {"owner", "hq_admin"},
	"catalog:price":      {"owner", "hq_admin", "franchisee_owner", "store_manager"},
	"staff:read":         {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "support"},
	"staff:phone":        {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher"},
	"staff:write":        {"owner", "hq_admin", "franchisee_owner", "store_manager"},
	"staff:review":       {"owner", "hq_admin", "franchisee_owner", "store_manager"},
	"staff:self":         {"staff"},
	"pricing:read":       {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "finance", "support"},
	"pricing:write":      {"owner", "hq_admin"},
	"quotes:create":      {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "support"},
	"orders:read":        {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "finance", "support"},
	"orders:create":      {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "support"},
	"orders:manage":      {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "support"},
	"orders:dispatch":    {"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher"},
	"visits:self":        {"staff"},
	"payments:read":      {"owner", "hq_admin", "franchisee_owner", "store_manager", "finance", "support"},
	"payments:refund":    {"owner", "hq_admin", "franchisee_owner", "store_manager", "finance"},
	"payments:configure": {"owner", "hq_admin", "finance"},
	"cash:self":          {"staff"},
	"cards:read":         {"owner", "hq_admin", "franchisee_owner", "store_manager", "finance", "support"},
	"cards:write":        {"owner", "hq_admin", "finance"},
	"commission:read":    {"owner", "hq_admin", "franchisee_owner", "store_manager", "finance"},
	"commission:write":   {"owner", "hq_admin", "finance"},
	"finance:read":       {"owner", "hq_admin", "franchisee_owner", "store_manager", "finance"},
	"payouts:approve":    {"owner", "hq_admin", "finance"},
	"wallet:self":        {"franchisee_owner", "staff"},
	"ledger:read":        {"owner", "hq_admin", "finance"},
}

func TestPublishedMatrix(t *testing.T) {
	perms := Permissions()
	require.Len(t, perms, len(wantMatrix))
	for _, p := range perms {
		_, ok := wantMatrix[p.Name]
		require.True(t, ok, "unexpected permission %s", p.Name)
		require.Equal(t, p.Name, p.Object+":"+p.Action)
		require.NotEmpty(t, p.DescriptionEN)
		require.NotEmpty(t, p.DescriptionZH)
		require.True(t, KnownPermission(p.Name))
	}
	require.False(t, KnownPermission("spaceships:read"))
	require.False(t, KnownPermission(""))

	var names []string
	for _, tpl := range Templates() {
		names = append(names, tpl.Name)
		require.True(t, tpl.Scope.Valid(), "%s scope", tpl.Name)
		require.NotEmpty(t, tpl.DisplayEN, tpl.Name)
		require.NotEmpty(t, tpl.DisplayZH, tpl.Name)
		for _, p := range tpl.Permissions {
			require.True(t, KnownPermission(p), "%s has unknown %s", tpl.Name, p)
		}
		for perm, holders := range wantMatrix {
			require.Equal(t, slices.Contains(holders, tpl.Name), slices.Contains(tpl.Permissions, perm), "%s × %s", tpl.Name, perm)
		}
		got, ok := TemplateByName(tpl.Name)
		require.True(t, ok)
		require.Equal(t, tpl, got)
	}
	require.Equal(t, []string{"owner", "hq_admin", "franchisee_owner", "store_manager", "dispatcher", "finance", "support", "staff", "customer"}, names)

	scopes := map[string]string{}
	for _, tpl := range Templates() {
		scopes[tpl.Name] = string(tpl.Scope)
	}
	require.Equal(t, map[string]string{
		"owner": "tenant", "hq_admin": "tenant", "franchisee_owner": "franchisee", "store_manager": "store",
		"dispatcher": "store", "finance": "tenant", "support": "tenant", "staff": "self", "customer": "self",
	}, scopes)

	// Callers get copies.
	Templates()[0].Permissions[0] = "mutated"
	tpl, _ := TemplateByName("owner")
	require.Equal(t, "settings:read", tpl.Permissions[0])
	_, ok := TemplateByName("nobody")
	require.False(t, ok)
}

func TestParseMatrixRejectsBadInput(t *testing.T) {
	const header = "permission,description_en,description_zh,alpha,beta\n"
	const attrs = "@scope,,,tenant,self\n@display_en,,,Alpha,Beta\n@display_zh,,,甲,乙\n"
	good := header + attrs + "things:read,Read things,查看,x,\n"
	_, err := parseMatrix(strings.NewReader(good))
	require.NoError(t, err)

	for name, tc := range map[string]struct{ in, want string }{
		"unknown cell value":     {header + attrs + "things:read,Read,查看,x,y\n", `cell "y"`},
		"upper-case x":           {header + attrs + "things:read,Read,查看,X,\n", `cell "X"`},
		"missing cell":           {header + attrs + "things:read,Read,查看,x\n", "4 cells, want 5"},
		"extra cell":             {header + attrs + "things:read,Read,查看,x,,x\n", "6 cells, want 5"},
		"unknown scope":          {header + "@scope,,,tenant,galaxy\n@display_en,,,A,B\n@display_zh,,,甲,乙\nthings:read,R,查,x,\n", `unknown scope "galaxy"`},
		"missing scope row":      {header + "@display_en,,,A,B\n@display_zh,,,甲,乙\nthings:read,R,查,x,\n", "missing @scope"},
		"missing display row":    {header + "@scope,,,tenant,self\n@display_en,,,A,B\nthings:read,R,查,x,\n", "missing @display_zh"},
		"empty display name":     {header + "@scope,,,tenant,self\n@display_en,,,A,\n@display_zh,,,甲,乙\nthings:read,R,查,x,\n", "empty"},
		"unknown attribute":      {header + attrs + "@colour,,,red,blue\nthings:read,R,查,x,\n", "unknown attribute row @colour"},
		"repeated attribute":     {header + attrs + "@scope,,,tenant,self\nthings:read,R,查,x,\n", "@scope twice"},
		"repeated permission":    {header + attrs + "things:read,R,查,x,\nthings:read,R,查,x,\n", `"things:read" twice`},
		"malformed permission":   {header + attrs + "Things,R,查,x,\n", "want object:action"},
		"missing description":    {header + attrs + "things:read,,查,x,\n", "descriptions are required"},
		"no permissions":         {header + attrs, "no permissions"},
		"wrong header":           {"perm,description_en,description_zh,alpha\n", "header must start"},
		"no roles":               {"permission,description_en,description_zh\n", "header must start"},
		"bad role name":          {"permission,description_en,description_zh,Alpha\n", "invalid name"},
		"repeated role":          {"permission,description_en,description_zh,alpha,alpha\n", `"alpha" twice`},
		"empty input":            {"", "header"},
		"unterminated quotation": {header + attrs + "things:read,\"Read,查看,x,\n", "quote"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseMatrix(strings.NewReader(tc.in))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}
