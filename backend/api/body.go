package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/andybalholm/brotli"
)

// maxBody bounds request bodies; pushes can be large (spec §2.0: ≥100 MiB).
const maxBody = 128 << 20

// readBody returns the request body, decompressing a Brotli body (the
// CLI's push requests). Other content encodings are refused.
func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = http.MaxBytesReader(nil, r.Body, maxBody)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "br":
		rd = io.LimitReader(brotli.NewReader(rd), maxBody+1)
	default:
		return nil, badRequest("UnsupportedContentEncoding", "Unsupported Content-Encoding %q (use br or none)", enc)
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "RequestTooLarge", "Request body is larger than %d bytes", maxBody)
		}
		return nil, badRequest("BadRequestBody", "Could not read the request body: %v", err)
	}
	if len(b) > maxBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "RequestTooLarge", "Request body is larger than %d bytes", maxBody)
	}
	return b, nil
}

// decodeJSON reads the body into v. An empty body leaves v untouched when
// allowEmpty is set.
func decodeJSON(r *http.Request, v any, allowEmpty bool) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if allowEmpty {
			return nil
		}
		return badRequest("BadJsonBody", "Expected a JSON request body")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return badRequest("BadJsonBody", "Invalid JSON request body: %v", err)
	}
	return nil
}
