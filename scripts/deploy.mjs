#!/usr/bin/env node
// Usage: node scripts/deploy.mjs <package> <out-dir>     e.g. node scripts/deploy.mjs @zkv/server /out
//
// Makes <out-dir> a self-contained copy of one app: its dist/, its production dependencies and the
// workspace packages it uses, all runnable on plain Node (no TypeScript at run time). Build first
// (`pnpm --filter "@zkv/server..." build`). Used by the Dockerfiles and apps/server/test/deploy.test.ts.
//
// Two things pnpm 10 does not do on its own:
// 1. `pnpm deploy` refuses a workspace without inject-workspace-packages=true (or --legacy). Setting
//    it in pnpm-workspace.yaml would make development use copies of the workspace packages instead
//    of symlinks, so it is passed for the deploy only; the deploy then installs exactly the shared
//    lockfile's versions (a frozen install).
// 2. `pnpm deploy` copies each package's published files ("files": ["dist"]) but not its
//    publishConfig (pnpm issue #6693), so the copies' "exports" would still name src/*.ts. This
//    script applies publishConfig the way `pnpm pack` does, then checks every entry point of every
//    deployed workspace package is a .js file that exists.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The manifest fields pnpm lets publishConfig override when it packs a package. */
const PUBLISH_FIELDS = [
  "bin",
  "main",
  "exports",
  "types",
  "typings",
  "module",
  "browser",
  "esnext",
  "es2015",
  "unpkg",
  "umd:main",
  "typesVersions",
  "cpu",
  "os",
];

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Applies publishConfig to the package.json in `dir`; returns the rewritten manifest. */
export function applyPublishConfig(dir) {
  const file = join(dir, "package.json");
  const manifest = JSON.parse(readFileSync(file, "utf8"));
  const publishConfig = manifest.publishConfig;
  if (publishConfig) {
    const oldBins = targets(manifest.bin);
    for (const field of PUBLISH_FIELDS) {
      if (field in publishConfig) {
        manifest[field] = publishConfig[field];
        delete publishConfig[field];
      }
    }
    if (Object.keys(publishConfig).length === 0) delete manifest.publishConfig;
    // A new file, never a write into the old one: were it a hard link to the workspace's own
    // package.json, writing through it would change the workspace.
    writeFileSync(`${file}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
    // A package's bin files are always copied, so the development bin (src/main.ts) came along
    // although the published one is dist/main.js: drop it.
    const newBins = new Set(targets(manifest.bin).map((t) => join(dir, t)));
    for (const bin of oldBins.map((t) => join(dir, t))) {
      if (!newBins.has(bin) && bin.endsWith(".ts")) {
        rmSync(bin, { force: true });
        if (readdirSync(dirname(bin)).length === 0) rmSync(dirname(bin), { recursive: true });
      }
    }
  }
  return manifest;
}

/** Every path an "exports" (or "bin") value points at. */
function targets(value) {
  if (typeof value === "string") return [value];
  if (value && typeof value === "object") return Object.values(value).flatMap(targets);
  return [];
}

/** Throws unless every runtime entry point of the package in `dir` is an existing .js file. */
function checkEntryPoints(dir, manifest) {
  const entries = [...targets(manifest.exports), ...targets(manifest.bin), ...targets(manifest.main)];
  for (const entry of entries) {
    if (entry.endsWith(".d.ts")) continue;
    if (!entry.endsWith(".js") || !existsSync(join(dir, entry)))
      throw new Error(
        `${manifest.name}: entry point ${entry} is not a built .js file in ${dir} (build first)`,
      );
  }
}

/**
 * pnpm hard-links the files of injected workspace packages (whatever package-import-method says),
 * so the output would share inodes with the workspace: a later build would change a deployed
 * copy, and an edit of a deployed file would change the workspace. Replaces each such file with a
 * copy of its own.
 */
function unlinkFromWorkspace(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const file = join(entry.parentPath, entry.name);
    if (!entry.isFile() || statSync(file).nlink < 2) continue;
    copyFileSync(file, `${file}.tmp`);
    renameSync(`${file}.tmp`, file);
  }
}

/** The directories of the workspace packages pnpm copied into `out`'s virtual store. */
function deployedWorkspacePackages(out) {
  const store = realpathSync(join(out, "node_modules", ".pnpm"));
  const dirs = [];
  for (const entry of readdirSync(store)) {
    // Local packages are named <name>@file+<path> (a lockfile `file:` dependency); registry
    // packages <name>@<version>.
    if (!entry.includes("@file+")) continue;
    const modules = join(store, entry, "node_modules");
    for (const name of readdirSync(modules)) {
      const scoped = name.startsWith("@")
        ? readdirSync(join(modules, name)).map((n) => `${name}/${n}`)
        : [name];
      for (const pkg of scoped) {
        const dir = realpathSync(join(modules, pkg));
        if (dir.startsWith(join(store, entry))) dirs.push(dir);
      }
    }
  }
  return [...new Set(dirs)];
}

export function deploy(pkg, out) {
  const args = [
    "--filter",
    pkg,
    "--config.inject-workspace-packages=true",
    // Copies of the registry packages rather than hard links into pnpm's store (see also
    // unlinkFromWorkspace below).
    "--config.package-import-method=copy",
    "deploy",
    "--prod",
    out,
  ];
  const run = spawnSync("pnpm", args, { cwd: root, stdio: "inherit" });
  if (run.status !== 0) throw new Error(`pnpm ${args.join(" ")} failed (${run.status ?? run.signal})`);
  const app = applyPublishConfig(out);
  if (!existsSync(join(out, "dist", "main.js")))
    throw new Error(`${pkg}: ${out}/dist/main.js is missing (build first)`);
  checkEntryPoints(out, app);
  for (const dir of deployedWorkspacePackages(out)) {
    unlinkFromWorkspace(dir);
    checkEntryPoints(dir, applyPublishConfig(dir));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [pkg, out] = process.argv.slice(2);
  if (!pkg || !out) {
    process.stderr.write("usage: node scripts/deploy.mjs <package> <out-dir>\n");
    process.exit(2);
  }
  try {
    deploy(pkg, resolve(out));
  } catch (err) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  }
}
