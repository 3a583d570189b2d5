package api

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"
)

// schedule is a parsed cron schedule (§5.8 item 4).
type schedule struct {
	Type      string      `json:"type"`
	Seconds   json.Number `json:"seconds"`
	Minutes   json.Number `json:"minutes"`
	Hours     json.Number `json:"hours"`
	MinuteUTC *int        `json:"minuteUTC"`
	HourUTC   *int        `json:"hourUTC"`
	DayOfWeek any         `json:"dayOfWeek"` // "monday".. or 0..6
	Day       *int        `json:"day"`
	Cron      string      `json:"cron"`
}

// weekday maps a lower-case English day name to its time.Weekday.
func weekday(name string) (time.Weekday, bool) {
	switch name {
	case "sunday":
		return time.Sunday, true
	case "monday":
		return time.Monday, true
	case "tuesday":
		return time.Tuesday, true
	case "wednesday":
		return time.Wednesday, true
	case "thursday":
		return time.Thursday, true
	case "friday":
		return time.Friday, true
	case "saturday":
		return time.Saturday, true
	}
	return 0, false
}

// nextRun computes the first run strictly after `after` for the cron named
// name (whose hash picks a minute when minuteUTC is omitted, as the
// reference backend does).
func nextRun(name string, raw json.RawMessage, after time.Time) (time.Time, error) {
	var s schedule
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, fmt.Errorf("cron %q: bad schedule: %w", name, err)
	}
	after = after.UTC()
	minute := func() int {
		if s.MinuteUTC != nil {
			return *s.MinuteUTC
		}
		h := fnv.New32a()
		h.Write([]byte(name))
		return int(h.Sum32() % 60)
	}
	hour := 0
	if s.HourUTC != nil {
		hour = *s.HourUTC
	}
	switch s.Type {
	case "interval":
		var d time.Duration
		for _, f := range []struct {
			n    json.Number
			unit time.Duration
		}{{s.Seconds, time.Second}, {s.Minutes, time.Minute}, {s.Hours, time.Hour}} {
			if f.n != "" {
				v, err := f.n.Float64()
				if err != nil {
					return time.Time{}, fmt.Errorf("cron %q: bad interval", name)
				}
				d = time.Duration(v * float64(f.unit))
			}
		}
		if d <= 0 {
			return time.Time{}, fmt.Errorf("cron %q: interval must be positive", name)
		}
		return after.Add(d), nil
	case "hourly":
		t := time.Date(after.Year(), after.Month(), after.Day(), after.Hour(), minute(), 0, 0, time.UTC)
		for !t.After(after) {
			t = t.Add(time.Hour)
		}
		return t, nil
	case "daily":
		t := time.Date(after.Year(), after.Month(), after.Day(), hour, minute(), 0, 0, time.UTC)
		for !t.After(after) {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	case "weekly":
		var wd time.Weekday
		switch d := s.DayOfWeek.(type) {
		case string:
			w, ok := weekday(strings.ToLower(d))
			if !ok {
				return time.Time{}, fmt.Errorf("cron %q: bad dayOfWeek %q", name, d)
			}
			wd = w
		case float64:
			wd = time.Weekday(int(d) % 7)
		default:
			return time.Time{}, fmt.Errorf("cron %q: missing dayOfWeek", name)
		}
		t := time.Date(after.Year(), after.Month(), after.Day(), hour, minute(), 0, 0, time.UTC)
		for !t.After(after) || t.Weekday() != wd {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	case "monthly":
		if s.Day == nil || *s.Day < 1 || *s.Day > 31 {
			return time.Time{}, fmt.Errorf("cron %q: bad day of month", name)
		}
		for i := 0; i < 48; i++ {
			y, m := after.Year(), after.Month()+time.Month(i)
			t := time.Date(y, m, *s.Day, hour, minute(), 0, 0, time.UTC)
			if t.Day() != *s.Day { // the month is too short
				continue
			}
			if t.After(after) {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("cron %q: no matching day", name)
	case "cron":
		return nextCronExpr(s.Cron, after)
	}
	return time.Time{}, fmt.Errorf("cron %q: unknown schedule type %q", name, s.Type)
}

// cronField is the set of allowed values of one field of a cron expression.
type cronField map[int]bool

func parseCronField(f string, lo, hi int) (cronField, error) {
	out := cronField{}
	for _, part := range strings.Split(f, ",") {
		step, hasStep := 1, false
		if base, st, ok := strings.Cut(part, "/"); ok {
			hasStep = true
			n, err := strconv.Atoi(st)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("bad step in %q", part)
			}
			step, part = n, base
		}
		a, b := lo, hi
		switch {
		case part == "*":
		case strings.Contains(part, "-"):
			x, y, _ := strings.Cut(part, "-")
			var err1, err2 error
			a, err1 = strconv.Atoi(x)
			b, err2 = strconv.Atoi(y)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("bad range %q", part)
			}
		default:
			n, err := strconv.Atoi(part)
			if err != nil {
				return nil, fmt.Errorf("bad value %q", part)
			}
			a, b = n, n
			if hasStep {
				b = hi
			}
		}
		if a < lo || b > hi || a > b {
			return nil, fmt.Errorf("value out of range in %q", part)
		}
		for v := a; v <= b; v += step {
			out[v] = true
		}
	}
	return out, nil
}

// nextCronExpr evaluates a 5-field cron expression (UTC) after t.
func nextCronExpr(expr string, after time.Time) (time.Time, error) {
	fs := strings.Fields(expr)
	if len(fs) != 5 {
		return time.Time{}, fmt.Errorf("cron expression %q must have 5 fields", expr)
	}
	bounds := [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	var fields [5]cronField
	for i, f := range fs {
		cf, err := parseCronField(f, bounds[i][0], bounds[i][1])
		if err != nil {
			return time.Time{}, fmt.Errorf("cron expression %q: %w", expr, err)
		}
		fields[i] = cf
	}
	if fields[4][7] {
		fields[4][0] = true
	}
	domAll, dowAll := fs[2] == "*", fs[4] == "*"
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	for i := 0; i < 366*24*60; i++ {
		dayOK := fields[2][t.Day()]
		dowOK := fields[4][int(t.Weekday())]
		var matchDay bool
		switch {
		case domAll && dowAll:
			matchDay = true
		case domAll:
			matchDay = dowOK
		case dowAll:
			matchDay = dayOK
		default:
			matchDay = dayOK || dowOK
		}
		if fields[3][int(t.Month())] && matchDay && fields[1][t.Hour()] && fields[0][t.Minute()] {
			return t, nil
		}
		t = t.Add(time.Minute)
	}
	return time.Time{}, fmt.Errorf("cron expression %q never matches", expr)
}

// cronState holds the next run time of every registered cron. The times
// are saved (see snapshot/restore) so that a restart does not postpone
// crons that were due.
type cronState struct {
	mu   sync.Mutex
	jobs []cronJob
	next map[string]time.Time
}

// cronRecord is a saved next run: valid only for the same schedule.
type cronRecord struct {
	Schedule json.RawMessage `json:"schedule"`
	Next     time.Time       `json:"next"`
}

// snapshot returns the next runs to save.
func (c *cronState) snapshot() map[string]cronRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]cronRecord{}
	for _, j := range c.jobs {
		if t, ok := c.next[j.Name]; ok {
			out[j.Name] = cronRecord{Schedule: j.Schedule, Next: t}
		}
	}
	return out
}

// restore installs saved next runs for crons whose schedule is unchanged.
func (c *cronState) restore(saved map[string]cronRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, j := range c.jobs {
		if r, ok := saved[j.Name]; ok && string(r.Schedule) == string(j.Schedule) {
			c.next[j.Name] = r.Next
		}
	}
}

func newCronState() *cronState { return &cronState{next: map[string]time.Time{}} }

// reset installs the crons of a push; unchanged crons keep their next run.
func (c *cronState) reset(jobs []cronJob, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := map[string]cronJob{}
	for _, j := range c.jobs {
		old[j.Name] = j
	}
	next := map[string]time.Time{}
	for _, j := range jobs {
		if o, ok := old[j.Name]; ok && string(o.Schedule) == string(j.Schedule) {
			if t, ok := c.next[j.Name]; ok {
				next[j.Name] = t
				continue
			}
		}
		if t, err := nextRun(j.Name, j.Schedule, now); err == nil {
			next[j.Name] = t
		}
	}
	c.jobs, c.next = jobs, next
}

// due returns the crons whose time has come and advances them.
func (c *cronState) due(now time.Time) []cronJob {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []cronJob
	for _, j := range c.jobs {
		t, ok := c.next[j.Name]
		if !ok || t.After(now) {
			continue
		}
		out = append(out, j)
		if n, err := nextRun(j.Name, j.Schedule, now); err == nil {
			c.next[j.Name] = n
		} else {
			delete(c.next, j.Name)
		}
	}
	return out
}

// earliest is the next time any cron is due (zero when none).
func (c *cronState) earliest() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var min time.Time
	for _, t := range c.next {
		if min.IsZero() || t.Before(min) {
			min = t
		}
	}
	return min
}
