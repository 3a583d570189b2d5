// Package snapshot exports a deployment's data as a ZIP file and imports
// data (JSON lines, JSON arrays, CSV, or such a ZIP) into it, with the
// durable request/progress records the CLI follows (_exports and
// _snapshot_imports).
package snapshot

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/convex-go/convex/backend/values"
	"github.com/convex-go/convex/internal/lazy"
)

// Format is an import file format, named as the CLI names it.
type Format string

const (
	FormatCSV       Format = "csv"
	FormatJSONLines Format = "jsonLines"
	FormatJSONArray Format = "jsonArray"
	FormatZIP       Format = "zip"
)

// ParseFormat accepts the CLI's names and common aliases.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "csv":
		return FormatCSV, nil
	case "jsonLines", "jsonl":
		return FormatJSONLines, nil
	case "jsonArray", "json":
		return FormatJSONArray, nil
	case "zip":
		return FormatZIP, nil
	}
	return "", fmt.Errorf("unknown import format %q: expected csv, jsonLines, jsonArray or zip", s)
}

// Table is the parsed content of one table.
type Table struct {
	Name   string
	Number uint32 // table number recorded in an export, 0 when unknown
	Docs   []map[string]values.Value
}

// StoredFile is one file of the _storage table in a ZIP.
type StoredFile struct {
	Doc  map[string]values.Value // _id, _creationTime, contentType
	Data []byte
}

// Parsed is a parsed import file.
type Parsed struct {
	Tables  []*Table
	Storage []StoredFile
	// HasStorage is true when the ZIP had a _storage table (maybe empty).
	HasStorage bool
}

// Rows counts the documents and files.
func (p *Parsed) Rows() int {
	n := len(p.Storage)
	for _, t := range p.Tables {
		n += len(t.Docs)
	}
	return n
}

// Parse reads an import file. table names the target table and is required
// for every format except zip, where it is not allowed.
func Parse(format Format, table string, data []byte) (*Parsed, error) {
	if format == FormatZIP {
		if table != "" {
			return nil, errors.New("a table name is not allowed when importing a ZIP file: the ZIP names its tables")
		}
		return parseZIP(data)
	}
	if table == "" {
		return nil, fmt.Errorf("a table name is required to import format %s", format)
	}
	var docs []map[string]values.Value
	var err error
	switch format {
	case FormatJSONLines:
		docs, err = parseJSONLines(data)
	case FormatJSONArray:
		docs, err = parseJSONArray(data)
	case FormatCSV:
		docs, err = parseCSV(data)
	default:
		return nil, fmt.Errorf("unknown import format %q", format)
	}
	if err != nil {
		return nil, err
	}
	return &Parsed{Tables: []*Table{{Name: table, Docs: docs}}}, nil
}

func stripBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) }

func parseJSONLines(data []byte) ([]map[string]values.Value, error) {
	docs := []map[string]values.Value{}
	sc := bufio.NewScanner(bytes.NewReader(stripBOM(data)))
	sc.Buffer(make([]byte, 0, 64<<10), 2*values.MaxDocumentSize+1024)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		doc, err := parseDocJSON(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		docs = append(docs, doc)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return docs, nil
}

func parseJSONArray(data []byte) ([]map[string]values.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(stripBOM(data)))
	dec.UseNumber()
	var raw []json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("the file is not a JSON array of objects: %v", err)
	}
	if dec.More() {
		return nil, errors.New("the file has data after the JSON array")
	}
	docs := make([]map[string]values.Value, 0, len(raw))
	for i, r := range raw {
		doc, err := parseDocJSON(r)
		if err != nil {
			return nil, fmt.Errorf("array element %d: %w", i+1, err)
		}
		docs = append(docs, doc)
	}
	return docs, nil
}

// parseDocJSON reads one document in export JSON ("clean lossless"): JSON
// integers are int64, other numbers float64, and objects whose key starts
// with "$" are encoded values ($integer, $float, $bytes).
func parseDocJSON(b []byte) (map[string]values.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("invalid JSON: more than one value")
	}
	obj, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected a JSON object, got %s", jsonKind(tree))
	}
	v, err := fromExportJSON(obj)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]values.Value)
	if !ok {
		return nil, fmt.Errorf("expected a document object, got %s", values.TypeName(v))
	}
	return doc, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "an object"
}

func fromExportJSON(v any) (values.Value, error) {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("integer %s does not fit in 64 bits", s)
			}
			return n, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid number %s", s)
		}
		return f, nil
	case []any:
		out := make([]values.Value, len(x))
		for i, e := range x {
			ev, err := fromExportJSON(e)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	case map[string]any:
		for k := range x {
			if strings.HasPrefix(k, "$") {
				if len(x) != 1 {
					return nil, fmt.Errorf("field %q: names starting with $ are reserved", k)
				}
				ev, err := values.FromJSON(x)
				if err != nil {
					return nil, err
				}
				return ev, nil
			}
		}
		out := make(map[string]values.Value, len(x))
		for k, e := range x {
			ev, err := fromExportJSON(e)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", k, err)
			}
			out[k] = ev
		}
		return out, nil
	}
	return v, nil
}

// parseCSV reads a header row and infers each cell as the CLI documents
// it: a cell that reads as a number is a float64, anything else (empty
// cells included) is a string.
func parseCSV(data []byte) ([]map[string]values.Value, error) {
	r := csv.NewReader(bytes.NewReader(stripBOM(data)))
	r.ReuseRecord = false
	header, err := r.Read()
	if err == io.EOF {
		return nil, errors.New("the CSV file is empty: it needs a header row")
	}
	if err != nil {
		return nil, csvError(err)
	}
	seen := map[string]bool{}
	for i, h := range header {
		if h == "" {
			return nil, fmt.Errorf("CSV header column %d is empty", i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("CSV header names column %q twice", h)
		}
		seen[h] = true
	}
	docs := []map[string]values.Value{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		doc := make(map[string]values.Value, len(rec))
		for i, cell := range rec {
			doc[header[i]] = inferCell(cell)
		}
		docs = append(docs, doc)
	}
	return docs, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("CSV line %d has a different number of fields than the header row", pe.Line)
		}
		return fmt.Errorf("CSV line %d: %v", pe.Line, pe.Err)
	}
	return fmt.Errorf("CSV: %w", err)
}

var csvNumberRE = lazy.Regexp(`^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$`)

func inferCell(s string) values.Value {
	if csvNumberRE.Get().MatchString(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			return f
		}
	}
	return s
}

var zipTableRE = lazy.Regexp(`^[a-zA-Z][a-zA-Z0-9_]*$`)

// parseZIP reads the layout export writes: <table>/documents.jsonl,
// _tables/documents.jsonl (table numbers), _storage/documents.jsonl and
// _storage/<id>[.ext]. README.md, generated_schema.jsonl files and
// directory entries are ignored; anything else is refused so that a ZIP of
// some other shape is not silently imported as nothing.
func parseZIP(data []byte) (*Parsed, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("the file is not a valid ZIP archive: %v", err)
	}
	p := &Parsed{}
	numbers := map[string]uint32{}
	byName := map[string]*Table{}
	var storageDocs []map[string]values.Value
	blobs := map[string]*zip.File{}
	for _, f := range zr.File {
		name := f.Name
		if strings.HasSuffix(name, "/") || name == "README.md" || strings.HasPrefix(name, "__MACOSX/") || path.Base(name) == ".DS_Store" {
			continue
		}
		dir, file := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case strings.HasPrefix(name, "_components/"):
			return nil, fmt.Errorf("%s: importing component data is not supported by this backend", name)
		case dir == "_tables" && file == "documents.jsonl":
			b, err := readZipFile(f)
			if err != nil {
				return nil, err
			}
			rows, err := parseJSONLines(b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for i, r := range rows {
				tn, _ := r["name"].(string)
				num, ok := r["id"].(int64)
				if tn == "" || !ok || num <= 0 || num > math.MaxUint32 {
					return nil, fmt.Errorf("%s: line %d: expected {\"name\": <table>, \"id\": <table number>}", name, i+1)
				}
				numbers[tn] = uint32(num)
			}
		case dir == "_storage" && file == "documents.jsonl":
			b, err := readZipFile(f)
			if err != nil {
				return nil, err
			}
			if storageDocs, err = parseJSONLines(b); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			p.HasStorage = true
		case dir == "_storage":
			id := file
			if i := strings.IndexByte(id, '.'); i >= 0 {
				id = id[:i]
			}
			blobs[id] = f
		case file == "generated_schema.jsonl":
		case file == "documents.jsonl" && !strings.Contains(dir, "/"):
			if !zipTableRE.Get().MatchString(dir) {
				return nil, fmt.Errorf("%s: %q is not a table name this backend can import into", name, dir)
			}
			b, err := readZipFile(f)
			if err != nil {
				return nil, err
			}
			docs, err := parseJSONLines(b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			t := &Table{Name: dir, Docs: docs}
			byName[dir] = t
			p.Tables = append(p.Tables, t)
		default:
			return nil, fmt.Errorf("%s: unexpected file in the ZIP; expected the layout of `npx convex export` (<table>/documents.jsonl)", name)
		}
	}
	for n, num := range numbers {
		if t := byName[n]; t != nil {
			t.Number = num
		}
	}
	for i, d := range storageDocs {
		id, _ := d["_id"].(string)
		f := blobs[id]
		if id == "" || f == nil {
			return nil, fmt.Errorf("_storage/documents.jsonl: line %d: no file _storage/%s in the ZIP", i+1, id)
		}
		b, err := readZipFile(f)
		if err != nil {
			return nil, err
		}
		p.Storage = append(p.Storage, StoredFile{Doc: d, Data: b})
	}
	if len(p.Tables) == 0 && !p.HasStorage {
		return nil, errors.New("the ZIP file contains no tables: expected <table>/documents.jsonl files as `npx convex export` writes them")
	}
	return p, nil
}

// maxZipEntry bounds one decompressed file, against ZIP bombs.
const maxZipEntry = 1 << 30

func readZipFile(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxZipEntry+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", f.Name, err)
	}
	if len(b) > maxZipEntry {
		return nil, fmt.Errorf("%s: the file is too large", f.Name)
	}
	return b, nil
}
