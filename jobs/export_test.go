package jobs

// EachActiveTenant exposes eachActiveTenant to the package's external tests.
var EachActiveTenant = eachActiveTenant
