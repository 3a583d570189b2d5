package runtime

import (
	"context"
	"testing"
)

func BenchmarkEchoAction(b *testing.B) {
	mods := bundleFiles(b, map[string]string{"probe.ts": probeSource})
	ms, err := New(Options{}).Load(mods)
	if err != nil {
		b.Fatal(err)
	}
	req := Request{Path: "probe:echo", Args: []byte(`{"x":1}`)}
	ms.Run(context.Background(), req)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := ms.Run(context.Background(), req); res.Err != nil {
			b.Fatal(res.Err.Message)
		}
	}
}
