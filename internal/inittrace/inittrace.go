// Package inittrace reads the package-initialisation trace the Go runtime
// prints with GODEBUG=inittrace=1, so that a test can hold the binary's
// start-up cost down: every package initialiser runs on every start, even
// for `convex --version`.
package inittrace

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Record is one line of the trace: the work one package's initialisers did.
type Record struct {
	Package string
	ClockMS float64 // wall-clock time spent, in milliseconds
	Bytes   int64   // heap bytes allocated
	Allocs  int64   // heap allocations
}

// Parse extracts the records from a program's standard error. Lines that
// do not begin with "init " are the program's own output and are skipped;
// a line that does but does not read as a trace record is an error, so a
// change of the runtime's format cannot pass unnoticed.
func Parse(stderr []byte) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "init ") {
			continue
		}
		var r Record
		var at float64
		// init <pkg> @<t> ms, <clock> ms clock, <bytes> bytes, <allocs> allocs
		k, err := fmt.Sscanf(line, "init %s @%g ms, %g ms clock, %d bytes, %d allocs",
			&r.Package, &at, &r.ClockMS, &r.Bytes, &r.Allocs)
		if err != nil || k != 5 {
			return nil, fmt.Errorf("line %d: not an init trace record: %q", n, line)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading init trace: %w", err)
	}
	return out, nil
}

// OverBudget returns the records of packages whose import path is prefix
// or lies under it, other than those in exempt, that allocated more than
// maxBytes.
func OverBudget(recs []Record, prefix string, exempt []string, maxBytes int64) []Record {
	var out []Record
	for _, r := range recs {
		if r.Package != prefix && !strings.HasPrefix(r.Package, prefix+"/") {
			continue
		}
		skip := false
		for _, e := range exempt {
			skip = skip || r.Package == e
		}
		if !skip && r.Bytes > maxBytes {
			out = append(out, r)
		}
	}
	return out
}

// String formats r as the runtime does, for failure messages.
func (r Record) String() string {
	return fmt.Sprintf("%s: %.3f ms clock, %d bytes, %d allocs", r.Package, r.ClockMS, r.Bytes, r.Allocs)
}
