package snapshot

import (
	"archive/zip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"sort"

	"github.com/convex-go/convex/backend/store"
	"github.com/convex-go/convex/backend/values"
)

const readme = `# Convex snapshot export

This archive holds the documents of a Convex deployment at one point in time.

- ` + "`_tables/documents.jsonl`" + `: one line per table, its name and table number.
- ` + "`<table>/documents.jsonl`" + `: the table's documents, one JSON object per line.
  64-bit integers are JSON integers, floating-point numbers always have a
  decimal point, and bytes are written as {"$bytes": "<base64>"}.
- ` + "`<table>/generated_schema.jsonl`" + `: a description of the table's values.
- ` + "`_storage/`" + ` (only when files were included): documents.jsonl with one line
  per stored file, and the files themselves named by storage id.

Restore it with ` + "`npx convex import <this file>.zip`" + `.
`

// WriteZIP writes every user table (and, with includeStorage, the stored
// files) read in tx as a snapshot ZIP. It returns the number of documents
// written.
func WriteZIP(tx *store.Tx, w io.Writer, includeStorage bool) (int, error) {
	zw := zip.NewWriter(w)
	if err := writeEntry(zw, "README.md", []byte(readme)); err != nil {
		return 0, err
	}
	tables, err := tx.SnapshotTables()
	if err != nil {
		return 0, err
	}
	var user []store.TableInfo
	for _, t := range tables {
		if !t.System {
			user = append(user, t)
		}
	}
	sort.Slice(user, func(i, j int) bool { return user[i].Name < user[j].Name })
	tw, err := zw.Create("_tables/documents.jsonl")
	if err != nil {
		return 0, err
	}
	enc := newLineEncoder(tw)
	for _, t := range user {
		if err := enc.Encode(map[string]any{"name": t.Name, "id": t.Number}); err != nil {
			return 0, err
		}
	}
	total := 0
	for _, t := range user {
		dw, err := zw.Create(t.Name + "/documents.jsonl")
		if err != nil {
			return 0, err
		}
		enc := newLineEncoder(dw)
		err = tx.SnapshotScan(t.Name, func(doc store.Document) error {
			total++
			return enc.Encode(values.LosslessJSON(doc))
		})
		if err != nil {
			return 0, fmt.Errorf("export table %s: %w", t.Name, err)
		}
		if err := writeEntry(zw, t.Name+"/generated_schema.jsonl", []byte("\"uniform\"\n")); err != nil {
			return 0, err
		}
	}
	if includeStorage {
		n, err := writeStorage(tx, zw)
		if err != nil {
			return 0, err
		}
		total += n
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return total, nil
}

func writeStorage(tx *store.Tx, zw *zip.Writer) (int, error) {
	type file struct {
		name string
		id   string
	}
	var files []file
	sw, err := zw.Create("_storage/documents.jsonl")
	if err != nil {
		return 0, err
	}
	enc := newLineEncoder(sw)
	err = tx.SnapshotScan(store.StorageName, func(doc store.Document) error {
		id, _ := doc["_id"].(string)
		_, internal, err := values.DecodeID(id)
		if err != nil {
			return fmt.Errorf("stored file %q: %w", id, err)
		}
		line := map[string]any{
			"_id":           id,
			"_creationTime": values.LosslessJSON(doc["_creationTime"]),
			"sha256":        doc["sha256"],
			"internalId":    hex.EncodeToString(internal[:]),
		}
		if size, ok := doc["size"].(float64); ok {
			line["size"] = int64(size)
		}
		ct, _ := doc["contentType"].(string)
		if ct != "" {
			line["contentType"] = ct
		}
		files = append(files, file{name: "_storage/" + id + extensionFor(ct), id: id})
		return enc.Encode(line)
	})
	if err != nil {
		return 0, fmt.Errorf("export stored files: %w", err)
	}
	for _, f := range files {
		data, err := tx.SnapshotBlob(f.id)
		if err != nil {
			return 0, fmt.Errorf("export stored file %s: %w", f.id, err)
		}
		if err := writeEntry(zw, f.name, data); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}

// extensionFor guesses a file extension from a content type, for the
// convenience of whoever unpacks the archive.
func extensionFor(contentType string) string {
	if contentType == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	known := map[string]string{
		"text/plain": ".txt", "application/json": ".json", "image/png": ".png", "image/jpeg": ".jpg",
		"image/gif": ".gif", "image/webp": ".webp", "image/svg+xml": ".svg", "application/pdf": ".pdf",
		"text/html": ".html", "text/csv": ".csv", "audio/mpeg": ".mp3", "video/mp4": ".mp4",
		"application/zip": ".zip", "application/octet-stream": "",
	}
	if ext, ok := known[mt]; ok {
		return ext
	}
	if exts, err := mime.ExtensionsByType(mt); err == nil && len(exts) > 0 {
		return exts[0]
	}
	return ""
}

func writeEntry(zw *zip.Writer, name string, data []byte) error {
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func newLineEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}
