import { SYSTEM } from "../../commands/context.js";
import type { PlatformMember } from "../../outbox/port.js";
import { createMember, loadMembers, updateProfile } from "./commands.js";
import type { Member } from "./model.js";

/**
 * Where the people of a workspace come from: the platform's directory (Slack `users.list`, the
 * Teams rosters), reached through the messaging port. Set once at start by the composition root.
 */
export type Directory = (workspaceId: string) => Promise<PlatformMember[]>;
let directory: Directory | undefined;

export function setDirectory(next: Directory | undefined): void {
  directory = next;
}

export interface SyncResult {
  /** People new to QOps, or back after leaving: they are asked to acknowledge the current policy. */
  fresh: Member[];
  members: Member[];
}

/**
 * Brings the member list up to date from the platform (names, time zones, who left). Guests
 * count as members only when the workspace includes them. Throws when the platform cannot be
 * asked (the caller decides whether that stops it).
 */
export async function syncMembers(
  workspaceId: string,
  now: Date,
  includeGuests: boolean,
): Promise<SyncResult> {
  if (!directory) return { fresh: [], members: (await loadMembers(workspaceId)).filter((m) => m.active) };
  const platform = await directory(workspaceId);
  const known = new Map((await loadMembers(workspaceId)).map((m) => [m.userId, m]));
  const actor = { id: SYSTEM.id, name: "QOps member sync" };
  const fresh: Member[] = [];
  const seen = new Set<string>();
  const current: Member[] = [];
  for (const pm of platform) {
    if (pm.isGuest && !includeGuests) continue;
    seen.add(pm.userId);
    const existing = known.get(pm.userId);
    if (!existing) {
      const created = await createMember(workspaceId, { id: pm.userId, name: pm.name }, actor, now, {
        tz: pm.tz,
        isGuest: pm.isGuest,
      });
      fresh.push(created);
      current.push(created);
      continue;
    }
    const changed =
      existing.name !== pm.name ||
      (pm.tz !== null && existing.tz !== pm.tz) ||
      !existing.active ||
      existing.isGuest !== pm.isGuest;
    const member = changed
      ? await updateProfile(
          existing,
          { name: pm.name, tz: pm.tz, isGuest: pm.isGuest, active: true },
          actor,
          now,
        )
      : existing;
    if (!existing.active) fresh.push(member);
    current.push(member);
  }
  for (const member of known.values())
    if (member.active && !seen.has(member.userId) && member.userId !== SYSTEM.id)
      await updateProfile(
        member,
        { name: member.name, tz: member.tz, isGuest: member.isGuest, active: false },
        actor,
        now,
      );
  return { fresh, members: current };
}
