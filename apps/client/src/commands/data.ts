import { ExitCode } from "@zkv/protocol";
import { type Command, InvalidArgumentError } from "commander";
import type { PutOptions } from "../lib/requests/put-options.js";
import { CliExit } from "./cli-exit.js";
import { usage, withClient } from "./flags.js";
import { err, out, write } from "./output.js";

const seconds = (raw: string) => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError("--ttl must be a positive number of seconds");
  return n;
};

/** A version as `zkv get --version` prints it, or undefined. */
function parseVersion(raw: string): number | undefined {
  const n = raw.trim() === "" ? Number.NaN : Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

const version = (what: string) => (raw: string) => {
  const n = parseVersion(raw);
  if (n === undefined)
    throw new InvalidArgumentError(`${what} must be a version (a number from get --version)`);
  return n;
};

const epochMs = (raw: string) => {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError("--expires-at must be ms since the epoch");
  return n;
};

interface PutFlags {
  ttl?: number;
  expiresAt?: number;
  ifAbsent?: boolean;
  ifVersion?: number;
}

/**
 * The key commands: put (with TTL and conditions), get (optionally with its version), cas,
 * delete, all (every entry, streamed) and locate (a key's owner).
 */
export function registerDataCommands(program: Command): void {
  program
    .command("put <key> <value>")
    .description("store a value under a key (optionally expiring, or only if absent / at a version)")
    .option("--ttl <seconds>", "the key expires this many seconds from now", seconds)
    .option("--expires-at <ms>", "the key expires at this time (ms since the epoch)", epochMs)
    .option("--if-absent", "write only if the key does not exist (else exit 5, CONFLICT)")
    .option(
      "--if-version <version>",
      "write only if the key is at this version (else exit 5)",
      version("--if-version"),
    )
    .action((key: string, value: string, o: PutFlags, cmd: Command) => {
      // Argument errors are found before connecting: a typo answers at once, even with no cluster.
      if (o.ttl !== undefined && o.expiresAt !== undefined)
        throw usage("give --ttl or --expires-at, not both");
      if (o.ifAbsent && o.ifVersion !== undefined) throw usage("give --if-absent or --if-version, not both");
      return withClient(cmd, async (client, flags) => {
        const options: PutOptions = {
          ...(o.ttl === undefined ? {} : { ttl: o.ttl }),
          ...(o.expiresAt === undefined ? {} : { expiresAt: o.expiresAt }),
          ...(o.ifAbsent ? { ifAbsent: true } : {}),
          ...(o.ifVersion === undefined ? {} : { ifVersion: o.ifVersion }),
        };
        const { node, version } = await client.put(key, value, options);
        if (flags.json)
          out(JSON.stringify({ ok: true, key, node, ...(version === undefined ? {} : { version }) }));
        else out(version === undefined ? "OK" : `OK version ${version}`);
      });
    });

  program
    .command("get <key>")
    .description("print the value of a key (with --version: and its version and expiry)")
    .option("--version", "also print the key's version (for `zkv cas`) and when it expires")
    .action((key: string, o: { version?: boolean }, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        if (!o.version) {
          const value = await client.get(key);
          if (value === undefined) throw new CliExit(ExitCode.NOT_FOUND, `not found: ${key}`);
          return out(flags.json ? JSON.stringify({ key, value }) : value);
        }
        const entry = await client.getWithVersion(key);
        if (entry === undefined) throw new CliExit(ExitCode.NOT_FOUND, `not found: ${key}`);
        if (flags.json) return out(JSON.stringify({ key, ...entry }));
        out(entry.value);
        out(`version ${entry.version}`);
        if (entry.expiresAt !== undefined) out(`expires ${new Date(entry.expiresAt).toISOString()}`);
      }),
    );

  program
    .command("cas <key> <expected-version> <value>")
    .description("compare-and-set: write only if the key is at <expected-version> (else exit 5, CONFLICT)")
    .option("--ttl <seconds>", "the new value expires this many seconds from now", seconds)
    .action((key: string, expected: string, value: string, o: { ttl?: number }, cmd: Command) => {
      const ifVersion = parseVersion(expected);
      if (ifVersion === undefined)
        throw usage(
          `<expected-version> must be a version (a number from \`zkv get --version\`), not '${expected}'`,
        );
      return withClient(cmd, async (client, flags) => {
        const { version: written } = await client.put(key, value, {
          ifVersion,
          ...(o.ttl === undefined ? {} : { ttl: o.ttl }),
        });
        out(flags.json ? JSON.stringify({ ok: true, key, version: written }) : `OK version ${written}`);
      });
    });

  program
    .command("delete <key>")
    .description("delete a key")
    .action((key: string, _o, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        const deleted = await client.delete(key);
        out(
          flags.json
            ? JSON.stringify({ ok: true, deleted })
            : deleted
              ? "deleted"
              : "not found (nothing to delete)",
        );
      }),
    );

  program
    .command("all")
    .description("every key and value in the cluster, in key order (streamed from all nodes)")
    .action((_o, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        let n = 0;
        if (flags.json) await write('{"collection":[');
        for await (const kv of client.scan()) {
          await write(flags.json ? `${n > 0 ? "," : ""}${JSON.stringify(kv)}` : `${kv.key}\t${kv.value}\n`);
          n++;
        }
        if (flags.json) out("]}");
        else err(`${n} keys`);
      }),
    );

  program
    .command("locate <key>")
    .description("which node owns a key")
    .action((key: string, _o, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        const m = client.locate(key);
        out(
          flags.json
            ? JSON.stringify({ key, node: m.id, address: m.address, port: m.port, hashing: client.hashing })
            : `${m.id}\t${m.address}:${m.port}`,
        );
      }),
    );
}
