/* eslint-disable */
/**
 * Generated utilities for implementing server-side Convex query and mutation functions.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import {
  ActionBuilder,
  HttpActionBuilder,
  MutationBuilder,
  QueryBuilder,
  GenericActionCtx,
  GenericMutationCtx,
  GenericQueryCtx,
  GenericDatabaseReader,
  GenericDatabaseWriter,
} from "convex/server";
import type { DataModel } from "./dataModel.js";

/** Environment variables of the deployment, typed where they are declared. */
type Env = {
  readonly CONVEX_CLOUD_URL: string;
  readonly CONVEX_SITE_URL: string;
};

/** A query in the public API: reads the database, callable from clients. Its handler receives a {@link QueryCtx}. */
export declare const query: QueryBuilder<DataModel, "public">;

/** A query callable only from other functions, never from clients. Its handler receives a {@link QueryCtx}. */
export declare const internalQuery: QueryBuilder<DataModel, "internal">;

/** A mutation in the public API: reads and writes the database in one transaction. Its handler receives a {@link MutationCtx}. */
export declare const mutation: MutationBuilder<DataModel, "public">;

/** A mutation callable only from other functions, never from clients. Its handler receives a {@link MutationCtx}. */
export declare const internalMutation: MutationBuilder<DataModel, "internal">;

/** An action in the public API: may call third-party services and reaches the database through queries and mutations. Its handler receives an {@link ActionCtx}. */
export declare const action: ActionBuilder<DataModel, "public">;

/** An action callable only from other functions, never from clients. Its handler receives an {@link ActionCtx}. */
export declare const internalAction: ActionBuilder<DataModel, "internal">;

/** An HTTP endpoint handler; route it in `convex/http.js`. It receives an {@link ActionCtx} and the Fetch API `Request`. */
export declare const httpAction: HttpActionBuilder;

/** Environment variables of the deployment, typed where they are declared. */
export declare const env: Env;

/** What a query handler receives: read-only database access, auth and storage readers. */
export type QueryCtx = GenericQueryCtx<DataModel>;

/** What a mutation handler receives: database reads and writes, auth, storage and the scheduler. */
export type MutationCtx = GenericMutationCtx<DataModel>;

/** What an action handler receives: runQuery, runMutation, runAction, auth, storage and the scheduler. */
export type ActionCtx = GenericActionCtx<DataModel>;

/** Read access to the database: `get` one document by id or `query` a table. */
export type DatabaseReader = GenericDatabaseReader<DataModel>;

/** Read and write access to the database; all writes of one mutation commit atomically. */
export type DatabaseWriter = GenericDatabaseWriter<DataModel>;
