package runtime

import (
	"context"
	"sort"
	"testing"
	"time"
)

func BenchmarkQueryWarm(b *testing.B) {
	d := newDeployment(b, Options{})
	general := jsonStr(b, d.ok(KindMutation, "channels:create", `{"name":"general"}`))
	for i := 0; i < 5; i++ {
		d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"a","body":"hello"}`)
	}
	args := []byte(`{"channelId":"` + general + `","limit":10}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx, err := d.st.Begin(false)
		if err != nil {
			b.Fatal(err)
		}
		res := d.ms.Run(context.Background(), Request{Path: "messages:list", Kind: KindQuery, Args: args, DB: tx})
		tx.Rollback()
		if res.Err != nil {
			b.Fatal(res.Err.Message)
		}
	}
}

// TestQueryLatency reports the p50 of a warm query (store included); it
// fails only on a gross regression.
func TestQueryLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("latency measurement")
	}
	d := newDeployment(t, Options{})
	general := jsonStr(t, d.ok(KindMutation, "channels:create", `{"name":"general"}`))
	d.ok(KindMutation, "messages:send", `{"channelId":"`+general+`","author":"a","body":"hello"}`)
	args := []byte(`{"channelId":"` + general + `"}`)
	var times []time.Duration
	for i := 0; i < 200; i++ {
		start := time.Now()
		tx, _ := d.st.Begin(false)
		res := d.ms.Run(context.Background(), Request{Path: "messages:list", Kind: KindQuery, Args: args, DB: tx})
		tx.Rollback()
		if res.Err != nil {
			t.Fatal(res.Err.Message)
		}
		times = append(times, time.Since(start))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	t.Logf("warm query p50 %s p90 %s max %s", times[100], times[180], times[199])
	if times[100] > 50*time.Millisecond {
		t.Fatalf("warm query p50 %s: VMs are probably not being reused", times[100])
	}
}
