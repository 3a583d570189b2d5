package api

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/convex-go/convex/backend/runtime"
	"github.com/convex-go/convex/backend/values"
)

// "use node" modules run in a Node.js child process (spec §5.10, option b):
// the modules are written to a directory, and node_executor.mjs loads them,
// installs a Convex global whose syscalls come back here over stdio, and
// runs one analysis or one action per process.

//go:embed node_executor.mjs
var nodeExecutorJS []byte

// nodeSet is the "use node" part of a push.
type nodeSet struct {
	dir     string          // where the modules (and the executor) are written
	entries map[string]bool // callable module paths ("actions/ai.js")
	mods    []storedModule
}

func (n *nodeSet) has(modulePath string) bool { return n != nil && n.entries[modulePath] }

// prepareNode writes the node modules of a push to a content-addressed
// directory under the store. It returns nil when there are none.
func (s *Server) prepareNode(modules []storedModule) (*nodeSet, error) {
	var mods []storedModule
	for _, m := range modules {
		if m.Environment == "node" {
			mods = append(mods, m)
		}
	}
	if len(mods) == 0 {
		return nil, nil
	}
	h := sha256.New()
	h.Write(nodeExecutorJS)
	for _, m := range mods {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", m.Path, len(m.Source), m.Source)
	}
	dir := filepath.Join(s.store.Dir(), "node", hex.EncodeToString(h.Sum(nil))[:24])
	set := &nodeSet{dir: dir, entries: map[string]bool{}, mods: mods}
	for _, m := range mods {
		if !strings.HasPrefix(m.Path, "_deps/") {
			set.entries[m.Path] = true
		}
	}
	return set, set.install()
}

// install writes the modules unless an earlier push or run already did.
func (set *nodeSet) install() error {
	dir, mods := set.dir, set.mods
	if _, err := os.Stat(filepath.Join(dir, "node_executor.mjs")); err == nil {
		return nil
	}
	tmp := dir + ".tmp" + newRequestID()
	write := func(rel string, data []byte) error {
		p := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o644)
	}
	for _, m := range mods {
		if err := write(m.Path, []byte(m.Source)); err != nil {
			return err
		}
		if m.SourceMap != "" {
			_ = write(m.Path+".map", []byte(m.SourceMap))
		}
	}
	if err := write("package.json", []byte(`{"type":"module","private":true}`)); err != nil {
		return err
	}
	if err := write("node_executor.mjs", nodeExecutorJS); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, statErr := os.Stat(dir); statErr != nil {
			return fmt.Errorf("installing node modules: %w", err)
		}
	}
	return nil
}

// pruneNode removes the module directories of earlier pushes (best
// effort: a call still running from one keeps its open files).
func (s *Server) pruneNode(keep *nodeSet) {
	root := filepath.Join(s.store.Dir(), "node")
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(root, e.Name())
		if keep == nil || p != keep.dir {
			_ = os.RemoveAll(p)
		}
	}
}

// nodeCall is one executor run.
type nodeCall struct {
	set      *nodeSet
	request  map[string]any
	env      map[string]string
	host     *actionHost
	identity []byte
}

type nodeResult struct {
	Result  json.RawMessage
	Err     *runtime.FunctionError
	Logs    []runtime.LogLine
	Failure error // the executor itself failed
}

func nodeBinary() (string, error) {
	p, err := exec.LookPath("node")
	if err != nil {
		return "", errors.New(`"use node" modules need Node.js: install it and make sure "node" is on PATH`)
	}
	return p, nil
}

// runNode starts the executor, serves its syscalls and returns its answer.
func (s *Server) runNode(ctx context.Context, c nodeCall) nodeResult {
	var res nodeResult
	bin, err := nodeBinary()
	if err != nil {
		res.Failure = err
		return res
	}
	if err := c.set.install(); err != nil { // pruned by a concurrent push
		res.Failure = err
		return res
	}
	cmd := exec.CommandContext(ctx, bin, filepath.Join(c.set.dir, "node_executor.mjs"))
	cmd.Dir = c.set.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "NODE_NO_WARNINGS=1"}
	for k, v := range c.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		res.Failure = err
		return res
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		res.Failure = err
		return res
	}
	var stderr strings.Builder
	cmd.Stderr = &limitedWriter{w: &stderr, n: 16 << 10}
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		res.Failure = fmt.Errorf("starting node: %w", err)
		return res
	}
	defer func() { _ = cmd.Wait() }()
	enc := json.NewEncoder(stdin)
	if err := enc.Encode(c.request); err != nil {
		res.Failure = err
		return res
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		var msg struct {
			Type      string          `json:"type"`
			ID        int64           `json:"id"`
			Op        string          `json:"op"`
			Args      string          `json:"args"`
			Level     string          `json:"level"`
			Messages  []string        `json:"messages"`
			Timestamp float64         `json:"timestamp"`
			Result    json.RawMessage `json:"result"`
			Message   string          `json:"message"`
			Data      *string         `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			continue
		}
		switch msg.Type {
		case "log":
			res.Logs = append(res.Logs, runtime.LogLine{Level: msg.Level, Messages: msg.Messages, Timestamp: int64(msg.Timestamp)})
		case "syscall":
			reply := map[string]any{"id": msg.ID, "ok": true}
			out, err := s.nodeSyscall(ctx, c, msg.Op, []byte(msg.Args))
			if err != nil {
				reply["ok"] = false
				reply["message"] = err.Error()
				var fe *runtime.FunctionError
				if errors.As(err, &fe) && fe.Data != nil {
					reply["data"] = string(fe.Data)
				}
			} else {
				reply["result"] = string(out)
			}
			if err := enc.Encode(reply); err != nil {
				res.Failure = err
				return res
			}
		case "done":
			res.Result = msg.Result
			return res
		case "error":
			res.Err = &runtime.FunctionError{Message: msg.Message}
			if msg.Data != nil {
				res.Err.Data = []byte(*msg.Data)
			}
			return res
		}
	}
	if ctx.Err() != nil {
		res.Failure = fmt.Errorf("the Node.js action was stopped: %w", ctx.Err())
	} else {
		res.Failure = fmt.Errorf("the Node.js process ended without an answer: %s", strings.TrimSpace(stderr.String()))
	}
	return res
}

// nodeSyscall serves one syscall of a Node.js action.
func (s *Server) nodeSyscall(ctx context.Context, c nodeCall, op string, args []byte) ([]byte, error) {
	var a struct {
		Name      string          `json:"name"`
		Args      json.RawMessage `json:"args"`
		TS        float64         `json:"ts"`
		ID        string          `json:"id"`
		StorageID string          `json:"storageId"`
		Data      string          `json:"data"`
		Type      string          `json:"contentType"`
		Reference string          `json:"reference"`
		Handle    string          `json:"functionHandle"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, fmt.Errorf("bad arguments for %s: %w", op, err)
	}
	if (a.Reference != "" || a.Handle != "") && a.Name == "" {
		return nil, errors.New("function handles and component references are not supported by this backend")
	}
	switch op {
	case "1.0/actions/query", "1.0/actions/mutation", "1.0/actions/action":
		return c.host.RunFunction(ctx, strings.TrimPrefix(op, "1.0/actions/"), a.Name, a.Args, c.identity)
	case "1.0/actions/schedule":
		id, err := c.host.Schedule(a.Name, a.Args, a.TS)
		if err != nil {
			return nil, err
		}
		return json.Marshal(id)
	case "1.0/actions/cancel_job":
		if err := c.host.CancelJob(a.ID); err != nil {
			return nil, err
		}
		return []byte("null"), nil
	case "1.0/getUserIdentity":
		if c.identity == nil {
			return []byte("null"), nil
		}
		return c.identity, nil
	case "1.0/storageGenerateUploadUrl", "1.0/storageGetUrl", "1.0/storageGetMetadata", "1.0/storageDelete":
		return c.host.Syscall(ctx, op, args)
	case "host/storeBlob":
		data, err := base64.StdEncoding.DecodeString(a.Data)
		if err != nil {
			return nil, err
		}
		id, err := c.host.StoreBlob(data, a.Type)
		if err != nil {
			return nil, err
		}
		return json.Marshal(id)
	case "host/getBlob":
		data, ct, err := c.host.GetBlob(a.StorageID)
		if err != nil {
			return []byte("null"), nil
		}
		return json.Marshal(map[string]string{"data": base64.StdEncoding.EncodeToString(data), "contentType": ct})
	}
	return nil, fmt.Errorf("%s is not supported in Node.js actions by this backend", op)
}

// analyzeNode analyzes the node entry modules of a push.
func (s *Server) analyzeNode(ctx context.Context, set *nodeSet, env map[string]string) (map[string]analyzedModule, error) {
	paths := make([]string, 0, len(set.entries))
	for p := range set.entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res := s.runNode(ctx, nodeCall{set: set, env: env, host: s.hostFor(nil),
		request: map[string]any{"mode": "analyze", "dir": set.dir, "modules": paths}})
	if res.Failure != nil {
		return nil, res.Failure
	}
	if res.Err != nil {
		return nil, errors.New(res.Err.Message)
	}
	out := map[string]analyzedModule{}
	if err := json.Unmarshal(res.Result, &out); err != nil {
		return nil, fmt.Errorf("reading the Node.js analysis: %w", err)
	}
	return out, nil
}

// runNodeAction runs an action of a "use node" module.
func (s *Server) runNodeAction(ctx context.Context, dep *deployment, c udfCall, env map[string]string, requestID string) runtime.Result {
	set := dep.node
	canon := canonicalPath(c.Path)
	module, name, _ := strings.Cut(canon, ":")
	fail := func(format string, a ...any) runtime.Result {
		return runtime.Result{Err: &runtime.FunctionError{Message: fmt.Sprintf(format, a...)}, UdfType: runtime.KindAction}
	}
	// The checks the runtime makes for isolate functions (§5.6 step 1).
	var fn *analyzedFunction
	for i, f := range dep.analysis[module].Functions {
		if f.Name == name {
			fn = &dep.analysis[module].Functions[i]
		}
	}
	if fn == nil || (!c.Internal && (fn.Visibility == nil || fn.Visibility.Kind != "public")) {
		return runtime.Result{Err: notFound(c.Path, c.Internal), UdfType: runtime.KindAction}
	}
	if c.Kind != "" && c.Kind != runtime.KindAction {
		return fail("Trying to execute %s as %s, but it is defined as Action.", displayPath(c.Path), udfTypeLabel(c.Kind))
	}
	args := strings.TrimSpace(string(c.Args))
	if !strings.HasPrefix(args, "[") {
		args = "[" + args + "]"
	}
	v, err := values.Decode([]byte(args))
	arr, ok := v.([]values.Value)
	if err != nil || !ok || len(arr) != 1 {
		return fail("ArgumentValidationError: the arguments must be one object")
	}
	if fn.Args != nil {
		if err := values.Validate([]byte(*fn.Args), arr[0]); err != nil {
			return fail("ArgumentValidationError: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	res := s.runNode(ctx, nodeCall{set: set, env: env, host: s.hostFor(c.Identity), identity: c.Identity,
		request: map[string]any{"mode": "run", "dir": set.dir, "module": module, "name": name, "args": args, "requestId": requestID}})
	out := runtime.Result{Logs: res.Logs, UdfType: runtime.KindAction}
	switch {
	case res.Failure != nil:
		out.Err = &runtime.FunctionError{Message: res.Failure.Error()}
	case res.Err != nil:
		out.Err = res.Err
	default:
		// invokeAction resolves to the JSON text of the encoded result.
		var text string
		if err := json.Unmarshal(res.Result, &text); err != nil {
			out.Err = &runtime.FunctionError{Message: "the Node.js action returned an unexpected result"}
			break
		}
		out.Value = []byte(text)
		if fn.Returns != nil && *fn.Returns != "null" {
			rv, err := values.Decode(out.Value)
			if err == nil {
				err = values.Validate([]byte(*fn.Returns), rv)
			}
			if err != nil {
				out.Value, out.Err = nil, &runtime.FunctionError{Message: "ReturnsValidationError: " + err.Error()}
			}
		}
	}
	return out
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		_, _ = l.w.Write(p[:k])
	}
	return len(p), nil
}
