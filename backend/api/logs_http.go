package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// logPollWait is how long stream_function_logs waits for news (§2.5).
const logPollWait = 60 * time.Second

func (s *Server) handleStreamLogs(completionsOnly bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := s.requireAdmin(r, ""); err != nil {
			return err
		}
		cursor := 0.0
		if c := r.URL.Query().Get("cursor"); c != "" {
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				return badRequest("InvalidCursor", "cursor must be a number, got %q", c)
			}
			cursor = v
		}
		structured := strings.HasPrefix(r.Header.Get("Convex-Client"), "npm-cli-") ||
			strings.HasPrefix(r.Header.Get("Convex-Client"), "dashboard-")
		entries, next := s.logs.since(r.Context(), cursor, logPollWait)
		out := make([]any, 0, len(entries))
		for _, e := range entries {
			if completionsOnly && e.Kind != "Completion" {
				continue
			}
			out = append(out, e.json(structured))
		}
		writeJSON(w, http.StatusOK, map[string]any{"entries": out, "newCursor": next})
		return nil
	}
}
