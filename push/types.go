package push

import (
	"encoding/json"

	"github.com/convex-go/convex/bundler"
	"github.com/convex-go/convex/codegen"
)

// ConfigHashes is the answer of POST /api/get_config_hashes.
type ConfigHashes struct {
	Config struct {
		Functions   string `json:"functions"`
		NodeVersion string `json:"nodeVersion,omitempty"`
	} `json:"config"`
	ModuleHashes []struct {
		Path        string              `json:"path"`
		Hash        string              `json:"hash"`
		Environment bundler.Environment `json:"environment"`
	} `json:"moduleHashes"`
	UDFServerVersion *string `json:"udfServerVersion"`
	NodeVersion      *string `json:"nodeVersion"`
}

// ModuleHash names a module the deployment already has.
type ModuleHash struct {
	Path        string              `json:"path"`
	Environment bundler.Environment `json:"environment"`
	SHA256      string              `json:"sha256"`
}

// AppDefinition is StartPushRequest.appDefinition.
type AppDefinition struct {
	Definition            *bundler.Module  `json:"definition"`
	Dependencies          []string         `json:"dependencies"`
	Schema                *bundler.Module  `json:"schema"`
	ChangedModules        []bundler.Module `json:"changedModules"`
	UnchangedModuleHashes []ModuleHash     `json:"unchangedModuleHashes"`
	UDFServerVersion      string           `json:"udfServerVersion"`
}

// ComponentDefinition is one entry of StartPushRequest.componentDefinitions.
type ComponentDefinition struct {
	DefinitionPath   string           `json:"definitionPath"`
	Definition       bundler.Module   `json:"definition"`
	Dependencies     []string         `json:"dependencies"`
	Schema           *bundler.Module  `json:"schema"`
	Functions        []bundler.Module `json:"functions"`
	UDFServerVersion string           `json:"udfServerVersion"`
}

// StartPushRequest is the body of start_push (and evaluate_push/_schema).
type StartPushRequest struct {
	AdminKey             string                   `json:"adminKey"`
	DryRun               bool                     `json:"dryRun"`
	Functions            string                   `json:"functions"`
	AppDefinition        AppDefinition            `json:"appDefinition"`
	ComponentDefinitions []ComponentDefinition    `json:"componentDefinitions"`
	NodeDependencies     []bundler.NodeDependency `json:"nodeDependencies"`
	NodeVersion          string                   `json:"nodeVersion,omitempty"`
	ForCodegen           bool                     `json:"forCodegen"`
}

// IndexConfig is one index in an index diff.
type IndexConfig struct {
	Name         string   `json:"name"`
	Type         string   `json:"type"` // database | search | vector
	Fields       []string `json:"fields,omitempty"`
	SearchField  string   `json:"searchField,omitempty"`
	VectorField  string   `json:"vectorField,omitempty"`
	Dimensions   int      `json:"dimensions,omitempty"`
	FilterFields []string `json:"filterFields,omitempty"`
	Staged       bool     `json:"staged,omitempty"`
}

// IndexDiff lists index changes of one component.
type IndexDiff struct {
	Added    []IndexConfig `json:"added_indexes"`
	Removed  []IndexConfig `json:"removed_indexes"`
	Enabled  []IndexConfig `json:"enabled_indexes"`
	Disabled []IndexConfig `json:"disabled_indexes"`
}

// StartPushResponse is the typed view of the start_push answer. Raw keeps
// the exact bytes, which finish_push must echo back.
type StartPushResponse struct {
	Raw                  json.RawMessage                       `json:"-"`
	EnvironmentVariables map[string]string                     `json:"environmentVariables"`
	Analysis             map[string]*codegen.ComponentAnalysis `json:"analysis"`
	SchemaChange         struct {
		IndexDiffs map[string]IndexDiff `json:"indexDiffs"`
		Raw        json.RawMessage      `json:"-"`
	} `json:"schemaChange"`
}

// SchemaStatus is the wait_for_schema answer.
type SchemaStatus struct {
	Type       string `json:"type"` // inProgress | failed | raceDetected | complete
	Components map[string]struct {
		SchemaValidationComplete bool `json:"schemaValidationComplete"`
		IndexesComplete          int  `json:"indexesComplete"`
		IndexesTotal             int  `json:"indexesTotal"`
	} `json:"components"`
	Error         string  `json:"error"`
	ComponentPath string  `json:"componentPath"`
	TableName     *string `json:"tableName"`
}

// FinishPushDiff is the finish_push answer.
type FinishPushDiff struct {
	Raw            json.RawMessage `json:"-"`
	ComponentDiffs map[string]struct {
		DiffType struct {
			Type string `json:"type"` // create | modify | unmount | remount
		} `json:"diffType"`
		IndexDiff *IndexDiff `json:"indexDiff"`
	} `json:"componentDiffs"`
}
