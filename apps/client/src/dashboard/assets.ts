import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The page's files: `apps/client/web/`, two levels up from this module both in `src/dashboard/`
 * and in the built `dist/dashboard/`, so the same files serve from a checkout and a deployment.
 */
export const WEB_DIR = fileURLToPath(new URL("../../web/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** One file, ready to send. */
export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/**
 * Every servable file, read once at start-up: the page is a few small files, and serving only
 * names listed here means no request path ever reaches the file system (no traversal to guard).
 */
export async function loadAssets(dir = WEB_DIR): Promise<ReadonlyMap<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const name of await readdir(dir)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { body: await readFile(join(dir, name)), type });
  }
  if (!assets.has("index.html")) throw new Error(`the dashboard's page is missing: no index.html in ${dir}`);
  return assets;
}
