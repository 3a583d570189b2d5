package api

import (
	"errors"

	"github.com/convex-go/convex/backend/store"
)

// indexDiff is the IndexDiff of the push protocol.
type indexDiff = store.SchemaDiff

// indexDiff computes how schema (nil = no schema) changes the indexes.
func (s *Server) indexDiff(schema []byte) (indexDiff, error) {
	d, err := s.store.PrepareSchema(schema)
	if err != nil {
		return d, err
	}
	// The CLI requires arrays, never null.
	for _, p := range []*[]store.IndexConfig{&d.Added, &d.Removed, &d.Enabled, &d.Disabled} {
		if *p == nil {
			*p = []store.IndexConfig{}
		}
	}
	return d, nil
}

// failedTable names the table a schema failure is about, if any.
func failedTable(err error) *string {
	var se *store.SchemaError
	if errors.As(err, &se) && se.Table != "" {
		t := se.Table
		return &t
	}
	return nil
}
