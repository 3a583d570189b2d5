package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/convex-go/convex/backend/store"
)

func (s *Server) storageURL(id string) (string, error) {
	if id == "" {
		return "", errors.New("empty storage id")
	}
	return s.store.StorageURL(id), nil
}

// handleStorageUpload accepts a file for an upload URL minted by
// storage.generateUploadUrl. Without a token an admin key is required.
func (s *Server) handleStorageUpload(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if token == "" {
		if _, err := s.requireAdmin(r, ""); err != nil {
			return err
		}
	} else if err := s.store.CheckUploadToken(token); err != nil {
		return errorf(http.StatusForbidden, "StorageTokenInvalid", "The upload URL is invalid or has expired; generate a new one.")
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return badRequest("BadRequestBody", "Could not read the uploaded file: %v", err)
	}
	if d := r.Header.Get("Digest"); d != "" {
		algo, want, _ := strings.Cut(d, "=")
		if strings.EqualFold(algo, "sha-256") {
			sum := sha256.Sum256(data)
			if base64.StdEncoding.EncodeToString(sum[:]) != want {
				return badRequest("StorageDigestMismatch", "The uploaded file's SHA-256 does not match the Digest header")
			}
		}
	}
	id, err := s.store.PutBlob(bytes.NewReader(data), r.Header.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("storing upload: %w", err)
	}
	s.storeCommitted(store.StorageName)
	writeJSON(w, http.StatusOK, map[string]string{"storageId": id})
	return nil
}

// handleStorageGet serves a stored file (single byte ranges included).
func (s *Server) handleStorageGet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	rc, meta, err := s.store.GetBlob(id)
	if err != nil {
		var ue *store.UserError
		if errors.Is(err, store.ErrNotFound) || errors.As(err, &ue) {
			return errorf(http.StatusNotFound, "FileNotFound", "File %s not found", id)
		}
		return err
	}
	defer rc.Close()
	if meta.ContentType != "" {
		w.Header().Set("Content-Type", meta.ContentType)
	}
	w.Header().Set("Cache-Control", "private, max-age=2592000")
	// Files on disk are served without reading them into memory.
	if rs, ok := rc.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", time.Time{}, rs)
		return nil
	}
	data, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	return nil
}
