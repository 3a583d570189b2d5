package push

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// QueryUpdate is one new result of a subscribed query.
type QueryUpdate struct {
	Value    json.RawMessage
	LogLines []json.RawMessage
	// Error is set instead of Value when the query failed.
	Error     string
	ErrorData json.RawMessage
}

// ErrStopSubscription ends Subscribe without an error when returned by the
// update callback.
var ErrStopSubscription = errors.New("stop subscription")

// syncURL is the deployment's WebSocket endpoint.
func (c *Client) syncURL() string {
	u := c.URL
	switch {
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + strings.TrimPrefix(u, "https://")
	case strings.HasPrefix(u, "http://"):
		u = "ws://" + strings.TrimPrefix(u, "http://")
	}
	return u + "/api/" + Version + "/sync"
}

func uuid4() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Subscribe follows the query udfPath ("module:export") with args over the
// sync protocol as an admin (acting as identity when given), calling onUpdate
// with every new result until ctx ends or onUpdate returns an error
// (ErrStopSubscription ends it cleanly).
func (c *Client) Subscribe(ctx context.Context, udfPath string, args json.RawMessage, componentPath string, identity json.RawMessage, onUpdate func(QueryUpdate) error) error {
	if !strings.Contains(udfPath, ":") {
		udfPath += ":default"
	}
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	hc := http.Client{}
	if c.HTTP != nil {
		hc = *c.HTTP
		hc.Timeout = 0 // the subscription lives as long as ctx
	}
	conn, _, err := websocket.Dial(ctx, c.syncURL(), &websocket.DialOptions{HTTPClient: &hc})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return &NetworkError{URL: c.URL, Err: err}
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 20)
	send := func(v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return conn.Write(ctx, websocket.MessageText, data)
	}
	auth := map[string]any{"type": "Authenticate", "baseVersion": 0, "tokenType": "Admin", "value": c.AdminKey}
	if len(identity) > 0 {
		auth["impersonating"] = identity
	}
	add := map[string]any{"type": "Add", "queryId": 0, "udfPath": udfPath, "args": []json.RawMessage{args}}
	if componentPath != "" {
		add["componentPath"] = componentPath
	}
	for _, m := range []any{
		map[string]any{"type": "Connect", "sessionId": uuid4(), "connectionCount": 0, "lastCloseReason": "InitialConnect", "clientTs": time.Now().UnixMilli()},
		auth,
		map[string]any{"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": []any{add}},
	} {
		if err := send(m); err != nil {
			return &NetworkError{URL: c.URL, Err: err}
		}
	}
	chunks := map[string][]string{}
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return &NetworkError{URL: c.URL, Err: err}
		}
		var msg struct {
			Type          string `json:"type"`
			Error         string `json:"error"`
			Chunk         string `json:"chunk"`
			PartNumber    int    `json:"partNumber"`
			TotalParts    int    `json:"totalParts"`
			TransitionID  string `json:"transitionId"`
			Modifications []struct {
				Type         string            `json:"type"`
				QueryID      int               `json:"queryId"`
				Value        json.RawMessage   `json:"value"`
				LogLines     []json.RawMessage `json:"logLines"`
				ErrorMessage string            `json:"errorMessage"`
				ErrorData    json.RawMessage   `json:"errorData"`
			} `json:"modifications"`
		}
		if err := json.Unmarshal(data, &msg); err != nil {
			return fmt.Errorf("unexpected sync message: %w", err)
		}
		switch msg.Type {
		case "TransitionChunk":
			parts := append(chunks[msg.TransitionID], msg.Chunk)
			if len(parts) < msg.TotalParts {
				chunks[msg.TransitionID] = parts
				continue
			}
			delete(chunks, msg.TransitionID)
			if err := json.Unmarshal([]byte(strings.Join(parts, "")), &msg); err != nil {
				return fmt.Errorf("unexpected sync transition: %w", err)
			}
		case "Transition":
		case "AuthError":
			return &APIError{Status: 401, Code: "AuthError", Message: msg.Error, Path: "/api/sync"}
		case "FatalError":
			return fmt.Errorf("the deployment closed the subscription: %s", msg.Error)
		default:
			continue // Ping and responses this client never asks for
		}
		for _, m := range msg.Modifications {
			if m.QueryID != 0 {
				continue
			}
			var u QueryUpdate
			switch m.Type {
			case "QueryUpdated":
				u = QueryUpdate{Value: m.Value, LogLines: m.LogLines}
			case "QueryFailed":
				u = QueryUpdate{Error: m.ErrorMessage, ErrorData: m.ErrorData, LogLines: m.LogLines}
			default:
				continue
			}
			if err := onUpdate(u); err != nil {
				if errors.Is(err, ErrStopSubscription) {
					conn.Close(websocket.StatusNormalClosure, "")
					return nil
				}
				return err
			}
		}
	}
}

// WaitForQueryChange subscribes to udfPath and returns when its result
// changes after the first one (the dev loop's table and env-var watches).
// Once it holds the first result it calls WatchLive(ctx), and it does so on
// failing too, so nobody waits for a watch that will never be live.
func (c *Client) WaitForQueryChange(ctx context.Context, udfPath string, args json.RawMessage, componentPath string) error {
	seen := 0
	defer WatchLive(ctx)
	return c.Subscribe(ctx, udfPath, args, componentPath, nil, func(QueryUpdate) error {
		seen++
		if seen == 1 {
			WatchLive(ctx)
		}
		if seen >= 2 {
			return ErrStopSubscription
		}
		return nil
	})
}

// watchLiveKey holds the callback WatchLive calls.
type watchLiveKey struct{}

// withWatchLive returns a context whose WatchLive calls live.
func withWatchLive(ctx context.Context, live func()) context.Context {
	return context.WithValue(ctx, watchLiveKey{}, live)
}

// WatchLive tells the dev loop that the deployment watch running under ctx
// (DevOptions.WaitForEnvChange, WaitForTableChange) now sees every change:
// the loop holds back the failure it waits on until then, so a fix made in
// answer to the message is not missed. Calling it again does nothing more.
func WatchLive(ctx context.Context) {
	if live, ok := ctx.Value(watchLiveKey{}).(func()); ok {
		live()
	}
}
