package sync

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// EncodeTS renders a protocol timestamp: standard padded base64 of the
// little-endian u64, as the client's Long.fromBytesLE expects.
func EncodeTS(ts int64) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(ts))
	return base64.StdEncoding.EncodeToString(b[:])
}

// DecodeTS parses a protocol timestamp produced by EncodeTS (or the client).
func DecodeTS(s string) (int64, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return 0, fmt.Errorf("timestamp %q is not base64: %w", s, err)
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("timestamp %q decodes to %d bytes, want 8", s, len(b))
	}
	u := binary.LittleEndian.Uint64(b)
	if u > math.MaxInt64 {
		return 0, fmt.Errorf("timestamp %q is larger than i64::MAX", s)
	}
	return int64(u), nil
}

// clientMessage is one parsed client frame. Only the fields of its Type are set.
type clientMessage struct {
	Type string

	// Connect
	SessionID string
	ClientTs  *float64

	// ModifyQuerySet
	BaseVersion   int64
	NewVersion    int64
	Modifications []querySetModification

	// Mutation / Action
	RequestID     int64
	UdfPath       string
	Args          json.RawMessage
	ComponentPath string

	// Authenticate
	TokenType     string
	Value         string
	HasValue      bool
	Impersonating json.RawMessage
}

type querySetModification struct {
	Type          string // "Add" or "Remove"
	QueryID       int64
	UdfPath       string
	Args          json.RawMessage
	Journal       *string
	ComponentPath string
}

// protocolError is a malformed or out-of-protocol client message: the
// connection gets a FatalError and is closed.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

func protoErrorf(format string, args ...any) error {
	return &protocolError{msg: fmt.Sprintf(format, args...)}
}

// rawFields is a JSON object kept undecoded so each field can be checked
// with its own rule.
type rawFields map[string]json.RawMessage

func (f rawFields) has(name string) bool {
	v, ok := f[name]
	return ok && !isNull(v)
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

func (f rawFields) str(name string, required bool) (string, error) {
	v, ok := f[name]
	if !ok || isNull(v) {
		if required {
			return "", protoErrorf("field %q is missing", name)
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", protoErrorf("field %q must be a string", name)
	}
	return s, nil
}

// uint reads a non-negative integer that fits JavaScript's safe range.
func (f rawFields) uint(name string) (int64, error) {
	v, ok := f[name]
	if !ok || isNull(v) {
		return 0, protoErrorf("field %q is missing", name)
	}
	var n float64
	if err := json.Unmarshal(v, &n); err != nil {
		return 0, protoErrorf("field %q must be a number", name)
	}
	if n < 0 || n != math.Trunc(n) || n > 1<<53 {
		return 0, protoErrorf("field %q must be a non-negative integer, got %s", name, string(v))
	}
	return int64(n), nil
}

func (f rawFields) array(name string) ([]json.RawMessage, error) {
	v, ok := f[name]
	if !ok || isNull(v) {
		return nil, protoErrorf("field %q is missing", name)
	}
	var a []json.RawMessage
	if err := json.Unmarshal(v, &a); err != nil {
		return nil, protoErrorf("field %q must be an array", name)
	}
	return a, nil
}

// parseClientMessage validates one text frame against the client message
// schema of the sync protocol.
func parseClientMessage(data []byte) (*clientMessage, error) {
	var f rawFields
	if err := json.Unmarshal(data, &f); err != nil || f == nil {
		return nil, protoErrorf("message is not a JSON object")
	}
	typ, err := f.str("type", true)
	if err != nil {
		return nil, err
	}
	m := &clientMessage{Type: typ}
	switch typ {
	case "Connect":
		if m.SessionID, err = f.str("sessionId", true); err != nil {
			return nil, err
		}
		if v, ok := f["clientTs"]; ok && !isNull(v) {
			var ts float64
			if json.Unmarshal(v, &ts) == nil {
				m.ClientTs = &ts
			}
		}
		if f.has("maxObservedTimestamp") {
			s, err := f.str("maxObservedTimestamp", true)
			if err != nil {
				return nil, err
			}
			if _, err := DecodeTS(s); err != nil {
				return nil, protoErrorf("maxObservedTimestamp: %v", err)
			}
		}
	case "ModifyQuerySet":
		if m.BaseVersion, err = f.uint("baseVersion"); err != nil {
			return nil, err
		}
		if m.NewVersion, err = f.uint("newVersion"); err != nil {
			return nil, err
		}
		mods, err := f.array("modifications")
		if err != nil {
			return nil, err
		}
		for i, raw := range mods {
			mod, err := parseModification(raw)
			if err != nil {
				return nil, protoErrorf("modifications[%d]: %v", i, err)
			}
			m.Modifications = append(m.Modifications, mod)
		}
	case "Mutation", "Action":
		if m.RequestID, err = f.uint("requestId"); err != nil {
			return nil, err
		}
		if m.UdfPath, err = f.str("udfPath", true); err != nil {
			return nil, err
		}
		if _, err := f.array("args"); err != nil {
			return nil, err
		}
		m.Args = f["args"]
		if m.ComponentPath, err = f.str("componentPath", false); err != nil {
			return nil, err
		}
	case "Authenticate":
		if m.BaseVersion, err = f.uint("baseVersion"); err != nil {
			return nil, err
		}
		if m.TokenType, err = f.str("tokenType", true); err != nil {
			return nil, err
		}
		switch m.TokenType {
		case "Admin", "User":
			if m.Value, err = f.str("value", true); err != nil {
				return nil, err
			}
			m.HasValue = true
		case "None":
		default:
			return nil, protoErrorf("unknown tokenType %q", m.TokenType)
		}
		for _, name := range []string{"impersonating", "actingAs"} {
			if f.has(name) {
				if m.TokenType != "Admin" {
					return nil, protoErrorf("%q is only allowed with an Admin token", name)
				}
				if !isJSONObject(f[name]) {
					return nil, protoErrorf("%q must be an object", name)
				}
				m.Impersonating = f[name]
			}
		}
	case "Event":
		// Client metrics; nothing to validate or do.
	default:
		return nil, protoErrorf("unknown message type %q", typ)
	}
	return m, nil
}

func parseModification(raw json.RawMessage) (querySetModification, error) {
	var f rawFields
	if err := json.Unmarshal(raw, &f); err != nil || f == nil {
		return querySetModification{}, errors.New("not a JSON object")
	}
	var mod querySetModification
	var err error
	if mod.Type, err = f.str("type", true); err != nil {
		return mod, err
	}
	if mod.QueryID, err = f.uint("queryId"); err != nil {
		return mod, err
	}
	switch mod.Type {
	case "Add":
		if mod.UdfPath, err = f.str("udfPath", true); err != nil {
			return mod, err
		}
		if _, err := f.array("args"); err != nil {
			return mod, err
		}
		mod.Args = f["args"]
		if f.has("journal") {
			j, err := f.str("journal", true)
			if err != nil {
				return mod, err
			}
			mod.Journal = &j
		}
		if mod.ComponentPath, err = f.str("componentPath", false); err != nil {
			return mod, err
		}
	case "Remove":
	default:
		return mod, fmt.Errorf("unknown modification type %q", mod.Type)
	}
	return mod, nil
}

func isJSONObject(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && v[0] == '{'
}

// singleArgsObject extracts the argument object from the protocol's
// one-element args array. A wrong shape is the caller's mistake and is
// reported as a function failure, not a protocol error.
func singleArgsObject(args json.RawMessage) (json.RawMessage, error) {
	var a []json.RawMessage
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, errors.New("args must be an array")
	}
	if len(a) != 1 {
		return nil, fmt.Errorf("expected exactly one argument object, got %d arguments", len(a))
	}
	if !isJSONObject(a[0]) {
		return nil, errors.New("the function argument must be an object")
	}
	return a[0], nil
}

// Server messages. Field order follows the reference client's types.

type stateVersion struct {
	QuerySet int64  `json:"querySet"`
	Identity int64  `json:"identity"`
	TS       string `json:"ts"`
}

type queryUpdated struct {
	Type     string          `json:"type"`
	QueryID  int64           `json:"queryId"`
	Value    json.RawMessage `json:"value"`
	LogLines []string        `json:"logLines"`
	Journal  *string         `json:"journal"`
}

type queryFailed struct {
	Type         string          `json:"type"`
	QueryID      int64           `json:"queryId"`
	ErrorMessage string          `json:"errorMessage"`
	LogLines     []string        `json:"logLines"`
	Journal      *string         `json:"journal"`
	ErrorData    json.RawMessage `json:"errorData,omitempty"`
}

type queryRemoved struct {
	Type    string `json:"type"`
	QueryID int64  `json:"queryId"`
}

type transitionMsg struct {
	Type            string       `json:"type"`
	StartVersion    stateVersion `json:"startVersion"`
	EndVersion      stateVersion `json:"endVersion"`
	Modifications   []any        `json:"modifications"`
	ClientClockSkew *int64       `json:"clientClockSkew"`
	ServerTs        int64        `json:"serverTs"`
}

type responseMsg struct {
	Type      string          `json:"type"`
	RequestID int64           `json:"requestId"`
	Success   bool            `json:"success"`
	Result    json.RawMessage `json:"result"`
	TS        *string         `json:"ts,omitempty"`
	LogLines  []string        `json:"logLines"`
	ErrorData json.RawMessage `json:"errorData,omitempty"`
}

type authErrorMsg struct {
	Type                string `json:"type"`
	Error               string `json:"error"`
	BaseVersion         int64  `json:"baseVersion"`
	AuthUpdateAttempted bool   `json:"authUpdateAttempted"`
}

type fatalErrorMsg struct {
	Type  string `json:"type"`
	Error string `json:"error"`
}

var pingMsg = []byte(`{"type":"Ping"}`)

func nonNilLines(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// valueOrNull turns a missing encoded value into JSON null.
func valueOrNull(v json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(v)) == 0 {
		return json.RawMessage("null")
	}
	return v
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Every server message is built from plain structs and already
		// validated raw JSON; failure here is a programming error.
		panic(fmt.Sprintf("sync: encoding %T: %v", v, err))
	}
	return b
}
