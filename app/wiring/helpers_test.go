package wiring_test

import "doorstep/app/kit/page"

func pageAll() page.Request { return page.Request{Limit: page.MaxLimit} }
