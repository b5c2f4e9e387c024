#!/usr/bin/env node
// Compiles the two command-line programs into one JavaScript file each, so `zkv` and `zkv-server`
// start without pnpm or tsx (a quarter of a second or less instead of several seconds):
//   apps/client/dist/cli/zkv.mjs         the `zkv` CLI          (apps/client/src/main.ts)
//   apps/server/dist/cli/zkv-server.mjs  the launcher and node  (apps/server/src/main.ts)
// Each sits two folders below its package, like the sources it is built from, so paths resolved
// relative to a source file (the dashboard's web/ folder) hold for the bundle too. Packages with
// native addons (and pino, which loads its transports by file name) stay outside the bundle and
// are found in the package's node_modules, as they are when running from source.
import { chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const programs = [
  { entry: "apps/client/src/main.ts", out: "apps/client/dist/cli/zkv.mjs" },
  { entry: "apps/server/src/main.ts", out: "apps/server/dist/cli/zkv-server.mjs" },
];

for (const { entry, out } of programs) {
  const outfile = join(root, out);
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["zeromq", "lmdb", "fs-native-extensions", "pino"],
    // Bundled CommonJS dependencies call require(); an ES module has none of its own.
    banner: {
      js: "import { createRequire as __zkvRequire } from 'node:module'; const require = __zkvRequire(import.meta.url);",
    },
    logLevel: "warning",
  });
  chmodSync(outfile, 0o755);
  process.stderr.write(`built ${out}\n`);
}
