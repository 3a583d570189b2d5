package runtime

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// "use node" modules run in a Node.js child process that this file starts
// and drives. The process loads the pushed ES modules from a temporary
// directory and forwards their syscalls here, where the same host code as
// for the built-in engine answers them. One process serves a ModuleSet; it
// starts on first use, stops after Options.NodeIdleTimeout without calls,
// and is killed when a call times out (in-flight calls then fail).

//go:embed nodeexec/executor.mjs
var nodeExecutorSource []byte

const nodeExecutorFile = "__convex_executor.mjs"

// nodeMessage is any line of the executor protocol (see executor.mjs).
type nodeMessage struct {
	Type     string            `json:"type"`
	ID       int64             `json:"id,omitempty"`
	ExecID   int64             `json:"execId,omitempty"`
	CallID   int64             `json:"callId,omitempty"`
	Op       string            `json:"op,omitempty"`
	Args     string            `json:"args,omitempty"`
	Level    string            `json:"level,omitempty"`
	Messages []string          `json:"messages,omitempty"`
	OK       *string           `json:"ok,omitempty"`
	Error    *nodeError        `json:"error,omitempty"`
	Module   string            `json:"module,omitempty"`
	Name     string            `json:"name,omitempty"`
	Env      map[string]string `json:"env,omitempty"`
	ReqID    string            `json:"requestId,omitempty"`
}

type nodeError struct {
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

type nodeCall struct {
	x    *execution
	mu   sync.Mutex // serializes this execution's host operations and logs
	done chan nodeMessage
}

type nodeExecutor struct {
	ms    *ModuleSet
	dir   string
	cmd   *exec.Cmd
	stdin io.WriteCloser

	wmu sync.Mutex // one writer on stdin

	mu       sync.Mutex
	nextID   int64
	calls    map[int64]*nodeCall
	exited   bool
	exitErr  string
	idle     *time.Timer
	stderr   strings.Builder
	readyErr chan error
}

// isNodeModule reports whether path is a "use node" module of this set.
func (m *ModuleSet) isNodeModule(path string) bool {
	_, ok := m.nodeModules[path]
	return ok
}

// nodeExec returns the running executor, starting one if needed.
func (m *ModuleSet) nodeExec() (*nodeExecutor, error) {
	m.nodeMu.Lock()
	defer m.nodeMu.Unlock()
	if m.node != nil {
		m.node.mu.Lock()
		exited := m.node.exited
		m.node.mu.Unlock()
		if !exited {
			return m.node, nil
		}
		m.node.cleanup()
		m.node = nil
	}
	ne, err := startNodeExecutor(m)
	if err != nil {
		return nil, err
	}
	m.node = ne
	return ne, nil
}

func startNodeExecutor(m *ModuleSet) (*nodeExecutor, error) {
	nodePath := m.engine.opts.NodePath
	if nodePath == "" {
		p, err := exec.LookPath("node")
		if err != nil {
			return nil, errors.New(`"use node" modules need Node.js: node was not found on PATH`)
		}
		nodePath = p
	}
	dir, err := os.MkdirTemp("", "convex-node-")
	if err != nil {
		return nil, fmt.Errorf("creating the Node.js module directory: %w", err)
	}
	ne := &nodeExecutor{ms: m, dir: dir, calls: map[int64]*nodeCall{}, readyErr: make(chan error, 1)}
	if err := ne.writeModules(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(nodePath, "--enable-source-maps", filepath.Join(dir, nodeExecutorFile), dir)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	stdin, err1 := cmd.StdinPipe()
	stdout, err2 := cmd.StdoutPipe()
	stderr, err3 := cmd.StderrPipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting Node.js (%s): %w", nodePath, err)
	}
	ne.cmd, ne.stdin = cmd, stdin
	go ne.readStderr(stderr)
	go ne.readLoop(stdout)
	select {
	case err := <-ne.readyErr:
		if err != nil {
			ne.kill()
			return nil, err
		}
	case <-time.After(30 * time.Second):
		ne.kill()
		return nil, errors.New("the Node.js executor did not start within 30s")
	}
	return ne, nil
}

// writeModules lays the node modules out as files of an ES module package.
func (ne *nodeExecutor) writeModules() error {
	write := func(rel string, data []byte) error {
		p := filepath.Join(ne.dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o600)
	}
	if err := write("package.json", []byte(`{"type":"module"}`)); err != nil {
		return err
	}
	if err := write(nodeExecutorFile, nodeExecutorSource); err != nil {
		return err
	}
	for _, mod := range ne.ms.nodeModules {
		src := mod.Source
		if mod.SourceMap != "" {
			src = stripSourceMapComment(src) + "\n//# sourceMappingURL=" + filepath.Base(mod.Path) + ".map\n"
			if err := write(mod.Path+".map", []byte(mod.SourceMap)); err != nil {
				return err
			}
		}
		if err := write(mod.Path, []byte(src)); err != nil {
			return fmt.Errorf("writing %s for Node.js: %w", mod.Path, err)
		}
	}
	return nil
}

func (ne *nodeExecutor) readStderr(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			ne.mu.Lock()
			ne.stderr.Write(buf[:n])
			if ne.stderr.Len() > 16<<10 {
				tail := ne.stderr.String()[ne.stderr.Len()-8<<10:]
				ne.stderr.Reset()
				ne.stderr.WriteString(tail)
			}
			ne.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

func (ne *nodeExecutor) readLoop(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<16)
	ready := false
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			var msg nodeMessage
			if jerr := json.Unmarshal(line, &msg); jerr == nil {
				if msg.Type == "ready" && !ready {
					ready = true
					ne.readyErr <- nil
				} else {
					ne.dispatch(msg)
				}
			}
		}
		if err != nil {
			break
		}
	}
	_ = ne.cmd.Wait()
	ne.mu.Lock()
	ne.exited = true
	ne.exitErr = strings.TrimSpace(ne.stderr.String())
	calls := ne.calls
	ne.calls = map[int64]*nodeCall{}
	ne.mu.Unlock()
	if !ready {
		ne.readyErr <- fmt.Errorf("the Node.js executor exited: %s", ne.exitErr)
	}
	for id, c := range calls {
		msg := "the Node.js executor exited"
		if ne.exitErr != "" {
			msg += ": " + lastLines(ne.exitErr, 10)
		}
		c.done <- nodeMessage{Type: "result", ID: id, Error: &nodeError{Message: msg}}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (ne *nodeExecutor) send(msg nodeMessage) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	ne.wmu.Lock()
	defer ne.wmu.Unlock()
	_, err = ne.stdin.Write(append(b, '\n'))
	return err
}

func (ne *nodeExecutor) dispatch(msg nodeMessage) {
	switch msg.Type {
	case "result":
		ne.mu.Lock()
		c := ne.calls[msg.ID]
		delete(ne.calls, msg.ID)
		ne.mu.Unlock()
		if c != nil {
			c.done <- msg
		}
	case "log":
		ne.mu.Lock()
		c := ne.calls[msg.ExecID]
		ne.mu.Unlock()
		if c != nil {
			c.mu.Lock()
			c.x.addLog(LogLine{Level: msg.Level, Messages: msg.Messages, Timestamp: time.Now().UnixMilli()})
			c.mu.Unlock()
		}
	case "syscall":
		ne.mu.Lock()
		c := ne.calls[msg.ExecID]
		ne.mu.Unlock()
		go ne.serveSyscall(c, msg)
	}
}

func (ne *nodeExecutor) serveSyscall(c *nodeCall, msg nodeMessage) {
	reply := nodeMessage{Type: "syscallResult", CallID: msg.CallID}
	if c == nil {
		reply.Error = &nodeError{Message: "syscall from an unknown execution"}
		_ = ne.send(reply)
		return
	}
	c.mu.Lock()
	res, done, later := c.x.asyncOp(msg.Op, msg.Args)
	c.mu.Unlock()
	if !done {
		select {
		case res = <-later:
		case <-c.x.ctx.Done():
			res = asyncResult{err: context.Cause(c.x.ctx)}
		}
	}
	if res.err != nil {
		reply.Error = &nodeError{Message: res.err.Error()}
		var oe *opError
		if errors.As(res.err, &oe) {
			reply.Error.Message, reply.Error.Data = oe.Message, oe.Data
		}
	} else {
		v := res.value
		reply.OK = &v
	}
	_ = ne.send(reply)
}

// call runs one executor request (describe, analyze or invoke) for x.
func (ne *nodeExecutor) call(ctx context.Context, x *execution, er entryRequest) (string, *thrown, error) {
	c := &nodeCall{x: x, done: make(chan nodeMessage, 1)}
	ne.mu.Lock()
	if ne.exited {
		ne.mu.Unlock()
		return "", nil, errors.New("the Node.js executor is not running")
	}
	ne.nextID++
	id := ne.nextID
	ne.calls[id] = c
	if ne.idle != nil {
		ne.idle.Stop()
	}
	ne.mu.Unlock()
	defer ne.scheduleIdleStop()

	err := ne.send(nodeMessage{Type: er.Op, ID: id, Module: er.Module, Name: er.Name, Args: er.Args, Env: er.Env, ReqID: er.RequestID})
	if err != nil {
		ne.mu.Lock()
		delete(ne.calls, id)
		ne.mu.Unlock()
		return "", nil, fmt.Errorf("sending to the Node.js executor: %w", err)
	}
	select {
	case msg := <-c.done:
		if msg.Error != nil {
			t := &thrown{Message: msg.Error.Message}
			if len(msg.Error.Data) > 0 {
				var d string
				if json.Unmarshal(msg.Error.Data, &d) == nil {
					t.Data = &d
				}
			}
			return "", t, nil
		}
		if msg.OK == nil {
			return "null", nil, nil
		}
		return *msg.OK, nil, nil
	case <-ctx.Done():
		// The only way to stop a running Node.js function is to stop the
		// process; the next call starts a fresh one.
		ne.kill()
		return "", nil, context.Cause(ctx)
	}
}

func (ne *nodeExecutor) scheduleIdleStop() {
	ne.mu.Lock()
	defer ne.mu.Unlock()
	if len(ne.calls) > 0 || ne.exited {
		return
	}
	if ne.idle != nil {
		ne.idle.Stop()
	}
	ne.idle = time.AfterFunc(ne.ms.engine.opts.NodeIdleTimeout, func() {
		ne.mu.Lock()
		busy := len(ne.calls) > 0
		ne.mu.Unlock()
		if !busy {
			ne.cleanup()
		}
	})
}

func (ne *nodeExecutor) kill() {
	if ne.cmd != nil && ne.cmd.Process != nil {
		_ = ne.cmd.Process.Kill()
	}
	ne.mu.Lock()
	ne.exited = true
	ne.mu.Unlock()
}

func (ne *nodeExecutor) cleanup() {
	ne.kill()
	os.RemoveAll(ne.dir)
}

// Close stops the Node.js executor of this set, if one is running. Call it
// when a ModuleSet is replaced; sets without "use node" modules need no
// Close (an idle executor also stops by itself).
func (m *ModuleSet) Close() {
	m.nodeMu.Lock()
	defer m.nodeMu.Unlock()
	if m.node != nil {
		m.node.cleanup()
		m.node = nil
	}
}
