package migrations_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"doorstep/migrations"
)

// crossings are the places that still name another package's table in SQL: the seam work of
// issue 11 moves each behind the owner's interface and deletes its line here. The test fails
// on any crossing not listed (a new one) and on any listed one that is gone (so the list only
// shrinks). Keyed by table, then the package that crosses.
var crossings = map[string][]string{
	"assignments":                  {"app/booking/slots/slotsdb", "app/commission/commissiondb", "app/dispatch/dispatchdb", "app/payment/paymentdb", "app/review/reviewdb"},
	"booking_settings":             {"app/booking/slots/slotsdb", "app/payment/paymentdb", "app/review/reviewdb"},
	"catalog_categories":           {"app/booking/slots/slotsdb", "app/staff/staffdb"},
	"catalog_service_certificates": {"app/booking/slots/slotsdb", "app/staff/staffdb"},
	"catalog_services":             {"app/booking/slots/slotsdb", "app/card/carddb", "app/commission/commissiondb", "app/dispatch/dispatchdb", "app/finance/financedb", "app/review/reviewdb", "app/staff/staffdb"},
	"certificate_types":            {"app/booking/slots/slotsdb"},
	"customers":                    {"app/card/carddb", "app/notify/notifydb", "app/review/reviewdb"},
	"franchisees":                  {"app/finance/financedb"},
	"ledger_accounts":              {"app/commission/commissiondb", "app/finance/financedb"},
	"ledger_postings":              {"app/finance/financedb"},
	"ledger_transactions":          {"app/finance/financedb"},
	"orders":                       {"app/booking/slots/slotsdb", "app/card/carddb", "app/commission/commissiondb", "app/dispatch/dispatchdb", "app/finance/financedb", "app/payment/paymentdb", "app/review/reviewdb"},
	"payments":                     {"app/finance/financedb"},
	"refunds":                      {"app/finance/financedb"},
	"staff":                        {"app/booking/slots/slotsdb", "app/commission/commissiondb", "app/dispatch/dispatchdb", "app/finance/financedb", "app/payment/paymentdb", "app/payout/payoutdb", "app/review/reviewdb"},
	"staff_certificates":           {"app/booking/slots/slotsdb"},
	"staff_exceptions":             {"app/booking/slots/slotsdb"},
	"staff_hours":                  {"app/booking/slots/slotsdb"},
	"staff_levels":                 {"app/booking/slots/slotsdb", "app/dispatch/dispatchdb"},
	"staff_ratings":                {"app/commission/commissiondb"},
	"staff_skills":                 {"app/booking/slots/slotsdb"},
	"stores":                       {"app/booking/bookingdb", "app/booking/slots/slotsdb", "app/catalog/catalogdb", "app/commission/commissiondb", "app/dispatch/dispatchdb", "app/finance/financedb", "app/identity/identitydb", "app/notify/notifydb", "app/pricing/pricingdb", "app/staff/staffdb"},
	"tenants":                      {"app/card/carddb", "app/commission/commissiondb", "app/finance/financedb", "app/ledger/ledgercheck", "app/notify/notifydb", "app/payment/paymentdb", "app/payout/payoutdb", "app/staff/staffdb", "jobs", "rbac"},
	"users":                        {"app/notify/notifydb", "app/payout/payoutdb", "app/staff/staffdb"},
}

// sqlTable finds a table named after a SQL keyword that takes one.
var sqlTable = regexp.MustCompile(`(?i)\b(?:from|join|into|update|table)\s+([a-z_][a-z0-9_]*)\b`)

var createTable = regexp.MustCompile(`(?im)^create (?:table|view) (?:if not exists )?([a-z_][a-z0-9_]*)`)

// TestTablesHaveOneOwner: every table the migrations create has an owner, and the Go source
// (tests and migrations aside) names a table in SQL only in its owner's package, or in a
// crossing still listed above.
func TestTablesHaveOneOwner(t *testing.T) {
	sqlFiles, err := filepath.Glob("*.sql")
	if err != nil || len(sqlFiles) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	for _, f := range sqlFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range createTable.FindAllStringSubmatch(string(b), -1) {
			if _, ok := migrations.Owners[m[1]]; !ok {
				t.Errorf("%s creates %s, which has no owner in migrations.Owners", f, m[1])
			}
		}
	}

	found := map[string]map[string]bool{} // table → crossing packages
	root := ".."
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" || rel == "migrations") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(rel))
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, m := range sqlTable.FindAllStringSubmatch(s, -1) {
				table := strings.ToLower(m[1])
				owner, ok := migrations.Owners[table]
				if !ok || owner == pkg {
					continue
				}
				if found[table] == nil {
					found[table] = map[string]bool{}
				}
				found[table][pkg] = true
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for table, pkgs := range found {
		for pkg := range pkgs {
			if !slices.Contains(crossings[table], pkg) {
				t.Errorf("%s names %s in SQL, which %s owns: ask the owner through an interface", pkg, table, migrations.Owners[table])
			}
		}
	}
	for table, pkgs := range crossings {
		for _, pkg := range pkgs {
			if !found[table][pkg] {
				t.Errorf("%s no longer names %s: delete it from crossings", pkg, table)
			}
		}
	}
	n := 0
	for _, pkgs := range crossings {
		n += len(pkgs)
	}
	var left []string
	for table := range crossings {
		left = append(left, table)
	}
	sort.Strings(left)
	t.Logf("%d crossings left over %d tables: %s", n, len(left), strings.Join(left, ", "))
}
