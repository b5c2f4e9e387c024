#!/usr/bin/env node
// Compiles the two command-line programs into one JavaScript file each, so `zkv` and `zkv-server`
// start without pnpm or tsx (a quarter of a second or less instead of several seconds):
//   apps/client/dist/cli/zkv.mjs         the `zkv` CLI          (apps/client/src/main.ts)
//   apps/server/dist/cli/zkv-server.mjs  the launcher and node  (apps/server/src/main.ts)
// Each sits two folders below its package, like the sources it is built from, so paths resolved
// relative to a source file (the dashboard's web/ folder) hold for the bundle too. Packages with
// native addons (and pino, which loads its transports by file name) stay outside the bundle and
// are found in the package's node_modules, as they are when running from source.
// `--dir A/B` writes them to A/B/ in each package instead of dist/cli/: the test runs build their
// own copy in .test-programs/<pid>/ (test-support/build-programs.ts), so they never overwrite or
// run a user's build, and `pnpm deploy` (which copies dist/) never picks theirs up.
import { chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dirFlag = process.argv.indexOf("--dir");
const dir = dirFlag >= 0 ? process.argv[dirFlag + 1] : "dist/cli";
// Two folders below the package, no more and no fewer (see above).
if (!dir || !/^[\w.-]+\/[\w.-]+$/.test(dir) || dir.split("/").includes("..")) {
  process.stderr.write(
    "usage: build-cli.mjs [--dir A/B]   (two folders under each package; default dist/cli)\n",
  );
  process.exit(2);
}
const programs = [
  { entry: "apps/client/src/main.ts", out: `apps/client/${dir}/zkv.mjs` },
  { entry: "apps/server/src/main.ts", out: `apps/server/${dir}/zkv-server.mjs` },
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
