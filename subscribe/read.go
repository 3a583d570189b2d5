package subscribe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/coder/websocket"
)

// QueryError is a query that failed on the deployment (QueryFailed).
type QueryError struct {
	Path     string
	Message  string
	Data     json.RawMessage // ConvexError data, Convex-encoded, or nil
	LogLines []string
}

func (e *QueryError) Error() string { return "[CONVEX Q(" + e.Path + ")] " + e.Message }

// permissionDenied is the deployment's text for an admin key that may not
// run an operation.
const permissionDenied = "You do not have permission to perform this operation"

// PermissionDenied reports whether the deployment refused the query for lack
// of permission, and returns that one sentence without context or stack.
func (e *QueryError) PermissionDenied() (string, bool) {
	i := strings.Index(e.Message, permissionDenied)
	if i < 0 {
		return "", false
	}
	line, _, _ := strings.Cut(e.Message[i:], "\n")
	return strings.TrimSpace(line), true
}

// FatalError is the deployment rejecting the connection for good (a
// protocol violation or a deterministic error).
type FatalError struct{ Message string }

func (e *FatalError) Error() string { return "the deployment ended the connection: " + e.Message }

// AuthError is the deployment refusing the credentials.
type AuthError struct{ Message string }

func (e *AuthError) Error() string {
	return "the deployment did not accept the admin key: " + e.Message
}

// ClosedError is a connection that ended without a protocol error message:
// the network failed or the server closed the socket.
type ClosedError struct {
	URL    string
	Code   websocket.StatusCode // -1 when no close frame arrived
	Reason string
	Err    error
}

func (e *ClosedError) Error() string {
	switch {
	case e.Code >= 0 && e.Reason != "":
		return fmt.Sprintf("the connection to %s closed (%d): %s", e.URL, int(e.Code), e.Reason)
	case e.Code >= 0:
		return fmt.Sprintf("the connection to %s closed (%d)", e.URL, int(e.Code))
	case e.Err != nil:
		return fmt.Sprintf("the connection to %s was lost: %v", e.URL, e.Err)
	}
	return "the connection to " + e.URL + " was lost"
}

func (e *ClosedError) Unwrap() error { return e.Err }

// ProtocolError is a server message this client cannot accept (for
// example a Transition that does not continue from the current state).
type ProtocolError struct{ Message string }

func (e *ProtocolError) Error() string { return "sync protocol error: " + e.Message }

// fail ends the connection with err (the first error wins) and closes the
// socket without a handshake.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	c.ws.CloseNow()
}

func (c *Client) readLoop() {
	defer close(c.done)
	st := &readState{ver: version{TS: zeroTS}}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), c.idle)
		typ, data, err := c.ws.Read(ctx)
		idle := ctx.Err() != nil
		cancel()
		if err != nil {
			if idle {
				err = fmt.Errorf("nothing received for %v", c.idle)
			}
			c.mu.Lock()
			closing := c.closing
			c.mu.Unlock()
			if !closing {
				ce := &ClosedError{URL: c.url, Code: websocket.CloseStatus(err)}
				var wce websocket.CloseError
				if errors.As(err, &wce) {
					ce.Reason = wce.Reason
				} else if !errors.Is(err, io.EOF) {
					ce.Err = err
				}
				c.fail(ce)
			}
			return
		}
		if typ != websocket.MessageText {
			c.fail(&ProtocolError{Message: "the server sent a binary frame"})
			return
		}
		if err := c.handle(st, data); err != nil {
			c.fail(err)
			return
		}
	}
}

// readState is what the reader keeps between messages.
type readState struct {
	ver    version
	chunks *chunkBuffer
}

type chunkBuffer struct {
	id    string
	total int
	parts []string
}

type serverMessage struct {
	Type string `json:"type"`

	// Transition
	StartVersion  *version          `json:"startVersion"`
	EndVersion    *version          `json:"endVersion"`
	Modifications []json.RawMessage `json:"modifications"`

	// TransitionChunk
	Chunk        string `json:"chunk"`
	PartNumber   int    `json:"partNumber"`
	TotalParts   int    `json:"totalParts"`
	TransitionID string `json:"transitionId"`

	// AuthError, FatalError
	Error json.RawMessage `json:"error"`
}

type modification struct {
	Type         string          `json:"type"`
	QueryID      int64           `json:"queryId"`
	Value        json.RawMessage `json:"value"`
	LogLines     []string        `json:"logLines"`
	Journal      *string         `json:"journal"`
	ErrorMessage string          `json:"errorMessage"`
	ErrorData    json.RawMessage `json:"errorData"`
}

func (c *Client) handle(st *readState, data []byte) error {
	var m serverMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return &ProtocolError{Message: fmt.Sprintf("the server sent invalid JSON: %v", err)}
	}
	switch m.Type {
	case "Ping", "MutationResponse", "ActionResponse":
		return nil
	case "TransitionChunk":
		full, err := st.addChunk(m)
		if err != nil || full == nil {
			return err
		}
		var t serverMessage
		if err := json.Unmarshal(full, &t); err != nil || t.Type != "Transition" {
			return &ProtocolError{Message: "transition chunks did not assemble into a Transition"}
		}
		return c.transition(st, t)
	case "Transition":
		return c.transition(st, m)
	case "AuthError":
		return &AuthError{Message: errorText(m.Error)}
	case "FatalError":
		return &FatalError{Message: errorText(m.Error)}
	}
	c.logf("sync: ignoring a %q message", m.Type)
	return nil
}

// errorText reads the error field, a string in practice.
func errorText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func (st *readState) addChunk(m serverMessage) ([]byte, error) {
	if m.TotalParts <= 0 || m.PartNumber < 0 || m.PartNumber >= m.TotalParts ||
		(st.chunks != nil && (st.chunks.total != m.TotalParts || st.chunks.id != m.TransitionID)) {
		st.chunks = nil
		return nil, &ProtocolError{Message: "invalid TransitionChunk"}
	}
	if st.chunks == nil {
		st.chunks = &chunkBuffer{id: m.TransitionID, total: m.TotalParts}
	}
	if m.PartNumber != len(st.chunks.parts) {
		want := len(st.chunks.parts)
		st.chunks = nil
		return nil, &ProtocolError{Message: fmt.Sprintf("TransitionChunk out of order: expected part %d, got %d", want, m.PartNumber)}
	}
	st.chunks.parts = append(st.chunks.parts, m.Chunk)
	if len(st.chunks.parts) < st.chunks.total {
		return nil, nil
	}
	full := strings.Join(st.chunks.parts, "")
	st.chunks = nil
	return []byte(full), nil
}

func (c *Client) transition(st *readState, m serverMessage) error {
	if m.StartVersion == nil || m.EndVersion == nil {
		return &ProtocolError{Message: "a Transition without versions"}
	}
	if *m.StartVersion != st.ver {
		return &ProtocolError{Message: fmt.Sprintf("a Transition starting at %s, but the previous one ended at %s",
			m.StartVersion, st.ver)}
	}
	st.ver = *m.EndVersion
	for _, raw := range m.Modifications {
		var mod modification
		if err := json.Unmarshal(raw, &mod); err != nil {
			return &ProtocolError{Message: fmt.Sprintf("bad query modification: %v", err)}
		}
		c.mu.Lock()
		s := c.subs[mod.QueryID]
		c.mu.Unlock()
		if s == nil {
			continue // removed meanwhile
		}
		switch mod.Type {
		case "QueryUpdated":
			s.push(Update{Value: mod.Value, LogLines: mod.LogLines, Journal: mod.Journal})
		case "QueryFailed":
			s.push(Update{LogLines: mod.LogLines, Journal: mod.Journal, Err: &QueryError{
				Path: s.Path, Message: mod.ErrorMessage, Data: mod.ErrorData, LogLines: mod.LogLines}})
		case "QueryRemoved":
		default:
			c.logf("sync: ignoring a %q modification", mod.Type)
		}
	}
	return nil
}

func (v version) String() string {
	return "{querySet " + strconv.FormatInt(v.QuerySet, 10) + ", identity " + strconv.FormatInt(v.Identity, 10) + ", ts " + v.TS + "}"
}
