import { type ChildProcess, spawn } from "node:child_process";
import { eventually } from "@zkv/membership/testing";
import { ROOT, type Run, run } from "./run-command.js";

/** The plain file, and the secure variant that goes on top of it. */
export const COMPOSE_FILE = `${ROOT}docker-compose.yml`;
export const SECURE_FILE = `${ROOT}docker-compose.secure.yml`;

/** State of a service's container, as `docker inspect` reports it. */
export interface ContainerState {
  readonly status: string;
  readonly health: string | undefined;
  readonly exitCode: number;
}

/**
 * One compose project of docker-compose.yml (and its variants), under a name of its own, so it
 * never touches a stack a user runs from the same file. Host ports are on loopback only.
 */
export class ComposeStack {
  readonly #env: NodeJS.ProcessEnv;

  constructor(
    readonly project: string,
    private readonly cli: readonly string[],
    env: Record<string, string>,
    private readonly files: readonly string[] = [COMPOSE_FILE],
  ) {
    this.#env = { ...process.env, ...env };
  }

  /** The compose command line up to its subcommand: `compose -p <project> -f <file>…`. */
  get commandLine(): string[] {
    return [...this.cli, "-p", this.project, ...this.files.flatMap((f) => ["-f", f])];
  }

  /** `compose -p <project> -f <file>… ARGS`. */
  compose(args: readonly string[], timeoutMs?: number): Promise<Run> {
    const [command, ...rest] = this.commandLine;
    return run(command!, [...rest, ...args], {
      env: this.#env,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  }

  /** `compose … ARGS` started in the background (output piped), for a long-running `run`. */
  start(args: readonly string[]): ChildProcess {
    const [command, ...rest] = this.commandLine;
    return spawn(command!, [...rest, ...args], {
      cwd: ROOT,
      env: this.#env,
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /** Like compose(), but a non-zero exit throws with the output. */
  async must(args: readonly string[], timeoutMs?: number): Promise<Run> {
    const result = await this.compose(args, timeoutMs);
    if (result.status !== 0)
      throw new Error(
        `compose ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`,
      );
    return result;
  }

  /** A command of the zkv CLI in a one-off client container on the compose network. */
  zkv(command: string, env: Record<string, string> = {}): Promise<Run> {
    const vars = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    return this.compose([
      "run",
      "--rm",
      "-T",
      "--no-deps",
      ...vars,
      "client",
      `node dist/main.js ${command}`,
    ]);
  }

  /** The id of a service's container (not a one-off `run` one), or undefined. */
  async containerId(service: string): Promise<string | undefined> {
    const ps = await run("docker", [
      "ps",
      "-a",
      "-q",
      "--filter",
      `label=com.docker.compose.project=${this.project}`,
      "--filter",
      `label=com.docker.compose.service=${service}`,
      "--filter",
      "label=com.docker.compose.oneoff=False",
    ]);
    return ps.stdout.trim().split("\n")[0] || undefined;
  }

  async state(service: string): Promise<ContainerState> {
    const id = await this.containerId(service);
    if (!id) throw new Error(`${this.project}: no container for ${service}`);
    const format =
      "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}} {{.State.ExitCode}}";
    const inspect = await run("docker", ["inspect", "--format", format, id]);
    const [status = "", health = "-", exitCode = "0"] = inspect.stdout.trim().split(" ");
    return { status, health: health === "-" ? undefined : health, exitCode: Number(exitCode) };
  }

  /** Waits until every one of `services` is running and healthy. */
  async healthy(services: readonly string[], timeoutMs = 120_000): Promise<void> {
    await eventually(
      async () => {
        for (const s of services) {
          const state = await this.state(s);
          if (state.status === "exited") throw new Error(`${s} exited ${state.exitCode}`);
          if (state.health !== "healthy") return false;
        }
        return true;
      },
      timeoutMs,
      500,
    );
  }

  /**
   * Waits until Consul reports each node service's registration passing. After a fault heals,
   * Docker's health status lags (it turns unhealthy only after 30 failed checks), Consul's does not.
   */
  async passing(services: readonly string[], timeoutMs = 60_000): Promise<void> {
    const consul = `http://127.0.0.1:${await this.hostPort("consul", 8500)}`;
    const token = this.#env.ZKV_CONSUL_TOKEN ?? "";
    await eventually(
      async () => {
        for (const s of services) {
          const res = await fetch(`${consul}/v1/agent/health/service/id/zkv-${s}`, {
            headers: { "X-Consul-Token": token },
          });
          if (res.status !== 200) return false;
        }
        return true;
      },
      timeoutMs,
      500,
    );
  }

  /** Waits for a one-shot service's container to exit; resolves to its exit code. */
  async exited(service: string, timeoutMs = 120_000): Promise<number> {
    const state = await eventually(
      async () => {
        const s = await this.state(service);
        return s.status === "exited" ? s : undefined;
      },
      timeoutMs,
      500,
    );
    return state!.exitCode; // eventually() resolves only to a truthy value
  }

  /**
   * The host port a service's container port is published on. Asked of `docker port` rather than
   * `compose port`: the same answer, without starting the compose CLI (about 1.5 s for v1).
   */
  async hostPort(service: string, port: number): Promise<number> {
    const id = await this.containerId(service);
    if (!id) throw new Error(`${this.project}: no container for ${service}`);
    const result = await run("docker", ["port", id, `${port}/tcp`]);
    const out = result.stdout.trim().split("\n")[0] ?? "";
    const hostPort = Number(out.split(":").at(-1));
    if (!Number.isInteger(hostPort) || hostPort <= 0)
      throw new Error(`no host port for ${service}:${port}: ${out || result.stderr.trim()}`);
    return hostPort;
  }

  /** The names of the project's volumes, or of its networks. */
  async resourceNames(kind: "volume" | "network"): Promise<string[]> {
    const ls = await run("docker", [
      kind,
      "ls",
      "--format",
      "{{.Name}}",
      "--filter",
      `label=com.docker.compose.project=${this.project}`,
    ]);
    return ls.stdout.split("\n").filter(Boolean).sort();
  }

  /** The last lines of every service's log, for a failure's report. */
  async logs(): Promise<string> {
    return (await this.compose(["--profile", "node-4", "logs", "--no-color", "--tail", "30"])).stdout;
  }

  /** Removes everything of the project: containers (node-4's too), network, volumes. */
  async destroy(): Promise<void> {
    await this.compose(["--profile", "node-4", "down", "-v", "--remove-orphans", "--timeout", "5"]);
  }
}
