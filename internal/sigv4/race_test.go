//go:build race

package sigv4

// The race detector slows the oracle tenfold; it checks concurrency, not more cases.
const raceEnabled = true
