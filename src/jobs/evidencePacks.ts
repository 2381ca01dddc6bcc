import type { Agenda } from "agenda";
import type { JobDeps } from "./deps.js";

export const EVIDENCE_PACKS = "evidence-packs";

/**
 * Every minute: evidence packs nobody is building (the process that took the request died, or
 * runs as web only). A pack is claimed before it is built, so several workers build it once.
 */
export function define(agenda: Agenda, deps: JobDeps): void {
  agenda.define(EVIDENCE_PACKS, async () => {
    await deps.tasks.buildEvidencePacks(deps.clock.now());
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every("1 minute", EVIDENCE_PACKS);
}
