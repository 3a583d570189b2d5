package codegen

import (
	"fmt"
	"strconv"
	"strings"
)

// header starts every generated file: a lint opt-out and a short note
// saying what the file is and that it is rewritten by `convex dev`.
func header(what string) string {
	return "/* eslint-disable */\n" +
		"/**\n" +
		" * " + what + "\n" +
		" *\n" +
		" * THIS CODE IS AUTOMATICALLY GENERATED.\n" +
		" *\n" +
		" * To regenerate, run `npx convex dev`.\n" +
		" * @module\n" +
		" */\n\n"
}

const apiDoc = `/**
 * References to the functions of this app, for useQuery, useMutation,
 * ctx.runQuery and friends. Example: ` + "`api.messages.list`" + `.
 */
`

const internalDoc = `/**
 * References to the internal functions of this app (callable only from
 * other functions, the scheduler and crons). Example: ` + "`internal.messages.cleanup`" + `.
 */
`

// apiJS is api.js: runtime proxies that turn property paths into function names.
func apiJS() string {
	return header("Generated `api` utility.") +
		`import { anyApi, componentsGeneric } from "convex/server";

` + apiDoc + `export const api = anyApi;
` + internalDoc + `export const internal = anyApi;
/** References to the mounted child components. */
export const components = componentsGeneric();
`
}

// apiCJS is api_cjs.cjs: the same proxies for CommonJS consumers.
func apiCJS() string {
	return header("Generated `api` utility.") +
		`const { anyApi } = require("convex/server");
module.exports = {
  api: anyApi,
  internal: anyApi,
};
`
}

// apiStubDTS is the untyped api.d.ts used until the first push succeeds.
func apiStubDTS() string {
	return header("Generated `api` utility.") +
		`import type { AnyApi, AnyComponents } from "convex/server";

export declare const api: AnyApi;
export declare const internal: AnyApi;
export declare const components: AnyComponents;
`
}

// apiStubTS is the untyped api.ts for `codegen.fileType: "ts"`.
func apiStubTS() string {
	return header("Generated `api` utility.") +
		`import type { AnyApi, AnyComponents } from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

export const api: AnyApi = anyApi;
export const internal: AnyApi = anyApi;
export const components: AnyComponents = componentsGeneric();
`
}

// ChildComponent is a mounted component as codegen needs it.
type ChildComponent struct {
	Name string // mount name, e.g. "ratelimiter"
	// ImportPath is the directory whose _generated/component.js describes
	// the component: a package specifier or "../<path>".
	ImportPath string
}

func moduleImports(modulePaths []string) string {
	var b strings.Builder
	for _, p := range modulePaths {
		fmt.Fprintf(&b, "import type * as %s from \"../%s.js\";\n", moduleIdentifier(p), importPath(p))
	}
	return b.String()
}

func fullAPIMembers(modulePaths []string) string {
	var b strings.Builder
	for _, p := range modulePaths {
		fmt.Fprintf(&b, "  %s: typeof %s;\n", propertyKey(importPath(p)), moduleIdentifier(p))
	}
	return b.String()
}

func componentMembers(children []ChildComponent) string {
	var b strings.Builder
	for _, c := range children {
		fmt.Fprintf(&b, "  %s: import(\"%s/_generated/component.js\").ComponentApi<%q>;\n", propertyKey(c.Name), c.ImportPath, c.Name)
	}
	return b.String()
}

// apiDTS is the typed api.d.ts: the function references are derived by
// TypeScript from the modules' own exports.
func apiDTS(modulePaths []string, children []ChildComponent) string {
	return header("Generated `api` utility.") +
		moduleImports(modulePaths) + `
import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";

declare const fullApi: ApiFromModules<{
` + fullAPIMembers(modulePaths) + `}>;

` + apiDoc + `export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;

` + internalDoc + `export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;

export declare const components: ` + componentsType(children) + `;
`
}

// componentsType is the type of the components object: "{}" without
// children, one member per mounted component otherwise.
func componentsType(children []ChildComponent) string {
	if len(children) == 0 {
		return "{}"
	}
	return "{\n" + componentMembers(children) + "}"
}

// propertyKey writes an object key bare when it is an identifier and
// quoted otherwise ("dir/file").
func propertyKey(k string) string {
	ok := k != ""
	for i, r := range k {
		if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			ok = false
		}
	}
	if ok {
		return k
	}
	return strconv.Quote(k)
}

// apiTS is the typed api.ts for `codegen.fileType: "ts"`.
func apiTS(modulePaths []string, children []ChildComponent) string {
	return header("Generated `api` utility.") +
		moduleImports(modulePaths) + `
import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

const fullApi: ApiFromModules<{
` + fullAPIMembers(modulePaths) + `}> = anyApi as any;

` + apiDoc + `export const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
> = anyApi as any;

` + internalDoc + `export const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
> = anyApi as any;

export const components = componentsGeneric() as unknown as ` + componentsType(children) + `;
`
}

const idDoc = `/**
 * The id of a document: a string at runtime, typed by table so ids of
 * different tables cannot be mixed up. Every document carries its own in
 * ` + "`_id`" + `; see https://docs.convex.dev/using/document-ids.
 */
`

// dataModelNoSchema is dataModel.d.ts (or .ts) when there is no schema file.
func dataModelNoSchema() string {
	return header("Generated data model types.") +
		`import type { AnyDataModel } from "convex/server";
import type { GenericId } from "convex/values";

/**
 * There is no ` + "`schema.ts`" + ` in this functions directory, so every table
 * name and document type is permissive (` + "`Doc = any`" + `). Add a schema
 * (https://docs.convex.dev/using/schemas) and run ` + "`npx convex dev`" + ` to get
 * precise types.
 */

/** The name of any table. */
export type TableNames = string;

/** A document of any table. */
export type Doc = any;

` + idDoc + `export type Id<TableName extends TableNames = TableNames> =
  GenericId<TableName>;

/**
 * The data model of this app: tables, document types and indexes. It
 * parameterizes builders such as ` + "`queryGeneric`" + ` and ` + "`mutationGeneric`" + `.
 */
export type DataModel = AnyDataModel;
`
}

// dataModelFromSchema is dataModel.d.ts (or .ts) derived from schema.ts by
// TypeScript itself.
func dataModelFromSchema() string {
	return header("Generated data model types.") +
		`import type {
  DataModelFromSchemaDefinition,
  DocumentByName,
  TableNamesInDataModel,
  SystemTableNames,
} from "convex/server";
import type { GenericId } from "convex/values";
import schema from "../schema.js";

/** The names of the tables declared in the schema. */
export type TableNames = TableNamesInDataModel<DataModel>;

/**
 * A document of one table, including its system fields.
 *
 * @typeParam TableName - the table, as a string literal type such as "users".
 */
export type Doc<TableName extends TableNames> = DocumentByName<
  DataModel,
  TableName
>;

` + idDoc + `export type Id<TableName extends TableNames | SystemTableNames> =
  GenericId<TableName>;

/**
 * The data model of this app: tables, document types and indexes, derived
 * from the schema. It parameterizes builders such as ` + "`queryGeneric`" + `.
 */
export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
`
}

// builder describes one exported function builder of server.*.
type builder struct {
	name, generic, typ, doc string
}

var builders = []builder{
	{"query", "queryGeneric", `QueryBuilder<DataModel, "public">`,
		"A query in the public API: reads the database, callable from clients. Its handler receives a {@link QueryCtx}."},
	{"internalQuery", "internalQueryGeneric", `QueryBuilder<DataModel, "internal">`,
		"A query callable only from other functions, never from clients. Its handler receives a {@link QueryCtx}."},
	{"mutation", "mutationGeneric", `MutationBuilder<DataModel, "public">`,
		"A mutation in the public API: reads and writes the database in one transaction. Its handler receives a {@link MutationCtx}."},
	{"internalMutation", "internalMutationGeneric", `MutationBuilder<DataModel, "internal">`,
		"A mutation callable only from other functions, never from clients. Its handler receives a {@link MutationCtx}."},
	{"action", "actionGeneric", `ActionBuilder<DataModel, "public">`,
		"An action in the public API: may call third-party services and reaches the database through queries and mutations. Its handler receives an {@link ActionCtx}."},
	{"internalAction", "internalActionGeneric", `ActionBuilder<DataModel, "internal">`,
		"An action callable only from other functions, never from clients. Its handler receives an {@link ActionCtx}."},
	{"httpAction", "httpActionGeneric", `HttpActionBuilder`,
		"An HTTP endpoint handler; route it in `convex/http.js`. It receives an {@link ActionCtx} and the Fetch API `Request`."},
}

type ctxType struct{ name, generic, doc string }

var ctxTypes = []ctxType{
	{"QueryCtx", "GenericQueryCtx", "What a query handler receives: read-only database access, auth and storage readers."},
	{"MutationCtx", "GenericMutationCtx", "What a mutation handler receives: database reads and writes, auth, storage and the scheduler."},
	{"ActionCtx", "GenericActionCtx", "What an action handler receives: runQuery, runMutation, runAction, auth, storage and the scheduler."},
	{"DatabaseReader", "GenericDatabaseReader", "Read access to the database: `get` one document by id or `query` a table."},
	{"DatabaseWriter", "GenericDatabaseWriter", "Read and write access to the database; all writes of one mutation commit atomically."},
}

// EnvVar is a typed environment variable declared by the app.
type EnvVar struct {
	Name     string
	TSType   string
	Optional bool
}

// platformEnvVars are set on every deployment.
var platformEnvVars = []EnvVar{{Name: "CONVEX_CLOUD_URL", TSType: "string"}, {Name: "CONVEX_SITE_URL", TSType: "string"}}

const envDoc = "/** Environment variables of the deployment, typed where they are declared. */\n"

func envInterface(vars []EnvVar) string {
	var b strings.Builder
	b.WriteString(envDoc)
	b.WriteString("type Env = {\n")
	for _, v := range append(append([]EnvVar{}, platformEnvVars...), vars...) {
		t := v.TSType
		if v.Optional {
			t += " | undefined"
		}
		fmt.Fprintf(&b, "  readonly %s: %s;\n", v.Name, t)
	}
	b.WriteString("};\n\n")
	return b.String()
}

func doc(s string) string { return "/** " + s + " */\n" }

const serverTypeImports = `  ActionBuilder,
  HttpActionBuilder,
  MutationBuilder,
  QueryBuilder,
  GenericActionCtx,
  GenericMutationCtx,
  GenericQueryCtx,
  GenericDatabaseReader,
  GenericDatabaseWriter,
`

func serverValueImports() string {
	var b strings.Builder
	b.WriteString("import {\n")
	for _, f := range builders {
		b.WriteString("  " + f.generic + ",\n")
	}
	b.WriteString("} from \"convex/server\";\n")
	return b.String()
}

func ctxTypeDecls() string {
	var b strings.Builder
	for _, c := range ctxTypes {
		b.WriteString("\n" + doc(c.doc))
		fmt.Fprintf(&b, "export type %s = %s<DataModel>;\n", c.name, c.generic)
	}
	return b.String()
}

// serverDTS is server.d.ts. typed is false before the first analysis, when
// the declared environment variables are not known yet.
func serverDTS(typed bool, vars []EnvVar) string {
	var b strings.Builder
	b.WriteString(header("Generated utilities for implementing server-side Convex query and mutation functions."))
	b.WriteString("import {\n" + serverTypeImports + "} from \"convex/server\";\n")
	b.WriteString("import type { DataModel } from \"./dataModel.js\";\n\n")
	if typed {
		b.WriteString(envInterface(vars))
	}
	for _, f := range builders {
		b.WriteString(doc(f.doc))
		fmt.Fprintf(&b, "export declare const %s: %s;\n\n", f.name, f.typ)
	}
	if typed {
		b.WriteString(envDoc + "export declare const env: Env;\n")
	} else {
		b.WriteString("export declare const env: Record<string, string | undefined>;\n")
	}
	b.WriteString(ctxTypeDecls())
	return b.String()
}

// serverJS is server.js.
func serverJS() string {
	var b strings.Builder
	b.WriteString(header("Generated utilities for implementing server-side Convex query and mutation functions."))
	b.WriteString(serverValueImports() + "\n")
	for _, f := range builders {
		b.WriteString(doc(f.doc))
		fmt.Fprintf(&b, "export const %s = %s;\n\n", f.name, f.generic)
	}
	b.WriteString(envDoc + "export const env = process.env;\n")
	return b.String()
}

// serverTS is server.ts for `codegen.fileType: "ts"`.
func serverTS(typed bool, vars []EnvVar) string {
	var b strings.Builder
	b.WriteString(header("Generated utilities for implementing server-side Convex query and mutation functions."))
	b.WriteString(serverValueImports())
	b.WriteString("import type {\n" + serverTypeImports + "} from \"convex/server\";\n")
	b.WriteString("import type { DataModel } from \"./dataModel.js\";\n\n")
	if typed {
		b.WriteString(envInterface(vars))
	}
	for _, f := range builders {
		b.WriteString(doc(f.doc))
		fmt.Fprintf(&b, "export const %s: %s = %s;\n\n", f.name, f.typ, f.generic)
	}
	// Read process.env through globalThis so projects without @types/node
	// still type-check.
	if typed {
		b.WriteString(envDoc + "export const env: Env = (globalThis as unknown as { process: { env: Env } }).process.env;\n")
	} else {
		b.WriteString("export const env: Record<string, string | undefined> = (\n" +
			"  globalThis as unknown as { process: { env: Record<string, string | undefined> } }\n" +
			").process.env;\n")
	}
	b.WriteString(ctxTypeDecls())
	return b.String()
}

func tsconfigJSON() string {
	return `{
  /* The TypeScript settings Convex functions are checked with. You may
   * change the first group; the second group is what the Convex runtime
   * needs.
   */
  "compilerOptions": {
    /* Free to change. */
    "allowJs": true,
    "strict": true,
    "moduleResolution": "Bundler",
    "jsx": "react-jsx",
    "skipLibCheck": true,
    "allowSyntheticDefaultImports": true,

    /* Required by Convex. */
    "target": "ESNext",
    "lib": ["ES2023", "dom"],
    "forceConsistentCasingInFileNames": true,
    "module": "ESNext",
    "isolatedModules": true,
    "noEmit": true
  },
  "include": ["./**/*"],
  "exclude": ["./_generated"]
}
`
}

func readmeMD() string {
	return "# Welcome to your Convex functions directory!\n\n" +
		"The files here define your backend: queries read data, mutations change\n" +
		"it, actions talk to the outside world. Guides: https://docs.convex.dev/functions\n\n" +
		"A query with a validated argument:\n\n" +
		"```ts\n" +
		"// convex/myFunctions.ts\n" +
		"import { query } from \"./_generated/server\";\n" +
		"import { v } from \"convex/values\";\n\n" +
		"export const listRecent = query({\n" +
		"  args: { limit: v.number() },\n" +
		"  handler: async (ctx, args) => {\n" +
		"    const docs = await ctx.db.query(\"messages\").order(\"desc\").take(args.limit);\n" +
		"    return docs;\n" +
		"  },\n" +
		"});\n" +
		"```\n\n" +
		"Call it from React:\n\n" +
		"```ts\n" +
		"const recent = useQuery(api.myFunctions.listRecent, { limit: 10 });\n" +
		"```\n\n" +
		"A mutation that inserts a document:\n\n" +
		"```ts\n" +
		"import { mutation } from \"./_generated/server\";\n" +
		"import { v } from \"convex/values\";\n\n" +
		"export const send = mutation({\n" +
		"  args: { body: v.string() },\n" +
		"  handler: async (ctx, args) => {\n" +
		"    return await ctx.db.insert(\"messages\", { body: args.body });\n" +
		"  },\n" +
		"});\n" +
		"```\n\n" +
		"Run `npx convex dev` while you edit: it pushes your functions and keeps\n" +
		"`convex/_generated` up to date. `npx convex -h` lists every command and\n" +
		"https://docs.convex.dev has the rest.\n"
}
