package migrations_test

// staffSeeds cover the staff roster tables (migration 00005), in foreign-key order.
var staffSeeds = []tenantSeed{}
