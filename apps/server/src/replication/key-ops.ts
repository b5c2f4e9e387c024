import {
  type DeleteRequest,
  ErrorCode,
  type GetOneRequest,
  type PutRequest,
  type Reply,
  toErrorReply,
  ZkvError,
} from "@zkv/protocol";
import type { ReplicaContext } from "./replica-ops.js";

/**
 * PUT, GET_ONE and DELETE on a replicated cluster: this node coordinates them through its
 * Replicator, and the reply is the seed's (versions stay off the wire). Never rejects: a
 * replication failure becomes the request's error reply.
 */
export function replicatedKeyOp(
  request: PutRequest | GetOneRequest | DeleteRequest,
  replication: ReplicaContext,
): Promise<Reply> {
  const { replicator } = replication;
  const id = request.id === undefined ? {} : { id: request.id };
  let reply: Promise<Reply>;
  switch (request.op) {
    case "PUT":
      reply = replicator.write(request.key, request.value, request.w).then(() => ({ ok: true, ...id }));
      break;
    case "DELETE":
      reply = replicator
        .write(request.key, undefined, request.w)
        .then(({ existed }) => ({ ok: true, deleted: existed, ...id }));
      break;
    case "GET_ONE":
      reply = replicator.read(request.key, request.r).then((copy) => {
        if (copy?.value === undefined) {
          const shown = JSON.stringify(request.key);
          return toErrorReply(new ZkvError(ErrorCode.NOT_FOUND, `key not found: ${shown}`), request.id);
        }
        return { key: request.key, value: copy.value, ...id };
      });
      break;
  }
  return reply.catch((err: unknown) => toErrorReply(err, request.id));
}
