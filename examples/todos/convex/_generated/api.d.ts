/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as http from "../http.js";
import type * as lists from "../lists.js";
import type * as tasks from "../tasks.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";

declare const fullApi: ApiFromModules<{
  http: typeof http;
  lists: typeof lists;
  tasks: typeof tasks;
}>;

/**
 * References to the functions of this app, for useQuery, useMutation,
 * ctx.runQuery and friends. Example: `api.messages.list`.
 */
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;

/**
 * References to the internal functions of this app (callable only from
 * other functions, the scheduler and crons). Example: `internal.messages.cleanup`.
 */
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;

export declare const components: {};
