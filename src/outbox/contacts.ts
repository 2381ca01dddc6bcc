import { isDuplicateKey } from "../db/history.js";
import { findByIds } from "../db/read.js";
import { ContactModel, ReportedZoneModel } from "./models.js";
import type { StoredContact } from "./port.js";

/**
 * How QOps reaches people and conversations proactively, learnt from what the platform sends
 * (Teams conversation references, rosters), kept so that messages reach people after a restart.
 * Each source has its own document, written whole: a personal chat's reference, the roster entry
 * that lets QOps open one, a channel's reference, and the time zone a client reported. Two
 * requests arriving together never merge into each other's document, so neither loses what the
 * other wrote.
 */
export type ContactKind = "member" | "roster" | "conversation";

const userIdFor = (kind: ContactKind, id: string) =>
  kind === "member" ? id : kind === "roster" ? `roster:${id}` : `conversation:${id}`;
const contactKey = (workspaceId: string, kind: ContactKind, id: string) => `${workspaceId}/${kind}/${id}`;

/** What this process last wrote per contact, so a repeat costs no database round trip. */
const written = new Map<string, string>();

export async function rememberContact(
  workspaceId: string,
  platform: "slack" | "teams",
  kind: ContactKind,
  id: string,
  reference: Record<string, unknown>,
  now: Date,
): Promise<void> {
  const _id = contactKey(workspaceId, kind, id);
  const fingerprint = JSON.stringify(reference);
  if (written.get(_id) === fingerprint) return;
  const doc = { _id, workspaceId, userId: userIdFor(kind, id), platform, reference, updatedAt: now };
  try {
    await ContactModel.replaceOne({ _id }, doc, { upsert: true });
  } catch (error) {
    // Two first writes upserted at once: the document exists now.
    if (!isDuplicateKey(error)) throw error;
    await ContactModel.replaceOne({ _id }, doc);
  }
  written.set(_id, fingerprint);
  if (written.size > 20_000) written.clear();
}

type Addressee = { workspaceId: string; recipientId: string; to?: "person" | "channel" | null };

/** How to reach each person (their chat, else their roster entry) or channel, in the order given. */
export async function contactsFor(addressees: readonly Addressee[]): Promise<(StoredContact | null)[]> {
  const keys = addressees.map(({ workspaceId, recipientId, to }) =>
    to === "channel"
      ? [contactKey(workspaceId, "conversation", recipientId)]
      : [contactKey(workspaceId, "member", recipientId), contactKey(workspaceId, "roster", recipientId)],
  );
  const found = await findByIds(ContactModel, keys.flat());
  const out: (StoredContact | null)[] = [];
  let at = 0;
  for (const [i, { recipientId }] of addressees.entries()) {
    const count = keys[i]?.length ?? 0;
    const doc = found.slice(at, at + count).find(Boolean);
    at += count;
    out.push(doc ? { userId: recipientId, reference: doc.reference } : null);
  }
  return out;
}

/** Every contact of a workspace (the Teams port finds the team rosters through them). */
export async function contactsOf(workspaceId: string): Promise<StoredContact[]> {
  const docs = await ContactModel.find({ workspaceId }).lean();
  return docs.map((d) => ({ userId: d.userId, reference: d.reference }));
}

const zoneKey = (workspaceId: string, userId: string) => `${workspaceId}/zone/${userId}`;
const zonesWritten = new Map<string, string>();

/** The IANA zone a person's client reported (Teams sends it with each message). */
export async function rememberZone(
  workspaceId: string,
  userId: string,
  zone: string,
  now: Date,
): Promise<void> {
  const _id = zoneKey(workspaceId, userId);
  if (zonesWritten.get(_id) === zone) return;
  try {
    await ReportedZoneModel.replaceOne({ _id }, { _id, zone, at: now }, { upsert: true });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    await ReportedZoneModel.replaceOne({ _id }, { _id, zone, at: now });
  }
  zonesWritten.set(_id, zone);
  if (zonesWritten.size > 20_000) zonesWritten.clear();
}

/** The zone each person's client last reported, in the order given (null: none reported). */
export async function reportedZones(
  people: readonly { workspaceId: string; recipientId: string }[],
): Promise<(string | null)[]> {
  const found = await findByIds(
    ReportedZoneModel,
    people.map((p) => zoneKey(p.workspaceId, p.recipientId)),
  );
  return found.map((doc) => doc?.zone ?? null);
}
