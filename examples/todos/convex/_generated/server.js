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
  queryGeneric,
  internalQueryGeneric,
  mutationGeneric,
  internalMutationGeneric,
  actionGeneric,
  internalActionGeneric,
  httpActionGeneric,
} from "convex/server";

/** A query in the public API: reads the database, callable from clients. Its handler receives a {@link QueryCtx}. */
export const query = queryGeneric;

/** A query callable only from other functions, never from clients. Its handler receives a {@link QueryCtx}. */
export const internalQuery = internalQueryGeneric;

/** A mutation in the public API: reads and writes the database in one transaction. Its handler receives a {@link MutationCtx}. */
export const mutation = mutationGeneric;

/** A mutation callable only from other functions, never from clients. Its handler receives a {@link MutationCtx}. */
export const internalMutation = internalMutationGeneric;

/** An action in the public API: may call third-party services and reaches the database through queries and mutations. Its handler receives an {@link ActionCtx}. */
export const action = actionGeneric;

/** An action callable only from other functions, never from clients. Its handler receives an {@link ActionCtx}. */
export const internalAction = internalActionGeneric;

/** An HTTP endpoint handler; route it in `convex/http.js`. It receives an {@link ActionCtx} and the Fetch API `Request`. */
export const httpAction = httpActionGeneric;

/** Environment variables of the deployment, typed where they are declared. */
export const env = process.env;
