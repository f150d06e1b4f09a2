// Package financeapi exposes the finance reports (finance:read, within the caller's data
// scope): daily revenue by store, service or payment method, and commission statements per
// staff member and per franchisee, as JSON or as CSV with a UTF-8 byte order mark so that
// Excel opens Chinese text correctly.
package financeapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"doorstep/app/finance"
	"doorstep/app/kit/httpx"
	"doorstep/app/kit/money"
)

type api struct{ svc *finance.Service }

// Register adds the finance operations.
func Register(h huma.API, svc *finance.Service) {
	a := api{svc: svc}
	acc := httpx.Access{Audience: httpx.Staff, Permission: "finance:read"}
	reg := func(id, path, summary string) huma.Operation {
		return httpx.Op(huma.Operation{OperationID: id, Method: http.MethodGet, Path: path, Summary: summary, Tags: []string{"Finance"}}, acc)
	}
	huma.Register(h, reg("get-revenue-report", "/api/v1/finance/revenue", "Daily revenue by store, service or payment method"), a.revenue)
	huma.Register(h, reg("export-revenue-report", "/api/v1/finance/revenue/export", "Daily revenue as CSV"), a.revenueCSV)
	huma.Register(h, reg("get-staff-statement", "/api/v1/finance/statements/staff/{id}", "A staff member's commission statement"), a.staffStatement)
	huma.Register(h, reg("export-staff-statement", "/api/v1/finance/statements/staff/{id}/export", "A staff member's commission statement as CSV"), a.staffCSV)
	huma.Register(h, reg("get-franchisee-statement", "/api/v1/finance/statements/franchisees/{id}", "A franchisee's commission statement"), a.franchiseeStatement)
	huma.Register(h, reg("export-franchisee-statement", "/api/v1/finance/statements/franchisees/{id}/export", "A franchisee's commission statement as CSV"), a.franchiseeCSV)
}

// FinancePeriodQuery is a period of local days.
type FinancePeriodQuery struct {
	From string `query:"from" required:"true" doc:"First day, YYYY-MM-DD in the tenant's time zone"`
	To   string `query:"to" required:"true" doc:"Last day (inclusive), YYYY-MM-DD"`
}

func (q FinancePeriodQuery) period() finance.Period { return finance.Period{From: q.From, To: q.To} }

// FinanceRevenueQuery is the revenue report's input.
type FinanceRevenueQuery struct {
	FinancePeriodQuery
	By string `query:"by" enum:"store,service,method" default:"store"`
}

// FinanceRevenueRowDTO is one day's revenue of one store, service or method.
type FinanceRevenueRowDTO struct {
	Day      string `json:"day"`
	Key      string `json:"key" doc:"Store or service id, or the payment method"`
	Label    string `json:"label"`
	LabelZh  string `json:"label_zh"`
	Payments int64  `json:"payments"`
	Refunds  int64  `json:"refunds"`
	Net      int64  `json:"net"`
	Count    int    `json:"count"`
}

// FinanceRevenueDTO is the revenue report.
type FinanceRevenueDTO struct {
	From     string                 `json:"from"`
	To       string                 `json:"to"`
	By       string                 `json:"by"`
	Currency string                 `json:"currency"`
	TimeZone string                 `json:"time_zone"`
	Rows     []FinanceRevenueRowDTO `json:"rows"`
	Total    FinanceRevenueRowDTO   `json:"total"`
}

func toRow(r finance.RevenueRow) FinanceRevenueRowDTO {
	return FinanceRevenueRowDTO{Day: r.Day, Key: r.Key, Label: r.Label, LabelZh: r.LabelZh, Payments: r.Payments, Refunds: r.Refunds, Net: r.Net, Count: r.Count}
}

func (a api) revenue(ctx context.Context, in *FinanceRevenueQuery) (*httpx.Body[FinanceRevenueDTO], error) {
	r, err := a.svc.Revenue(ctx, in.period(), finance.GroupBy(in.By))
	if err != nil {
		return nil, err
	}
	d := FinanceRevenueDTO{From: r.From, To: r.To, By: string(r.By), Currency: r.Currency, TimeZone: r.TimeZone, Total: toRow(r.Total),
		Rows: make([]FinanceRevenueRowDTO, 0, len(r.Rows))}
	for _, x := range r.Rows {
		d.Rows = append(d.Rows, toRow(x))
	}
	return &httpx.Body[FinanceRevenueDTO]{Body: d}, nil
}

// FinanceCSV is a CSV download.
type FinanceCSV struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

// bom makes Excel read the file as UTF-8.
const bom = "\ufeff"

func csvOf(name string, records [][]string) (*FinanceCSV, error) {
	var b bytes.Buffer
	b.WriteString(bom)
	w := csv.NewWriter(&b)
	if err := w.WriteAll(records); err != nil {
		return nil, err
	}
	return &FinanceCSV{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `"`, Body: b.Bytes()}, nil
}

// Minor formats minor units with the currency's decimals (12345 CNY → 123.45).
func Minor(v int64, currency string) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	d := money.Digits(currency)
	if d == 0 {
		return sign + strconv.FormatInt(v, 10)
	}
	p := int64(1)
	for range d {
		p *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, v/p, d, v%p)
}

func (a api) revenueCSV(ctx context.Context, in *FinanceRevenueQuery) (*FinanceCSV, error) {
	r, err := a.svc.Revenue(ctx, in.period(), finance.GroupBy(in.By))
	if err != nil {
		return nil, err
	}
	cur := r.Currency
	dim := map[finance.GroupBy]string{finance.ByStore: "门店 Store", finance.ByService: "服务 Service", finance.ByMethod: "支付方式 Method"}[r.By]
	recs := [][]string{{"日期 Date", dim, "名称 Name", "名称（英）Name (en)", "编号 Key", "收入 Payments", "退款 Refunds", "净额 Net", "笔数 Count", "币种 Currency"}}
	row := func(x finance.RevenueRow) []string {
		return []string{x.Day, string(r.By), x.LabelZh, x.Label, x.Key, Minor(x.Payments, cur), Minor(x.Refunds, cur), Minor(x.Net, cur), strconv.Itoa(x.Count), r.Currency}
	}
	for _, x := range r.Rows {
		recs = append(recs, row(x))
	}
	recs = append(recs, row(r.Total))
	return csvOf(fmt.Sprintf("revenue-%s-%s-%s.csv", r.By, r.From, r.To), recs)
}

// FinanceStatementInput names the owner and the period.
type FinanceStatementInput struct {
	ID uuid.UUID `path:"id" format:"uuid"`
	FinancePeriodQuery
}

// FinanceStatementLineDTO is a statement line with running totals.
type FinanceStatementLineDTO struct {
	TxID      uuid.UUID  `json:"tx_id"`
	At        time.Time  `json:"at"`
	Day       string     `json:"day"`
	Kind      string     `json:"kind"`
	OrderID   *uuid.UUID `json:"order_id"`
	RefKind   string     `json:"ref_kind"`
	RefID     *uuid.UUID `json:"ref_id"`
	Account   string     `json:"account" enum:"pending,available"`
	Amount    int64      `json:"amount"`
	Pending   int64      `json:"pending"`
	Available int64      `json:"available"`
	Total     int64      `json:"total"`
}

// FinanceStatementDTO is a commission statement.
type FinanceStatementDTO struct {
	OwnerKind      string                    `json:"owner_kind" enum:"staff,franchisee"`
	OwnerID        uuid.UUID                 `json:"owner_id"`
	OwnerName      string                    `json:"owner_name"`
	From           string                    `json:"from"`
	To             string                    `json:"to"`
	Currency       string                    `json:"currency"`
	TimeZone       string                    `json:"time_zone"`
	OpeningPending int64                     `json:"opening_pending"`
	OpeningAvail   int64                     `json:"opening_available"`
	ClosingPending int64                     `json:"closing_pending"`
	ClosingAvail   int64                     `json:"closing_available"`
	Earned         int64                     `json:"earned" doc:"Commission split in the period"`
	ClawedBack     int64                     `json:"clawed_back" doc:"Commission clawed back by refunds in the period (negative)"`
	Lines          []FinanceStatementLineDTO `json:"lines"`
}

func nilID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func toStatementDTO(s finance.Statement) FinanceStatementDTO {
	d := FinanceStatementDTO{OwnerKind: s.OwnerKind, OwnerID: s.OwnerID, OwnerName: s.OwnerName, From: s.From, To: s.To, Currency: s.Currency,
		TimeZone: s.TimeZone, OpeningPending: s.OpeningPending, OpeningAvail: s.OpeningAvail, ClosingPending: s.ClosingPending,
		ClosingAvail: s.ClosingAvail, Earned: s.Earned, ClawedBack: s.ClawedBack, Lines: make([]FinanceStatementLineDTO, 0, len(s.Lines))}
	for _, l := range s.Lines {
		d.Lines = append(d.Lines, FinanceStatementLineDTO{TxID: l.TxID, At: l.At, Day: l.Day, Kind: l.Kind, OrderID: nilID(l.OrderID), RefKind: l.RefKind,
			RefID: nilID(l.RefID), Account: l.Purpose, Amount: l.Amount, Pending: l.Pending, Available: l.Available, Total: l.Total})
	}
	return d
}

func statementCSV(s finance.Statement) (*FinanceCSV, error) {
	cur := s.Currency
	recs := [][]string{
		{"对账单 Statement", s.OwnerKind, s.OwnerName, s.OwnerID.String(), s.From, s.To, s.Currency},
		{"日期 Date", "时间 Time", "类型 Kind", "订单 Order", "关联 Ref", "账户 Account", "金额 Amount", "待结算 Pending", "可提现 Available", "合计 Total"},
		{s.From, "", "opening 期初", "", "", "", "", Minor(s.OpeningPending, cur), Minor(s.OpeningAvail, cur), Minor(s.OpeningPending+s.OpeningAvail, cur)},
	}
	id := func(u uuid.UUID) string {
		if u == uuid.Nil {
			return ""
		}
		return u.String()
	}
	for _, l := range s.Lines {
		recs = append(recs, []string{l.Day, l.At.Format(time.RFC3339), l.Kind, id(l.OrderID), l.RefKind + ":" + id(l.RefID), l.Purpose,
			Minor(l.Amount, cur), Minor(l.Pending, cur), Minor(l.Available, cur), Minor(l.Total, cur)})
	}
	recs = append(recs, []string{s.To, "", "closing 期末", "", "", "", "", Minor(s.ClosingPending, cur), Minor(s.ClosingAvail, cur), Minor(s.ClosingPending+s.ClosingAvail, cur)})
	return csvOf(fmt.Sprintf("statement-%s-%s-%s-%s.csv", s.OwnerKind, s.OwnerID, s.From, s.To), recs)
}

func (a api) staffStatement(ctx context.Context, in *FinanceStatementInput) (*httpx.Body[FinanceStatementDTO], error) {
	s, err := a.svc.StaffStatement(ctx, in.ID, in.period())
	if err != nil {
		return nil, err
	}
	return &httpx.Body[FinanceStatementDTO]{Body: toStatementDTO(s)}, nil
}

func (a api) staffCSV(ctx context.Context, in *FinanceStatementInput) (*FinanceCSV, error) {
	s, err := a.svc.StaffStatement(ctx, in.ID, in.period())
	if err != nil {
		return nil, err
	}
	return statementCSV(s)
}

func (a api) franchiseeStatement(ctx context.Context, in *FinanceStatementInput) (*httpx.Body[FinanceStatementDTO], error) {
	s, err := a.svc.FranchiseeStatement(ctx, in.ID, in.period())
	if err != nil {
		return nil, err
	}
	return &httpx.Body[FinanceStatementDTO]{Body: toStatementDTO(s)}, nil
}

func (a api) franchiseeCSV(ctx context.Context, in *FinanceStatementInput) (*FinanceCSV, error) {
	s, err := a.svc.FranchiseeStatement(ctx, in.ID, in.period())
	if err != nil {
		return nil, err
	}
	return statementCSV(s)
}
