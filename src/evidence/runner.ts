import type { Logger } from "../logger.js";
import { webSettings } from "../web/settings.js";
import { buildPack } from "./build.js";
import { noteProgress } from "./command.js";
import { type EvidencePack, EvidencePackModel } from "./model.js";

/** A builder that stops answering loses its pack after this long; another takes it over. */
const LEASE_MS = 2 * 60_000;

/**
 * Builds the packs asked for: at once in the process that recorded the request (a kick), and
 * from the workers' job for any left queued or abandoned by a builder that died. A pack is taken
 * by a conditional update, so two builders never build the same one.
 */
export class PackBuilder {
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => Date,
    private readonly workerId: string,
  ) {}

  kick(packId: string): void {
    const run = this.build(packId)
      .catch((error: unknown) => this.logger.error({ err: error, packId }, "evidence pack build failed"))
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Packs waiting or abandoned: built one after the other. Returns how many were built. */
  async runDue(): Promise<number> {
    const now = this.now();
    const due = await EvidencePackModel.find(
      { state: { $in: ["queued", "building"] } },
      { _id: 1, state: 1, leaseUntil: 1 },
    ).lean();
    let built = 0;
    for (const pack of due)
      if (pack.state === "queued" || (pack.leaseUntil && pack.leaseUntil < now))
        if (await this.build(pack._id)) built++;
    return built;
  }

  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private async claim(packId: string): Promise<EvidencePack | null> {
    const now = this.now();
    return EvidencePackModel.findOneAndUpdate(
      { _id: packId, $or: [{ state: "queued" }, { state: "building", leaseUntil: { $lt: now } }] },
      {
        $set: {
          state: "building",
          builder: this.workerId,
          leaseUntil: new Date(now.getTime() + LEASE_MS),
          done: 0,
        },
      },
      { returnDocument: "after" },
    ).lean();
  }

  private async build(packId: string): Promise<boolean> {
    const pack = await this.claim(packId);
    if (!pack) return false;
    const mine = { _id: packId, builder: this.workerId };
    // Each edit of the progress message is a delivery of its own, numbered after earlier builds'.
    let edits = pack.updates;
    const edit = () => noteProgress({ ...pack, updates: edits++ }, this.now());
    try {
      const built = await buildPack(pack, async (done, total) => {
        const lease = new Date(this.now().getTime() + LEASE_MS);
        await EvidencePackModel.updateOne(mine, { $set: { done, total, leaseUntil: lease } });
        if (done < total) await edit();
      });
      const readyAt = this.now();
      const expiresAt = new Date(readyAt.getTime() + webSettings().linkHours * 3_600_000);
      await EvidencePackModel.updateOne(mine, {
        $set: { state: "ready", ...built, readyAt, expiresAt, leaseUntil: null },
      });
      this.logger.info({ packId, records: built.records, bytes: built.bytes }, "evidence pack built");
    } catch (error) {
      this.logger.error({ err: error, packId }, "evidence pack could not be built");
      await EvidencePackModel.updateOne(mine, {
        $set: {
          state: "failed",
          error: "QOps hit an error while reading the records (it is logged)",
          leaseUntil: null,
        },
      });
    }
    await edit();
    return true;
  }
}
