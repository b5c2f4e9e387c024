/** Minimal typing of the npm `hashring` package (ketama ring), used only as the benchmark baseline. */
declare module "hashring" {
  export default class HashRing {
    constructor(servers: string[] | Record<string, { weight?: number; vnodes?: number }>, algorithm?: string);
    get(key: string): string;
  }
}
