package api

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

func TestNextRun(t *testing.T) {
	base := time.Date(2026, 3, 10, 14, 25, 30, 0, time.UTC) // a Tuesday
	cases := []struct {
		sched string
		want  time.Time
	}{
		{`{"type":"interval","seconds":30}`, base.Add(30 * time.Second)},
		{`{"type":"interval","minutes":10}`, base.Add(10 * time.Minute)},
		{`{"type":"interval","hours":2}`, base.Add(2 * time.Hour)},
		{`{"type":"hourly","minuteUTC":5}`, time.Date(2026, 3, 10, 15, 5, 0, 0, time.UTC)},
		{`{"type":"hourly","minuteUTC":40}`, time.Date(2026, 3, 10, 14, 40, 0, 0, time.UTC)},
		{`{"type":"daily","hourUTC":9,"minuteUTC":0}`, time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC)},
		{`{"type":"daily","hourUTC":16,"minuteUTC":30}`, time.Date(2026, 3, 10, 16, 30, 0, 0, time.UTC)},
		{`{"type":"weekly","dayOfWeek":"monday","hourUTC":8,"minuteUTC":0}`, time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC)},
		{`{"type":"weekly","dayOfWeek":2,"hourUTC":20,"minuteUTC":0}`, time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC)},
		{`{"type":"monthly","day":31,"hourUTC":0,"minuteUTC":0}`, time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)},
		{`{"type":"monthly","day":1,"hourUTC":0,"minuteUTC":0}`, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		{`{"type":"cron","cron":"*/15 * * * *"}`, time.Date(2026, 3, 10, 14, 30, 0, 0, time.UTC)},
		{`{"type":"cron","cron":"0 9 * * 1-5"}`, time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC)},
		{`{"type":"cron","cron":"0 0 1 1 *"}`, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		got, err := nextRun("job", json.RawMessage(c.sched), base)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.sched, got, err, c.want)
		}
	}
	// Without minuteUTC a stable minute is picked per cron name.
	a, _ := nextRun("a", json.RawMessage(`{"type":"hourly"}`), base)
	b, _ := nextRun("a", json.RawMessage(`{"type":"hourly"}`), base)
	if !a.Equal(b) || a.Second() != 0 || !a.After(base) || a.Sub(base) > time.Hour {
		t.Errorf("hourly without minute: %v %v", a, b)
	}
	for _, bad := range []string{`{"type":"interval"}`, `{"type":"interval","seconds":-1}`, `{"type":"weekly","dayOfWeek":"someday","hourUTC":1}`,
		`{"type":"monthly","day":40,"hourUTC":1}`, `{"type":"cron","cron":"* * *"}`, `{"type":"cron","cron":"99 * * * *"}`, `{"type":"yearly"}`, `not json`} {
		if _, err := nextRun("job", json.RawMessage(bad), base); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestCronState(t *testing.T) {
	c := newCronState()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jobs := []cronJob{{Name: "tick", Path: "x:y", Schedule: json.RawMessage(`{"type":"interval","seconds":10}`)}}
	c.reset(jobs, now)
	if d := c.due(now.Add(5 * time.Second)); len(d) != 0 {
		t.Fatalf("due too early: %v", d)
	}
	if d := c.due(now.Add(11 * time.Second)); len(d) != 1 {
		t.Fatalf("not due: %v", d)
	}
	if d := c.due(now.Add(12 * time.Second)); len(d) != 0 {
		t.Fatalf("ran twice: %v", d)
	}
	// Re-registering the same schedule keeps the next run time.
	next := c.earliest()
	c.reset(jobs, now.Add(15*time.Second))
	if !c.earliest().Equal(next) {
		t.Errorf("reset moved an unchanged cron: %v -> %v", next, c.earliest())
	}
	// Saved times survive a restart for unchanged schedules only.
	saved := c.snapshot()
	c2 := newCronState()
	changed := cronJob{Name: "other", Path: "x:y", Schedule: json.RawMessage(`{"type":"interval","seconds":99}`)}
	c2.reset(append([]cronJob{jobs[0]}, changed), now.Add(time.Hour))
	saved["other"] = cronRecord{Schedule: json.RawMessage(`{"type":"interval","seconds":1}`), Next: now}
	c2.restore(saved)
	if d := c2.due(now.Add(25 * time.Second)); len(d) != 1 || d[0].Name != "tick" {
		t.Errorf("restored crons due: %v", d)
	}
	c.reset(nil, now)
	if !c.earliest().IsZero() {
		t.Error("removed cron still scheduled")
	}
	d := cronDiff(jobs, []cronJob{{Name: "tick", Path: "x:z", Schedule: jobs[0].Schedule}, {Name: "new", Path: "a:b"}})
	if len(d["added"]) != 1 || len(d["updated"]) != 1 || len(d["deleted"]) != 0 {
		t.Errorf("cron diff: %v", d)
	}
}

func TestLogBuffer(t *testing.T) {
	b := newLogBuffer(3)
	for i := 0; i < 5; i++ {
		b.add(&logEntry{Identifier: string(rune('a' + i))})
	}
	got, cur := b.since(context.Background(), 0, time.Millisecond)
	if len(got) != 3 || got[0].Identifier != "c" || got[2].Identifier != "e" || cur != got[2].cursor {
		t.Fatalf("ring: %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].cursor <= got[i-1].cursor {
			t.Fatal("cursors not increasing")
		}
	}
	if got, c2 := b.since(context.Background(), cur, 10*time.Millisecond); len(got) != 0 || c2 != cur {
		t.Fatalf("nothing new expected: %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, _ := b.since(ctx, cur, time.Minute); len(got) != 0 {
		t.Fatal("cancelled wait returned entries")
	}
}

func TestCanonicalPath(t *testing.T) {
	for in, want := range map[string]string{"messages:list": "messages.js:list", "messages": "messages.js:default",
		"dir/mod.js:fn": "dir/mod.js:fn", "a/b:": "a/b.js:default"} {
		if got := canonicalPath(in); got != want {
			t.Errorf("canonicalPath(%q) = %q, want %q", in, got, want)
		}
	}
}
