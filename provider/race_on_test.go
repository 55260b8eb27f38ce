//go:build race

package provider

// raceEnabled: the race detector slows every loopback round trip several
// times over, which timing assertions must allow for.
const raceEnabled = true
