package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/convex-go/convex/backend/snapshot"
)

// Snapshot import and export (spec §2.7, §2.8) through backend/snapshot.

// snapshotError maps the manager's errors to protocol errors.
func snapshotError(err error) error {
	var re *snapshot.RequestError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		return badRequest("InvalidImport", "%s", re.Msg)
	case errors.Is(err, snapshot.ErrExportInProgress):
		return badRequest("ExportInProgress", "%s", err.Error())
	case errors.Is(err, snapshot.ErrNotFound):
		return errorf(http.StatusNotFound, "NotFound", "%s", err.Error())
	}
	return err
}

func (s *Server) handleStartUpload(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.requireAdmin(r, ""); err != nil {
		return err
	}
	token, err := s.snapshots.StartUpload()
	if err != nil {
		return snapshotError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"uploadToken": token})
	return nil
}

func (s *Server) handleUploadPart(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.requireAdmin(r, ""); err != nil {
		return err
	}
	q := r.URL.Query()
	part, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil || part < 1 || part > 9999 {
		return badRequest("InvalidPartNumber", "partNumber must be a number from 1 to 9999, got %q", q.Get("partNumber"))
	}
	token, err := s.snapshots.UploadPart(q.Get("uploadToken"), part, http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return snapshotError(err)
	}
	writeJSON(w, http.StatusOK, token)
	return nil
}

func (s *Server) handleFinishUpload(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.requireAdmin(r, ""); err != nil {
		return err
	}
	var req struct {
		Import      snapshot.ImportArgs `json:"import"`
		UploadToken string              `json:"uploadToken"`
		PartTokens  []string            `json:"partTokens"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	if req.Import.ComponentPath != "" {
		return badRequest("ComponentsUnsupported", "Components are not supported by this backend")
	}
	id, err := s.snapshots.FinishUpload(req.UploadToken, req.Import, req.PartTokens)
	if err != nil {
		return snapshotError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"importId": id})
	return nil
}

func (s *Server) handleImportID(do func(id string) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := s.requireAdmin(r, ""); err != nil {
			return err
		}
		var req struct {
			ImportID string `json:"importId"`
		}
		if err := decodeJSON(r, &req, false); err != nil {
			return err
		}
		if err := do(req.ImportID); err != nil {
			return snapshotError(err)
		}
		writeJSON(w, http.StatusOK, map[string]any{})
		return nil
	}
}

// handleImportNow is the one-shot POST /api/import?tableName=&format=&mode=.
func (s *Server) handleImportNow(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.requireAdmin(r, ""); err != nil {
		return err
	}
	q := r.URL.Query()
	if q.Get("componentPath") != "" {
		return badRequest("ComponentsUnsupported", "Components are not supported by this backend")
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	n, err := s.snapshots.ImportNow(snapshot.ImportArgs{TableName: q.Get("tableName"), Mode: q.Get("mode"), Format: q.Get("format")}, data)
	if err != nil {
		return snapshotError(err)
	}
	writeJSON(w, http.StatusOK, map[string]int{"numWritten": n})
	return nil
}

func (s *Server) handleRequestExport(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.requireAdmin(r, ""); err != nil {
		return err
	}
	include := r.URL.Query().Get("includeStorage")
	if include != "" && include != "true" && include != "false" {
		return badRequest("InvalidRequest", "includeStorage must be true or false, got %q", include)
	}
	if _, err := s.snapshots.RequestExport(include == "true"); err != nil {
		return snapshotError(err)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) handleDownloadExport(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.requireAdmin(r, ""); err != nil {
		return err
	}
	f, err := s.snapshots.OpenExport(r.PathValue("id"))
	if err != nil {
		return snapshotError(err)
	}
	file, err := os.Open(f.Path)
	if err != nil {
		return fmt.Errorf("opening export: %w", err)
	}
	defer file.Close()
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", "attachment; filename="+f.Filename)
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	h.Set("Cache-Control", "private, max-age=2592000")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, file)
	return nil
}

// notifySnapshot reports a changed import/export record to subscriptions.
func (s *Server) notifySnapshot(table string) { s.storeCommitted(table) }
