package wiring

import (
	"doorstep/app/ledger"
	"doorstep/app/ledger/ledgerdb"
	"doorstep/app/payment/gateway"
)

// wireLedger builds the ledger and the payment gateway every money area posts and pays through.
func (a *App) wireLedger(opt Options) {
	a.Ledger = ledger.New(a.DB, ledgerdb.New(a.DB), nil)
	a.Gateway = opt.Gateway
	if a.Gateway == nil {
		a.Gateway = gateway.NewStripe(gateway.StripeConfig{SecretKey: a.Cfg.StripeSecretKey, APIURL: a.Cfg.StripeAPIURL})
	}
}
