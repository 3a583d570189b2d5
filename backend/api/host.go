package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/convex-go/convex/backend/runtime"
	"github.com/convex-go/convex/backend/store"
	"github.com/convex-go/convex/backend/values"
)

// actionHost serves what actions and HTTP actions ask of the deployment.
// Nested calls run with the caller's identity and may reach internal
// functions.
type actionHost struct {
	s        *Server
	identity []byte
}

var (
	_ runtime.ActionHost    = (*actionHost)(nil)
	_ runtime.HostSyscaller = (*actionHost)(nil)
)

func (s *Server) hostFor(identity []byte) *actionHost { return &actionHost{s: s, identity: identity} }

func (h *actionHost) RunFunction(ctx context.Context, kind, path string, args []byte, identity []byte) ([]byte, error) {
	if identity == nil {
		identity = h.identity
	}
	out := h.s.run(ctx, udfCall{Kind: kind, Path: path, Args: args, Internal: true, Identity: identity, Caller: "Action"})
	if out.Err != nil {
		return nil, out.Err
	}
	return out.Value, nil
}

// writeSyscall runs one database syscall in its own committed transaction.
func (s *Server) writeSyscall(op string, args any) ([]byte, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	return s.syscallTx(true, op, b)
}

// syscallTx runs one syscall in a transaction of its own, a write one when
// write is set, and commits it, telling subscribers about its writes.
func (s *Server) syscallTx(write bool, op string, args []byte) ([]byte, error) {
	tx, err := s.store.Begin(write)
	if err != nil {
		return nil, err
	}
	res, err := tx.Syscall(op, args)
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	writes := tx.Writes()
	ts, err := tx.Commit()
	if err != nil {
		return nil, err
	}
	if tx.IsWrite() {
		s.committed(ts, writes)
	}
	return res, nil
}

func (h *actionHost) Schedule(path string, args []byte, ts float64) (string, error) {
	if len(bytes.TrimSpace(args)) == 0 {
		args = []byte("{}")
	}
	if _, err := values.Decode(args); err != nil {
		return "", fmt.Errorf("invalid scheduled function arguments: %w", err)
	}
	res, err := h.s.writeSyscall("1.0/schedule", map[string]any{"name": path, "ts": ts, "args": json.RawMessage(args)})
	if err != nil {
		return "", err
	}
	var id string
	if err := json.Unmarshal(res, &id); err != nil {
		return "", fmt.Errorf("unexpected schedule result %s", res)
	}
	return id, nil
}

func (h *actionHost) CancelJob(id string) error {
	_, err := h.s.writeSyscall("1.0/cancel_job", map[string]any{"id": id})
	return err
}

func (h *actionHost) StoreBlob(data []byte, contentType string) (string, error) {
	id, err := h.s.store.PutBlob(bytes.NewReader(data), contentType)
	if err == nil {
		h.s.storeCommitted(store.StorageName)
	}
	return id, err
}

func (h *actionHost) GetBlob(id string) ([]byte, string, error) {
	rc, meta, err := h.s.store.GetBlob(id)
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, "", err
	}
	return b, meta.ContentType, nil
}

func (h *actionHost) GetURL(id string) (string, error) {
	return h.s.storageURL(id)
}

// Syscall serves storage syscalls from actions through a short transaction.
func (h *actionHost) Syscall(ctx context.Context, op string, args []byte) ([]byte, error) {
	switch op {
	case "1.0/storageGenerateUploadUrl":
		u, err := h.s.store.GenerateUploadURL()
		if err != nil {
			return nil, err
		}
		return json.Marshal(u)
	case "1.0/storageGetMetadata", "1.0/storageDelete", "1.0/storageGetUrl":
		return h.s.syscallTx(op == "1.0/storageDelete", op, args)
	case "1.0/actions/vectorSearch":
		// ctx.vectorSearch reads a snapshot of its own, like runQuery.
		return h.s.syscallTx(false, op, args)
	}
	return nil, fmt.Errorf("%s is not supported by this backend", op)
}
