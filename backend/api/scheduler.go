package api

import (
	"context"
	"encoding/json"
	"time"

	"github.com/convex-go/convex/backend/runtime"
)

func (s *Server) kickScheduler() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// schedulerLoop runs due scheduled functions and crons until ctx ends.
func (s *Server) schedulerLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.SchedulerInterval)
	defer t.Stop()
	for {
		s.runDueJobs(ctx)
		s.runDueCrons(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

// maxJobBatches bounds the work of one scheduler tick, so a job whose state
// cannot be recorded is retried on the next tick instead of in a hot loop.
const maxJobBatches = 8

func (s *Server) runDueJobs(ctx context.Context) {
	for batch := 0; batch < maxJobBatches && ctx.Err() == nil; batch++ {
		jobs, err := s.store.DueJobs(time.Now(), 16)
		if err != nil {
			s.logf("scheduler: listing due jobs: %v", err)
			return
		}
		if len(jobs) == 0 {
			return
		}
		for _, j := range jobs {
			if ctx.Err() != nil {
				return
			}
			s.runJob(ctx, j)
		}
	}
}

// runJob runs one scheduled function. A mutation marks its job done in the
// same transaction as its writes (exactly once); an action is marked in
// progress first so it runs at most once.
func (s *Server) runJob(ctx context.Context, j jobInfo) {
	dep := s.dep.Load()
	kind := dep.kindOf(j.Name)
	if kind == runtime.KindAction {
		if err := s.setJobState(j.ID, "inProgress", ""); err != nil {
			s.logf("scheduler: marking %s in progress: %v", j.ID, err)
			return
		}
	}
	out := s.run(ctx, udfCall{Kind: kind, Path: j.Name, Args: j.Args, Internal: true, Caller: "Scheduler", jobID: j.ID})
	if out.jobMarked {
		return // a mutation recorded its success in its own transaction
	}
	state, msg := "success", ""
	if out.Err != nil {
		state, msg = "failed", out.Err.Message
	}
	if err := s.setJobState(j.ID, state, msg); err != nil {
		s.logf("scheduler: recording the outcome of %s: %v", j.ID, err)
	}
}

// saveCrons records the crons' next run times.
func (s *Server) saveCrons() {
	b, err := json.Marshal(s.crons.snapshot())
	if err == nil {
		err = s.store.PutMeta(metaCrons, b)
	}
	if err != nil {
		s.logf("saving cron times: %v", err)
	}
}

func (s *Server) runDueCrons(ctx context.Context) {
	due := s.crons.due(time.Now())
	if len(due) > 0 {
		s.saveCrons()
	}
	for _, c := range due {
		if ctx.Err() != nil {
			return
		}
		dep := s.dep.Load()
		args := c.Args
		if len(args) == 0 {
			args = []byte("{}")
		}
		out := s.run(ctx, udfCall{Kind: dep.kindOf(c.Path), Path: c.Path, Args: args, Internal: true, Caller: "Cron"})
		if out.Err != nil {
			s.logf("cron %q (%s) failed: %s", c.Name, c.Path, out.Err.Message)
		}
	}
}
