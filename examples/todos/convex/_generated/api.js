/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import { anyApi, componentsGeneric } from "convex/server";

/**
 * References to the functions of this app, for useQuery, useMutation,
 * ctx.runQuery and friends. Example: `api.messages.list`.
 */
export const api = anyApi;
/**
 * References to the internal functions of this app (callable only from
 * other functions, the scheduler and crons). Example: `internal.messages.cleanup`.
 */
export const internal = anyApi;
/** References to the mounted child components. */
export const components = componentsGeneric();
