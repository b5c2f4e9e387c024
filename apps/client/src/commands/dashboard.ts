import { once } from "node:events";
import { consulConfigFromEnv } from "@zkv/membership";
import type { CurveFlags } from "@zkv/protocol/cli";
import { type Command, InvalidArgumentError } from "commander";
import { Dashboard } from "../dashboard/dashboard.js";
import { curveFromFlags } from "./curve.js";
import { err, out } from "./output.js";

const port = (raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError("--port must be 0 (any free port) to 65535");
  return n;
};

/**
 * Registers `zkv dashboard`: serves the live dashboard until Ctrl-C or SIGTERM, then waits for a
 * rebalance it started and stops. The URL is the first line on stdout, so scripts can read it.
 */
export function registerDashboardCommand(program: Command): void {
  program
    .command("dashboard")
    .description("serve a live dashboard of the cluster in the browser (ring, members, rebalances)")
    .option("--port <port>", "port to listen on (0: any free port)", port, 8080)
    // Listed for the help only: commander gives a --host anywhere on the line to the program's
    // own --host (same name, same 127.0.0.1 default), so that is where it is read from.
    .option(
      "--host <host>",
      "interface to bind, 127.0.0.1 by default (the page adds and removes nodes: keep it local)",
    )
    .action(async (o: { port: number }, cmd: Command) => {
      const flags = cmd.optsWithGlobals<CurveFlags & { host: string }>();
      const curve = curveFromFlags(flags);
      const dashboard = await Dashboard.start({
        consul: consulConfigFromEnv(),
        port: o.port,
        host: flags.host,
        ...(curve ? { curve } : {}),
      });
      out(`dashboard: ${dashboard.url}`);
      err("Ctrl-C stops it");
      // Both listeners go once one fired, so a second Ctrl-C or SIGTERM stops the process at once.
      const signals = new AbortController();
      await Promise.race([
        once(process, "SIGINT", { signal: signals.signal }),
        once(process, "SIGTERM", { signal: signals.signal }),
      ]).finally(() => signals.abort());
      err(
        dashboard.busy
          ? "stopping the dashboard once the rebalance it started is over (Ctrl-C again: stop now)…"
          : "stopping the dashboard…",
      );
      await dashboard.close();
    });
}
