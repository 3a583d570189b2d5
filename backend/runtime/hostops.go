package runtime

import (
	"bytes"
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Database syscalls, by whether they write. Queries may only read; actions
// reach the database only through runQuery/runMutation.

// dbReadOp reports whether op is a database syscall that only reads.
func dbReadOp(op string) bool {
	switch op {
	case "1.0/get", "1.0/queryStream", "1.0/queryStreamNext", "1.0/queryCleanup", "1.0/queryPage",
		"1.0/count", "1.0/db/normalizeId", "1.0/getSnapshotTs", "1.0/storageGetUrl",
		"1.0/storageGetMetadata", "1.0/getTransactionMetrics":
		return true
	}
	return false
}

// dbWriteOp reports whether op is a database syscall that writes.
func dbWriteOp(op string) bool {
	switch op {
	case "1.0/insert", "1.0/shallowMerge", "1.0/replace", "1.0/remove", "1.0/schedule",
		"1.0/cancel_job", "1.0/storageGenerateUploadUrl", "1.0/storageDelete", "1.0/storageStore",
		"1.0/storageGet":
		return true
	}
	return false
}

func (x *execution) isAction() bool { return x.udfType == KindAction || x.udfType == "httpAction" }

func (x *execution) syncOp(op, arg string) (string, error) {
	switch op {
	case "host/log":
		var l LogLine
		if err := json.Unmarshal([]byte(arg), &l); err != nil {
			return "", fmt.Errorf("bad log line: %w", err)
		}
		l.Timestamp = time.Now().UnixMilli()
		x.addLog(l)
		return "null", nil
	case "host/randomBytes":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 || n > 65536 {
			return "", errors.New("invalid random byte count")
		}
		b := make([]byte, n)
		if x.deterministic() {
			for i := range b {
				b[i] = byte(x.rng.Uint32())
			}
		} else if _, err := crand.Read(b); err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(b), nil
	case "host/digest":
		var a struct{ Alg, Data string }
		if err := json.Unmarshal([]byte(arg), &a); err != nil {
			return "", err
		}
		h, err := newHash(a.Alg)
		if err != nil {
			return "", err
		}
		data, err := base64.StdEncoding.DecodeString(a.Data)
		if err != nil {
			return "", err
		}
		h.Write(data)
		return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
	case "host/hmac":
		var a struct{ Hash, Key, Data string }
		if err := json.Unmarshal([]byte(arg), &a); err != nil {
			return "", err
		}
		if _, err := newHash(a.Hash); err != nil {
			return "", err
		}
		key, err1 := base64.StdEncoding.DecodeString(a.Key)
		data, err2 := base64.StdEncoding.DecodeString(a.Data)
		if err := errors.Join(err1, err2); err != nil {
			return "", err
		}
		mac := hmac.New(func() hash.Hash { h, _ := newHash(a.Hash); return h }, key)
		mac.Write(data)
		return base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
	case "1.0/componentArgument":
		return "{}", nil
	case "1.0/requireOperation":
		return "", errors.New("this operation is only available to system functions")
	}
	if strings.HasPrefix(op, "host/") {
		return "", fmt.Errorf("unknown host operation %s", op)
	}
	return x.dbOp(op, arg)
}

func newHash(name string) (hash.Hash, error) {
	switch strings.ToUpper(name) {
	case "SHA-1":
		return sha1.New(), nil
	case "SHA-256":
		return sha256.New(), nil
	case "SHA-384":
		return sha512.New384(), nil
	case "SHA-512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unsupported hash algorithm %s", name)
}

// dbOp sends a database syscall to the request's transaction after
// checking the function kind may use it.
func (x *execution) dbOp(op, arg string) (string, error) {
	if !dbReadOp(op) && !dbWriteOp(op) {
		return "", fmt.Errorf("Unknown syscall %s", op)
	}
	if x.isAction() {
		return "", fmt.Errorf("%s is not available in actions: read and write data with ctx.runQuery and ctx.runMutation", op)
	}
	if x.udfType == "analyze" {
		return "", fmt.Errorf("%s cannot be called while a module is being loaded (at import time); call it inside a function handler", op)
	}
	if dbWriteOp(op) && x.udfType != KindMutation {
		return "", fmt.Errorf("%s is not allowed in a query: queries are read-only; use a mutation to write", op)
	}
	if x.req.DB == nil {
		return "", errors.New("no database transaction for this function")
	}
	out, err := x.req.DB.Syscall(op, []byte(arg))
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// settled is an async result available at once.
func settled(v string, err error) (asyncResult, bool, <-chan asyncResult) {
	return asyncResult{value: v, err: err}, true, nil
}

// background runs f on its own goroutine; the VM awaits the result.
func background(f func() (string, error)) (asyncResult, bool, <-chan asyncResult) {
	ch := make(chan asyncResult, 1)
	go func() {
		v, err := f()
		ch <- asyncResult{value: v, err: err}
	}()
	return asyncResult{}, false, ch
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (x *execution) asyncOp(op, arg string) (asyncResult, bool, <-chan asyncResult) {
	switch op {
	case "1.0/getUserIdentity":
		if x.req.IdentityErr != nil {
			return settled("", x.req.IdentityErr)
		}
		if len(x.req.Identity) == 0 {
			return settled("null", nil)
		}
		return settled(string(x.req.Identity), nil)
	case "1.0/getFunctionMetadata":
		b, _ := json.Marshal(map[string]any{"name": x.udfPath, "componentPath": ""})
		return settled(string(b), nil)
	case "1.0/getDeploymentMetadata":
		b, _ := json.Marshal(map[string]any{"name": x.ms.engine.opts.DeploymentName, "region": nil, "class": "s16"})
		return settled(string(b), nil)
	case "1.0/getRequestMetadata":
		if x.udfType == KindQuery {
			return settled("", errors.New("RequestMetadataNotAllowed: request metadata is only available in mutations and actions"))
		}
		b, _ := json.Marshal(map[string]any{"ip": nil, "userAgent": nil, "requestId": x.req.RequestID, "scheduledFunctionId": nil, "authToken": nil})
		return settled(string(b), nil)
	case "1.0/auditLog":
		return settled("null", nil)
	case "1.0/createFunctionHandle":
		var a struct{ Name, FunctionHandle string }
		if err := json.Unmarshal([]byte(arg), &a); err != nil {
			return settled("", err)
		}
		if a.FunctionHandle != "" {
			return settled(jsonString(a.FunctionHandle), nil)
		}
		if a.Name == "" {
			return settled("", errors.New("function handles for component references are not supported"))
		}
		m, e := CanonicalPath(a.Name)
		return settled(jsonString("function://;"+m+":"+e), nil)
	case "1.0/runUdf":
		return settled(x.runNested(arg))
	case "1.0/createServiceToken", "1.0/getServiceUrl", "1.0/signJwt":
		return settled("", fmt.Errorf("%s is not available in a local deployment", op))
	}
	if strings.HasPrefix(op, "host/") || strings.HasPrefix(op, "1.0/actions/") {
		if !x.isAction() {
			return settled("", fmt.Errorf("%s is only available in actions", strings.TrimPrefix(op, "host/")))
		}
		return x.actionOp(op, arg)
	}
	if x.isAction() {
		return x.actionOp(op, arg)
	}
	return settled(x.dbOp(op, arg))
}

// functionAddress reads {name | functionHandle | reference} of a nested call.
func functionAddress(name, handle, reference string) (string, error) {
	if name != "" {
		return name, nil
	}
	if h, ok := strings.CutPrefix(handle, "function://"); ok {
		_, path, _ := strings.Cut(h, ";")
		if path != "" {
			return path, nil
		}
	}
	if reference != "" || handle != "" {
		return "", errors.New("calling component functions is not supported by this deployment")
	}
	return "", errors.New("no function name given")
}

// functionCall is how a syscall names a function to call, with its
// arguments.
type functionCall struct {
	Name           string          `json:"name"`
	Reference      string          `json:"reference"`
	FunctionHandle string          `json:"functionHandle"`
	Args           json.RawMessage `json:"args"`
}

// decodeCall unmarshals a syscall's argument into v, a struct that is or
// embeds call, and returns the address of the function call names.
func decodeCall(arg string, v any, call *functionCall) (string, error) {
	if err := json.Unmarshal([]byte(arg), v); err != nil {
		return "", err
	}
	return functionAddress(call.Name, call.FunctionHandle, call.Reference)
}

// runNested handles ctx.runQuery / ctx.runMutation inside queries and
// mutations: the callee runs in the same transaction, a mutation inside a
// savepoint that is rolled back if it throws.
func (x *execution) runNested(arg string) (string, error) {
	var a struct {
		UdfType string `json:"udfType"`
		functionCall
	}
	path, err := decodeCall(arg, &a, &a.functionCall)
	if err != nil {
		return "", err
	}
	kind := a.UdfType
	switch kind {
	case "query", "snapshotQuery":
		kind = KindQuery
	case "mutation":
		if x.udfType != KindMutation {
			return "", errors.New("a query cannot run a mutation")
		}
	default:
		return "", fmt.Errorf("runUdf: unsupported function type %q", a.UdfType)
	}
	if x.udfType != KindQuery && x.udfType != KindMutation {
		return "", errors.New("runUdf is only available in queries and mutations")
	}
	if x.depth+1 >= x.ms.engine.opts.MaxCallDepth {
		return "", fmt.Errorf("too many nested function calls (maximum depth %d)", x.ms.engine.opts.MaxCallDepth)
	}
	db := x.req.DB
	sp := 0
	if kind == KindMutation {
		sp = db.Savepoint()
	}
	sub := &Request{
		Path: path, Kind: kind, Args: a.Args, DB: db, Host: x.req.Host, Env: x.req.Env,
		Identity: x.req.Identity, Now: x.frozenNow, Seed: int64(x.rng.Uint64()), Internal: true,
		RequestID: x.req.RequestID, OnLog: x.req.OnLog,
	}
	if dl, ok := x.ctx.Deadline(); ok {
		sub.Timeout = time.Until(dl)
		if sub.Timeout <= 0 {
			return "", errTimeout
		}
	}
	res := x.ms.run(x.ctx, sub, x.depth+1, x.logs)
	if res.Err != nil {
		if kind == KindMutation {
			db.RollbackTo(sp)
		}
		return "", propagated(res.Err)
	}
	return string(res.Value), nil
}

// propagated turns a callee's failure into the rejection the caller sees.
// convex/server rethrows it as ConvexError(message) with data when data is
// present, so the message is reduced to the error's own text.
func propagated(err error) error {
	var fe *FunctionError
	if !errors.As(err, &fe) {
		return err
	}
	if fe.Data == nil {
		return &opError{Message: fe.Message}
	}
	msg := fe.Message
	if i := strings.Index(msg, "\n    at "); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimPrefix(msg, "Uncaught ConvexError: ")
	return &opError{Message: msg, Data: json.RawMessage(fe.Data)}
}

// actionOp serves the operations only actions and HTTP actions have.
func (x *execution) actionOp(op, arg string) (asyncResult, bool, <-chan asyncResult) {
	h := x.req.Host
	switch op {
	case "host/sleep":
		ms, _ := strconv.ParseFloat(arg, 64)
		ctx := x.ctx
		return background(func() (string, error) {
			t := time.NewTimer(time.Duration(ms * float64(time.Millisecond)))
			defer t.Stop()
			select {
			case <-t.C:
				return "null", nil
			case <-ctx.Done():
				return "", context.Cause(ctx)
			}
		})
	case "host/fetch":
		client := x.ms.engine.opts.HTTPClient
		ctx := x.ctx
		return background(func() (string, error) { return doFetch(ctx, client, arg), nil })
	}
	if h == nil {
		return settled("", fmt.Errorf("%s: this deployment did not provide an action host", op))
	}
	switch op {
	case "1.0/actions/query", "1.0/actions/mutation", "1.0/actions/action":
		var a functionCall
		path, err := decodeCall(arg, &a, &a)
		if err != nil {
			return settled("", err)
		}
		kind := strings.TrimPrefix(op, "1.0/actions/")
		ctx, identity := x.ctx, x.req.Identity
		return background(func() (string, error) {
			out, err := h.RunFunction(ctx, kind, path, a.Args, identity)
			if err != nil {
				return "", propagated(err)
			}
			return string(out), nil
		})
	case "1.0/actions/schedule":
		var a struct {
			functionCall
			TS float64 `json:"ts"`
		}
		path, err := decodeCall(arg, &a, &a.functionCall)
		if err != nil {
			return settled("", err)
		}
		id, err := h.Schedule(path, a.Args, a.TS)
		if err != nil {
			return settled("", err)
		}
		return settled(jsonString(id), nil)
	case "1.0/actions/cancel_job":
		var a struct{ ID string }
		if err := json.Unmarshal([]byte(arg), &a); err != nil {
			return settled("", err)
		}
		return settled("null", h.CancelJob(a.ID))
	case "1.0/storageGetUrl":
		var a struct{ StorageID string }
		if err := json.Unmarshal([]byte(arg), &a); err != nil {
			return settled("", err)
		}
		u, err := h.GetURL(a.StorageID)
		if err != nil {
			return settled("", err)
		}
		if u == "" {
			return settled("null", nil)
		}
		return settled(jsonString(u), nil)
	case "host/storeBlob":
		var a struct {
			Data        []byte
			ContentType *string
		}
		if err := json.Unmarshal([]byte(arg), &a); err != nil {
			return settled("", err)
		}
		ct := ""
		if a.ContentType != nil {
			ct = *a.ContentType
		}
		return background(func() (string, error) {
			id, err := h.StoreBlob(a.Data, ct)
			if err != nil {
				return "", err
			}
			return jsonString(id), nil
		})
	case "host/getBlob":
		var a struct{ StorageID string }
		if err := json.Unmarshal([]byte(arg), &a); err != nil {
			return settled("", err)
		}
		return background(func() (string, error) {
			data, ct, err := h.GetBlob(a.StorageID)
			if err != nil {
				return "", err
			}
			if data == nil {
				return "null", nil
			}
			b, _ := json.Marshal(map[string]any{"data": data, "contentType": ct})
			return string(b), nil
		})
	}
	if sc, ok := h.(HostSyscaller); ok && !strings.HasPrefix(op, "host/") {
		ctx := x.ctx
		return background(func() (string, error) {
			out, err := sc.Syscall(ctx, op, []byte(arg))
			return string(out), err
		})
	}
	if dbReadOp(op) || dbWriteOp(op) {
		return settled(x.dbOp(op, arg))
	}
	return settled("", fmt.Errorf("Unknown async syscall %s", op))
}

// doFetch performs fetch() for actions and answers the shim's JSON:
// {status, statusText, headers, body, url, redirected} or {error}.
func doFetch(ctx context.Context, client *http.Client, arg string) string {
	var a struct {
		URL      string      `json:"url"`
		Method   string      `json:"method"`
		Headers  [][2]string `json:"headers"`
		Body     *string     `json:"body"`
		Redirect string      `json:"redirect"`
	}
	fail := func(err error) string {
		b, _ := json.Marshal(map[string]string{"error": err.Error()})
		return string(b)
	}
	if err := json.Unmarshal([]byte(arg), &a); err != nil {
		return fail(err)
	}
	var body io.Reader
	if a.Body != nil {
		data, err := base64.StdEncoding.DecodeString(*a.Body)
		if err != nil {
			return fail(err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, a.Method, a.URL, body)
	if err != nil {
		return fail(err)
	}
	for _, h := range a.Headers {
		req.Header.Add(h[0], h[1])
	}
	c := *client
	if a.Redirect == "manual" || a.Redirect == "error" {
		mode := a.Redirect
		c.CheckRedirect = func(*http.Request, []*http.Request) error {
			if mode == "error" {
				return errors.New("redirect not allowed (redirect: \"error\")")
			}
			return http.ErrUseLastResponse
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fail(err)
	}
	var headers [][2]string
	for k, vs := range resp.Header {
		for _, v := range vs {
			headers = append(headers, [2]string{strings.ToLower(k), v})
		}
	}
	out, _ := json.Marshal(map[string]any{
		"status": resp.StatusCode, "statusText": strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode))),
		"headers": headers, "body": data, "url": resp.Request.URL.String(),
		"redirected": resp.Request.URL.String() != a.URL,
	})
	return string(out)
}
