package sync

import (
	"fmt"
	"sort"
	gosync "sync"
	"testing"
	"time"
)

// BenchmarkUpdateLatency measures, over real WebSockets on 127.0.0.1, the
// time from a client sending a mutation to each subscriber receiving the
// Transition with its effect, for 1, 10 and 50 subscribers of the same
// query. Mutations are sent one at a time. Reports p50 and p99 in µs.
//
//	go test -run '^$' -bench UpdateLatency -benchtime 300x ./backend/sync/
func BenchmarkUpdateLatency(b *testing.B) {
	for _, subs := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) { benchLatency(b, subs) })
	}
}

func benchLatency(b *testing.B, subs int) {
	s := newTestServerWith(b, Options{}, true)
	type arrival struct {
		value int
		at    time.Time
	}
	arrivals := make([][]arrival, subs)
	var wg gosync.WaitGroup
	for i := 0; i < subs; i++ {
		c := s.dial()
		c.connect(fmt.Sprintf("sub-%d", i))
		c.send(addQuery(0, 0, "counter:get", map[string]any{}))
		c.expect("Transition")
		wg.Add(1)
		go func(i int, c *client) {
			defer wg.Done()
			for {
				m, _, err := c.read(30 * time.Second)
				if err != nil {
					b.Errorf("subscriber %d: %v", i, err)
					return
				}
				if m.str("type") != "Transition" {
					continue
				}
				now := time.Now()
				mod, ok := modsOf(b, m)[0]
				if !ok {
					continue
				}
				v := int(mod["value"].(float64))
				arrivals[i] = append(arrivals[i], arrival{v, now})
				if v >= b.N {
					return
				}
			}
		}(i, c)
	}
	w := s.dial()
	w.connect("writer")
	sent := make([]time.Time, b.N+1)
	b.ResetTimer()
	for n := 1; n <= b.N; n++ {
		sent[n] = time.Now()
		w.mutate(int64(n), "counter:inc", map[string]any{})
	}
	wg.Wait()
	b.StopTimer()

	var lat []time.Duration
	for _, as := range arrivals {
		for _, a := range as {
			if a.value >= 1 && a.value <= b.N {
				lat = append(lat, a.at.Sub(sent[a.value]))
			}
		}
	}
	if len(lat) == 0 {
		b.Fatal("no updates arrived")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(len(lat))/float64(b.N*subs), "delivered/expected")
}
