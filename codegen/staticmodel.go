package codegen

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// analyzedSchema is the schema as the deployment (or the runtime) analysed
// it: analysis[...].schema of start_push.
type analyzedSchema struct {
	Tables []struct {
		TableName string `json:"tableName"`
		Indexes   []struct {
			IndexDescriptor string   `json:"indexDescriptor"`
			Fields          []string `json:"fields"`
		} `json:"indexes"`
		SearchIndexes []struct {
			IndexDescriptor string   `json:"indexDescriptor"`
			SearchField     string   `json:"searchField"`
			FilterFields    []string `json:"filterFields"`
		} `json:"searchIndexes"`
		VectorIndexes []struct {
			IndexDescriptor string   `json:"indexDescriptor"`
			VectorField     string   `json:"vectorField"`
			FilterFields    []string `json:"filterFields"`
		} `json:"vectorIndexes"`
		DocumentType json.RawMessage `json:"documentType"`
	} `json:"tables"`
	SchemaValidation bool `json:"schemaValidation"`
}

// withSystemFields adds _id and _creationTime to a table's document type
// (each member of a union of objects).
func withSystemFields(table string, doc Validator) (Validator, error) {
	switch doc.Type {
	case "any":
		return doc, nil
	case "union":
		var members []Validator
		if err := json.Unmarshal(doc.Value, &members); err != nil {
			return doc, err
		}
		for i, m := range members {
			var err error
			if members[i], err = addSystemFieldsTo(table, m); err != nil {
				return doc, err
			}
		}
		raw, _ := json.Marshal(members)
		return Validator{Type: "union", Value: raw}, nil
	case "object":
		return addSystemFieldsTo(table, doc)
	}
	return doc, fmt.Errorf("Invalid top-level validator for %s.", table)
}

func addSystemFieldsTo(table string, v Validator) (Validator, error) {
	if v.Type != "object" {
		return v, fmt.Errorf("System fields can only be added to objects.")
	}
	fields, err := orderedFields(v.Value)
	if err != nil {
		return v, err
	}
	var b strings.Builder
	b.WriteString("{")
	for i, f := range fields {
		if f.name == "_id" || f.name == "_creationTime" {
			return v, fmt.Errorf("System field %s present in table %s.", f.name, table)
		}
		if i > 0 {
			b.WriteString(",")
		}
		k, _ := json.Marshal(f.name)
		fv, _ := json.Marshal(f.v)
		b.Write(k)
		b.WriteString(":")
		b.Write(fv)
	}
	if len(fields) > 0 {
		b.WriteString(",")
	}
	tn, _ := json.Marshal(table)
	b.WriteString(`"_id":{"fieldType":{"type":"id","tableName":` + string(tn) + `},"optional":false},"_creationTime":{"fieldType":{"type":"number"},"optional":false}}`)
	return Validator{Type: "object", Value: json.RawMessage(b.String())}, nil
}

// fieldPaths lists the dotted paths an index or filter may name.
func fieldPaths(v Validator) [][]string {
	switch v.Type {
	case "object":
		fields, err := orderedFields(v.Value)
		if err != nil {
			return nil
		}
		var out [][]string
		for _, f := range fields {
			out = append(out, []string{f.name})
			for _, sub := range fieldPaths(f.v.FieldType) {
				if len(sub) > 0 {
					out = append(out, append([]string{f.name}, sub...))
				}
			}
		}
		return out
	case "union":
		var members []Validator
		json.Unmarshal(v.Value, &members)
		var out [][]string
		for _, m := range members {
			out = append(out, fieldPaths(m)...)
		}
		return out
	case "record":
		return [][]string{{"${string}"}}
	}
	return [][]string{{}}
}

func stringLiteralUnion(fields []string) string {
	if len(fields) == 0 {
		return "never"
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		if strings.Contains(f, "${") {
			parts[i] = "`" + f + "`"
		} else {
			parts[i] = strconv.Quote(f)
		}
	}
	return strings.Join(parts, " | ")
}

// staticDataModel is dataModel.d.ts (or .ts) written from the analysed
// schema (convex.json codegen.staticDataModel): explicit document types,
// field paths and indexes instead of types inferred from schema.ts.
func staticDataModel(schemaJSON json.RawMessage) (string, error) {
	var s analyzedSchema
	if err := json.Unmarshal(schemaJSON, &s); err != nil {
		return "", fmt.Errorf("unexpected schema in the analysis: %w", err)
	}
	sort.Slice(s.Tables, func(i, j int) bool { return s.Tables[i].TableName < s.Tables[j].TableName })
	var b strings.Builder
	b.WriteString(header("Generated data model types."))
	b.WriteString("import type {\n  DocumentByName,\n  TableNamesInDataModel,\n  SystemTableNames,\n  AnyDataModel,\n} from \"convex/server\";\n")
	b.WriteString("import type { GenericId } from \"convex/values\";\n\n")
	b.WriteString("/**\n * The data model of this app: tables, document types and indexes, as the\n * schema declares them. It parameterizes builders such as `queryGeneric`.\n */\n")
	b.WriteString("export type DataModel = {\n")
	for _, t := range s.Tables {
		var doc Validator
		if err := json.Unmarshal(t.DocumentType, &doc); err != nil {
			return "", fmt.Errorf("table %s: %w", t.TableName, err)
		}
		doc, err := withSystemFields(t.TableName, doc)
		if err != nil {
			return "", err
		}
		seen := map[string]bool{}
		var paths []string
		for _, p := range fieldPaths(doc) {
			j := strings.Join(p, ".")
			if !seen[j] {
				seen[j] = true
				paths = append(paths, j)
			}
		}
		sort.Strings(paths)
		fmt.Fprintf(&b, "  %s: {\n", propertyKey(t.TableName))
		fmt.Fprintf(&b, "    document: %s;\n", doc.tsType(true))
		fmt.Fprintf(&b, "    fieldPaths: %s;\n", stringLiteralUnion(paths))
		b.WriteString("    indexes: {\n")
		b.WriteString("      by_id: [\"_id\"];\n      by_creation_time: [\"_creationTime\"];\n")
		for _, ix := range t.Indexes {
			if ix.IndexDescriptor == "by_id" || ix.IndexDescriptor == "by_creation_time" {
				return "", fmt.Errorf("Duplicate index name %s in table %s.", ix.IndexDescriptor, t.TableName)
			}
			fields, _ := json.Marshal(ix.Fields)
			fmt.Fprintf(&b, "      %s: %s;\n", strconv.Quote(ix.IndexDescriptor), fields)
		}
		b.WriteString("    };\n    searchIndexes: {\n")
		for _, ix := range t.SearchIndexes {
			fmt.Fprintf(&b, "      %s: {\n        searchField: %q;\n        filterFields: %s;\n      };\n", strconv.Quote(ix.IndexDescriptor), ix.SearchField, stringLiteralUnion(ix.FilterFields))
		}
		b.WriteString("    };\n    vectorIndexes: {\n")
		for _, ix := range t.VectorIndexes {
			fmt.Fprintf(&b, "      %s: {\n        vectorField: %q;\n        dimensions: number;\n        filterFields: %s;\n      };\n", strconv.Quote(ix.IndexDescriptor), ix.VectorField, stringLiteralUnion(ix.FilterFields))
		}
		b.WriteString("    };\n  };\n")
	}
	b.WriteString("}")
	if !s.SchemaValidation {
		b.WriteString(" & AnyDataModel")
	}
	b.WriteString(";\n\n")
	b.WriteString("/** The names of the tables declared in the schema. */\nexport type TableNames = TableNamesInDataModel<DataModel>;\n\n")
	b.WriteString("/**\n * A document of one table, including its system fields.\n *\n * @typeParam TableName - the table, as a string literal type such as \"users\".\n */\n")
	b.WriteString("export type Doc<TableName extends TableNames> = DocumentByName<\n  DataModel,\n  TableName\n>;\n\n")
	b.WriteString(idDoc + "export type Id<TableName extends TableNames | SystemTableNames> =\n  GenericId<TableName>;\n")
	return b.String(), nil
}
