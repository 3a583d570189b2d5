/* eslint-disable */
/**
 * Generated data model types.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
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

/**
 * The id of a document: a string at runtime, typed by table so ids of
 * different tables cannot be mixed up. Every document carries its own in
 * `_id`; see https://docs.convex.dev/using/document-ids.
 */
export type Id<TableName extends TableNames | SystemTableNames> =
  GenericId<TableName>;

/**
 * The data model of this app: tables, document types and indexes, derived
 * from the schema. It parameterizes builders such as `queryGeneric`.
 */
export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
