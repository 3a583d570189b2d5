package lazy

import (
	"sync"
	"sync/atomic"
	"testing"
)

var testPattern = Regexp(`^a(b+)c$`)

func TestRegexpCompilesOnceOnFirstUse(t *testing.T) {
	p := Regexp(`^x(\d+)$`)
	if p.re != nil {
		t.Fatal("compiled before first use")
	}
	if got := p.String(); got != `^x(\d+)$` {
		t.Fatalf("String() = %q", got)
	}
	re := p.Get()
	if m := re.FindStringSubmatch("x42"); m == nil || m[1] != "42" {
		t.Fatalf("FindStringSubmatch = %q", m)
	}
	if p.Get() != re {
		t.Fatal("second Get compiled again")
	}
	if !testPattern.Get().MatchString("abbbc") || testPattern.Get().MatchString("ac") {
		t.Fatal("package-level pattern matches wrongly")
	}
}

func TestRegexpInvalidPanicsOnFirstUse(t *testing.T) {
	p := Regexp(`(unclosed`) // must not panic here
	defer func() {
		if recover() == nil {
			t.Fatal("invalid expression did not panic on Get")
		}
	}()
	p.Get()
}

func TestValueBuildsOnceConcurrently(t *testing.T) {
	var calls atomic.Int32
	v := &Value[map[string]int]{New: func() map[string]int {
		calls.Add(1)
		return map[string]int{"a": 1}
	}}
	if calls.Load() != 0 {
		t.Fatal("built before first use")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v.Get()["a"] != 1 {
				t.Error("wrong value")
			}
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("New ran %d times, want 1", n)
	}
}

func TestGetDoesNotAllocateAfterFirstUse(t *testing.T) {
	v := &Value[[]int]{New: func() []int { return []int{1, 2} }}
	v.Get()
	testPattern.Get()
	if n := testing.AllocsPerRun(100, func() { v.Get(); testPattern.Get() }); n != 0 {
		t.Fatalf("Get allocates %v times per call", n)
	}
}
