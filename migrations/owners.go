package migrations

// Owners names, for every table and view the migrations create, the one package whose SQL may
// read or write it (DESIGN.md: "Every table has one owning package"). Another domain that needs
// an order's facts or its lock asks the owner through an interface. ownership_test.go checks
// the source against this map.
var Owners = map[string]string{
	// booking
	"orders": "app/booking/bookingdb", "assignments": "app/booking/bookingdb", "order_events": "app/booking/bookingdb",
	"order_extras": "app/booking/bookingdb", "order_reports": "app/booking/bookingdb", "order_number_counters": "app/booking/bookingdb",
	"recurring_series": "app/booking/bookingdb", "idempotency_keys": "app/booking/bookingdb", "booking_settings": "app/booking/bookingdb",
	"store_dispatch_settings": "app/booking/bookingdb",
	// dispatch
	"dispatch_offers": "app/dispatch/dispatchdb", "dispatch_flags": "app/dispatch/dispatchdb",
	// catalogue
	"catalog_categories": "app/catalog/catalogdb", "catalog_services": "app/catalog/catalogdb", "catalog_packages": "app/catalog/catalogdb",
	"catalog_add_ons": "app/catalog/catalogdb", "catalog_store_prices": "app/catalog/catalogdb", "catalog_service_certificates": "app/catalog/catalogdb",
	// staff
	"staff": "app/staff/staffdb", "staff_levels": "app/staff/staffdb", "staff_skills": "app/staff/staffdb", "staff_hours": "app/staff/staffdb",
	"staff_exceptions": "app/staff/staffdb", "staff_certificates": "app/staff/staffdb", "certificate_types": "app/staff/staffdb",
	// reviews
	"reviews": "app/review/reviewdb", "staff_ratings": "app/review/reviewdb",
	// pricing
	"quotes": "app/pricing/pricingdb", "pricing_rules": "app/pricing/pricingdb", "pricing_holidays": "app/pricing/pricingdb", "pricing_travel": "app/pricing/pricingdb",
	// money
	"ledger_accounts": "app/ledger/ledgerdb", "ledger_transactions": "app/ledger/ledgerdb", "ledger_postings": "app/ledger/ledgerdb",
	"payments": "app/payment/paymentdb", "refunds": "app/payment/paymentdb", "payment_settings": "app/payment/paymentdb", "payment_webhook_events": "app/payment/paymentdb",
	"cards": "app/card/carddb", "card_products": "app/card/carddb", "card_purchases": "app/card/carddb", "card_redemptions": "app/card/carddb", "card_adjustments": "app/card/carddb",
	"commission_rule_versions": "app/commission/commissiondb", "commission_settings": "app/commission/commissiondb", "commission_splits": "app/commission/commissiondb",
	"commission_split_lines": "app/commission/commissiondb", "commission_paid_orders": "app/commission/commissiondb", "commission_refunds": "app/commission/commissiondb",
	"payout_accounts": "app/payout/payoutdb", "payout_settings": "app/payout/payoutdb", "withdrawals": "app/payout/payoutdb", "withdrawal_events": "app/payout/payoutdb",
	"bank_payouts": "app/payout/payoutdb", "stripe_connected_accounts": "app/payout/payoutdb",
	// organisation, identity, access
	"franchisees": "app/org/orgdb", "stores": "app/org/orgdb", "store_directory": "app/org/orgdb",
	"users": "app/identity/identitydb", "customers": "app/identity/identitydb", "api_tokens": "app/identity/identitydb", "roles": "rbac",
	"casbin_rule": "rbac", "audit_log": "app/audit/auditdb",
	"inbox_messages": "app/notify/notifydb", "notify_deliveries": "app/notify/notifydb",
	// platform
	"tenants": "tenant/tenantdb", "tenant_domains": "tenant/tenantdb", "platform_operators": "app/platform", "platform_tokens": "app/platform",
	"outbox": "jobs",
}
