import type Consul from "consul";
import { type ConsulConfig, createConsulClient } from "./config.js";
import { wrapConsulError } from "./errors.js";
import type { MembershipLogger } from "./logger.js";
import { type Member, membersFromHealth, membershipFingerprint, SERVICE_NAME } from "./members.js";
import { BlockingWatch } from "./watch.js";

/** Lists every registered zkv node with its health, critical ones included, sorted by id. */
export async function listMembers(config: ConsulConfig, timeoutMs = 5000): Promise<Member[]> {
  const consul = createConsulClient(config);
  try {
    return membersFromHealth(
      await consul.health.service({ service: SERVICE_NAME, timeout: timeoutMs } as never),
    );
  } catch (err) {
    throw wrapConsulError("listing zkv members", err);
  }
}

/** Options of a membership watch. */
export interface MembershipWatchOptions {
  readonly consul: ConsulConfig;
  readonly logger?: MembershipLogger;
  readonly waitSeconds?: number;
}

/**
 * Push notifications of zkv membership and health from a Consul blocking query on
 * /v1/health/service/zkv. `start()` resolves to the current members; then `change` fires (and
 * the async iterator yields) once per real change. Consumers that place keys should compare ids
 * only: a health flip is a change here, but it does not move keys.
 */
export class MembershipWatcher extends BlockingWatch<Member[]> {
  constructor(options: MembershipWatchOptions) {
    const consul: Consul = createConsulClient(options.consul);
    super({
      consul,
      method: consul.health.service as never,
      options: { service: SERVICE_NAME },
      transform: (data) => membersFromHealth(data as unknown[]),
      fingerprint: membershipFingerprint,
      label: "zkv membership",
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.waitSeconds ? { waitSeconds: options.waitSeconds } : {}),
    });
  }
}
