import { isErrorReply, type Reply } from "@zkv/protocol";
import type { RequestObserver } from "../../src/requests/observer.js";

/** Counts operations by op and outcome, as NodeMetrics does: what two ways of applying the same ops must agree on. */
export class Counts implements RequestObserver {
  readonly byOutcome = new Map<string, number>();

  request(op: string, reply: Reply): void {
    this.count(op, isErrorReply(reply) ? reply.error.code : "ok", 1);
  }

  count(op: string, outcome: string, n: number): void {
    if (n > 0) this.byOutcome.set(`${op} ${outcome}`, (this.byOutcome.get(`${op} ${outcome}`) ?? 0) + n);
  }

  movedIn(): void {}
  movedOut(): void {}
}
