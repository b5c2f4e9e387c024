import {
  type DeleteRequest,
  type GetOneRequest,
  isConditional,
  type PutRequest,
  type Reply,
  toErrorReply,
} from "@zkv/protocol";
import type { ReplicaContext } from "../replication/replica-ops.js";
import { checkBudget, expiryOf, growthOf, isLive, makeRoom } from "../store/index.js";
import { notFound } from "./local-key-ops.js";
import { isRestore, restoreReplicated } from "./restore.js";

/**
 * PUT, GET_ONE and DELETE on a replicated cluster: this node coordinates them through its
 * Replicator (conditional PUTs through the key's primary, see ConditionalWrites; a PUT with
 * `version`, a restore, see restore.ts), and the reply is the seed's, with versions only when
 * asked. Never rejects: a replication failure becomes the request's error reply.
 */
export function replicatedKeyOp(
  request: PutRequest | GetOneRequest | DeleteRequest,
  replication: ReplicaContext,
): Promise<Reply> {
  const { replicator, store } = replication;
  const id = request.id === undefined ? {} : { id: request.id };
  let reply: Promise<Reply>;
  switch (request.op) {
    case "PUT": {
      if (isRestore(request)) {
        reply = restoreReplicated(request, replication);
        break;
      }
      if (isConditional(request)) {
        reply = replication.conditional.write(request).then((version) => ({ ok: true, version, ...id }));
        break;
      }
      try {
        const budget = { store, maxBytes: replication.maxBytes, keepTombstones: true };
        const growth = growthOf(store, request.key, request.value);
        makeRoom(budget, growth);
        checkBudget(budget, growth);
      } catch (err) {
        return Promise.resolve(toErrorReply(err, request.id));
      }
      const expiresAt = expiryOf(request, store.now());
      reply = replicator
        .write(request.key, request.value, request.w, expiresAt)
        .then(({ version }) => (request.withVersion ? { ok: true, version, ...id } : { ok: true, ...id }));
      break;
    }
    case "DELETE":
      reply = replicator
        .write(request.key, undefined, request.w)
        .then(({ existed }) => ({ ok: true, deleted: existed, ...id }));
      break;
    case "GET_ONE":
      reply = replicator.read(request.key, request.r).then((copy) => {
        if (!isLive(copy, store.now())) return toErrorReply(notFound(request.key), request.id);
        if (!request.withVersion) return { key: request.key, value: copy.value, ...id };
        const expiry = copy.expiresAt === undefined ? {} : { expiresAt: copy.expiresAt };
        return { key: request.key, value: copy.value, version: copy.version, ...expiry, ...id };
      });
      break;
  }
  return reply.catch((err: unknown) => toErrorReply(err, request.id));
}
