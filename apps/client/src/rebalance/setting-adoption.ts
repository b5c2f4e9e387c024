import { ErrorCode, ZkvError } from "@zkv/protocol";
import type { ZkvClient } from "../lib/requests/client.js";

/** How long a node may take to take up a new state of the replication record. */
const ADOPT_TIMEOUT_MS = 60_000;
const RETRY_MS = 200;

/**
 * Resolves once every node of `members` has taken up the replication record's state `tag`
 * (`<run>:<phase>`; Consul pushes it to each node separately). A node proves it by accepting a
 * one-key REPLICA_HANDOFF of that tag (it refuses a tag it is not in, and its push fails at a
 * peer that is not in it either); the copy it sends is one the change sends anyway. Waits out a
 * node that is restarting, up to a minute; then NODE_UNAVAILABLE (rerun the command once it is up).
 */
export async function waitAdopted(
  client: ZkvClient,
  members: readonly string[],
  tag: string,
  onWait: (message: string) => void = () => {},
): Promise<void> {
  await Promise.all(
    members.map(async (id) => {
      const deadline = Date.now() + ADOPT_TIMEOUT_MS;
      for (let warned = false; ; ) {
        try {
          await client.request(id, { op: "REPLICA_HANDOFF", run: tag, limit: 1 }, 5_000);
          return;
        } catch (err) {
          if (Date.now() >= deadline) {
            throw new ZkvError(
              ErrorCode.NODE_UNAVAILABLE,
              `${id} did not take up the replication change within ${ADOPT_TIMEOUT_MS / 1000} s ` +
                `(${(err as Error).message}); the change is recorded: run the same command again once ${id} is up`,
            );
          }
          if (!warned && Date.now() > deadline - ADOPT_TIMEOUT_MS + 5_000) {
            onWait(`waiting for ${id} to take up the replication change (${(err as Error).message})`);
            warned = true;
          }
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
    }),
  );
}
