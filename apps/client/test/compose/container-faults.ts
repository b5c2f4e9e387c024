import { run } from "./run-command.js";
import type { ComposeStack } from "./stack.js";

/**
 * Faults a real deployment meets, done to a node's container rather than its process: a crash
 * (`docker kill`, then `docker start`, as a supervisor would), a freeze (`docker
 * pause`: every process of the container stopped by the cgroup freezer), and a partition
 * (`docker network disconnect`: the container, with an address of its own, is cut off from
 * Consul, the other nodes and the clients alike, which loopback tests cannot do). Each heals
 * itself after `forMs` and resolves once the node is healthy again, in Docker and in Consul.
 */
export interface ContainerFaults {
  kill(service: string, forMs: number): Promise<void>;
  pause(service: string, forMs: number): Promise<void>;
  partition(service: string, forMs: number): Promise<void>;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function docker(args: readonly string[]): Promise<string> {
  const result = await run("docker", args);
  if (result.status !== 0)
    throw new Error(`docker ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * `docker pause`, tried again while the runtime reports it could not freeze the container: the
 * cgroup freezer gives up on a task it cannot stop in time (one in uninterruptible disk I/O, as a
 * node's fsync under a loaded disk), and thaws the container again. Seen once in CI ("OCI runtime
 * pause failed: unable to freeze"), which made the nemesis report a fault that never happened.
 */
async function pauseContainer(container: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await docker(["pause", container]);
      return;
    } catch (err) {
      if (attempt >= 5 || !/unable to freeze/.test((err as Error).message)) throw err;
      await delay(200);
    }
  }
}

export function containerFaults(stack: ComposeStack): ContainerFaults {
  const id = async (service: string) => {
    const found = await stack.containerId(service);
    if (!found) throw new Error(`${stack.project}: no container for ${service}`);
    return found;
  };
  return {
    async kill(service, forMs) {
      const container = await id(service);
      await docker(["kill", container]);
      await delay(forMs);
      // Docker takes `docker kill` for an operator's stop, which no restart policy undoes: the
      // supervisor's restart is ours to make.
      await docker(["start", container]);
      await stack.healthy([service]);
      await stack.passing([service]);
    },
    async pause(service, forMs) {
      const container = await id(service);
      await pauseContainer(container);
      await delay(forMs);
      await docker(["unpause", container]);
      await stack.healthy([service]);
      await stack.passing([service]);
    },
    async partition(service, forMs) {
      const container = await id(service);
      const networks = await docker([
        "inspect",
        "--format",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
        container,
      ]);
      const network = networks.split(" ")[0]!;
      await docker(["network", "disconnect", network, container]);
      await delay(forMs);
      // Back under its service name, the address every other container knows it by.
      await docker(["network", "connect", "--alias", service, network, container]);
      await stack.healthy([service]);
      await stack.passing([service]);
    },
  };
}
