import { consulConfigFromEnv, type HashingMode } from "@zkv/membership";
import { type Command, InvalidArgumentError } from "commander";
import { type ClientOptions, ZkvClient } from "../lib/requests/client.js";
import { type CurveFlags, curveFromFlags } from "./curve.js";

/** The options every zkv command takes (see `zkv --help`). */
export interface GlobalFlags extends CurveFlags {
  nodes?: number;
  hashing: HashingMode;
  host: string;
  basePort: number;
  timeout: number;
  json?: boolean;
}

export const positiveInt = (what: string) => (raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
  return n;
};

/** Thrown by a command to end with a specific exit code and message. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

function clientOptions(flags: GlobalFlags): ClientOptions {
  const curve = curveFromFlags(flags);
  const common = { timeoutMs: flags.timeout, ...(curve ? { curve } : {}) };
  if (flags.nodes !== undefined) {
    return {
      ...common,
      static: { nodes: flags.nodes, host: flags.host, basePort: flags.basePort, hashing: flags.hashing },
    };
  }
  return { ...common, consul: consulConfigFromEnv() };
}

/** Runs `body` with a connected client and closes it whatever happens. */
export async function withClient(
  cmd: Command,
  body: (client: ZkvClient, flags: GlobalFlags) => Promise<void>,
): Promise<void> {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  const client = await ZkvClient.connect(clientOptions(flags));
  try {
    await body(client, flags);
  } finally {
    await client.close();
  }
}
