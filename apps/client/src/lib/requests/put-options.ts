import { isConditional, type PutRequest } from "@zkv/protocol";

/**
 * Options of `ZkvClient.put`, each one a PUT field on the wire (see the protocol README):
 * expiry (`ttl` in seconds, or `expiresAt` in ms since the epoch; not both) and a condition
 * (`ifAbsent`, or `ifVersion`: compare-and-set; not both). A failed condition rejects with a
 * ZkvError of code CONFLICT and writes nothing.
 */
export interface PutOptions {
  readonly ttl?: number;
  readonly expiresAt?: number;
  readonly ifAbsent?: boolean;
  readonly ifVersion?: number;
}

/** What `ZkvClient.put` resolves to once a node acknowledged the write. */
export interface PutResult {
  /**
   * The node that acknowledged it: the key's owner (with replication, the replica that
   * coordinated it), or where redirects led mid-rebalance.
   */
  readonly node: string;
  /** The key's new version, when the node reports it (conditional writes ask for it). */
  readonly version?: number;
}

/** A value with what a compare-and-set needs: its version, and when it expires if it does. */
export interface VersionedValue {
  readonly value: string;
  readonly version: number;
  readonly expiresAt?: number;
}

/** The PUT for `put(key, value, options)`; a conditional one asks for the new version. */
export function putRequest(key: string, value: string, options?: PutOptions): Omit<PutRequest, "id"> {
  const request: Omit<PutRequest, "id"> = { op: "PUT", key, value };
  if (options === undefined) return request; // a plain put: no options object made to be read
  if (options.ttl !== undefined) request.ttl = options.ttl;
  if (options.expiresAt !== undefined) request.expiresAt = options.expiresAt;
  if (options.ifAbsent) request.ifAbsent = true;
  if (options.ifVersion !== undefined) request.ifVersion = options.ifVersion;
  if (isConditional(request)) request.withVersion = true;
  return request;
}
