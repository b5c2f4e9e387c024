import { type Command, InvalidArgumentError, Option } from "commander";

/** Multipliers of the size suffixes, as in redis.conf: `k` is 1000, `kb` is 1024, and so on. */
const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1024,
  m: 1e6,
  mb: 1024 ** 2,
  g: 1e9,
  gb: 1024 ** 3,
};

/**
 * A byte count as an operator writes it: `67108864`, `64mb`, `1gb`, `500k` (case and a space
 * before the unit ignored). Suffixes follow redis.conf's maxmemory (`k` = 1000, `kb` = 1024),
 * so a budget copied from a Redis config means the same here. Throws InvalidArgumentError
 * naming `flag`.
 */
export function parseByteSize(raw: string, flag = "--max-memory"): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  const bytes = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new InvalidArgumentError(
      `${flag} must be a positive size such as 67108864, 64mb or 1gb (got ${JSON.stringify(raw)})`,
    );
  }
  return bytes;
}

/**
 * --max-memory (env ZKV_MAX_MEMORY): each node's budget for the bytes of its keys and values;
 * --client-output-limit (env ZKV_CLIENT_OUTPUT_LIMIT): the replies a node holds for one client
 * that does not read them.
 */
export function addMemoryOptions(program: Command): Command {
  return program
    .addOption(
      new Option(
        "--max-memory <size>",
        "budget per node for its keys and values (UTF-8 bytes, as STATS counts them; e.g. 64mb, 1gb); writes past it get OUT_OF_MEMORY (default: unlimited)",
      )
        .argParser((raw: string) => parseByteSize(raw))
        .env("ZKV_MAX_MEMORY"),
    )
    .addOption(
      new Option(
        "--client-output-limit <size>",
        "bytes of replies a node holds for one client that does not read them; past it the client is dropped (default: 64mb)",
      )
        .argParser((raw: string) => parseByteSize(raw, "--client-output-limit"))
        .env("ZKV_CLIENT_OUTPUT_LIMIT"),
    );
}

/** The flags a launcher passes on to each node it starts. */
export function memoryNodeArgs(flags: { maxMemory?: number; clientOutputLimit?: number }): string[] {
  return [
    ...(flags.maxMemory === undefined ? [] : ["--max-memory", String(flags.maxMemory)]),
    ...(flags.clientOutputLimit === undefined
      ? []
      : ["--client-output-limit", String(flags.clientOutputLimit)]),
  ];
}
