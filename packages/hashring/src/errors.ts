/**
 * Typed errors of `@zkv/hashring`.
 *
 * Callers (client, rebalancer, server) branch on `code`, never on the message or the class name:
 * the code is a stable string that survives bundling, serialisation across the wire and minifiers.
 */

/** Stable codes of every error this package throws; part of the public contract. */
export type PlacementErrorCode =
  | "EMPTY_PLACEMENT"
  | "DUPLICATE_NODE"
  | "UNKNOWN_NODE"
  | "INVALID_NODE"
  | "INVALID_WEIGHT"
  | "INVALID_ARGUMENT"
  | "PLACEMENT_TOO_LARGE";

/** Base class so callers can catch "any placement error" with one `instanceof`. */
export abstract class PlacementError extends Error {
  abstract readonly code: PlacementErrorCode;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A key was looked up in a placement with no nodes: there is no owner to return, so we refuse to guess. */
export class EmptyPlacementError extends PlacementError {
  readonly code = "EMPTY_PLACEMENT";

  constructor() {
    super("cannot place a key: the placement has no nodes");
  }
}

/** A node id appears twice; ids are identities, so a second copy would silently double its weight. */
export class DuplicateNodeError extends PlacementError {
  readonly code = "DUPLICATE_NODE";

  constructor(readonly nodeId: string) {
    super(`node ${JSON.stringify(nodeId)} is already in the placement`);
  }
}

/** A node id the placement does not hold was removed or queried; usually a stale membership view. */
export class UnknownNodeError extends PlacementError {
  readonly code = "UNKNOWN_NODE";

  constructor(readonly nodeId: string) {
    super(`node ${JSON.stringify(nodeId)} is not in the placement`);
  }
}

/** A node id is empty or not a string: ids must be stable, non-empty names such as `node-3` or `host:port`. */
export class InvalidNodeError extends PlacementError {
  readonly code = "INVALID_NODE";

  constructor(readonly nodeId: unknown) {
    super(`invalid node id ${JSON.stringify(nodeId)}: ids must be non-empty strings`);
  }
}

/** A weight is zero, negative, NaN or infinite; a share of the keyspace must be a positive finite number. */
export class InvalidWeightError extends PlacementError {
  readonly code = "INVALID_WEIGHT";

  constructor(
    readonly nodeId: string,
    readonly weight: unknown,
  ) {
    super(`invalid weight ${String(weight)} for node ${JSON.stringify(nodeId)}: must be finite and > 0`);
  }
}

/** An option or argument (vnodes, a preference-list length) is out of its documented range. */
export class InvalidArgumentError extends PlacementError {
  readonly code = "INVALID_ARGUMENT";
}

/** The ring would need more tokens or nodes than its packed representation holds; weights are relative, scale them down. */
export class PlacementTooLargeError extends PlacementError {
  readonly code = "PLACEMENT_TOO_LARGE";
}
