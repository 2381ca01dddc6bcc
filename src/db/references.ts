/** Where a referenced record is numbered: one stream per workspace, kind and year. */
export function referenceStream(workspaceId: string, prefix: string, at: Date) {
  const year = at.getUTCFullYear();
  const stream = `${workspaceId}/${prefix}-${year}`;
  return {
    stream,
    keyFor: (n: number) => {
      const ref = `${prefix}-${year}-${String(n).padStart(4, "0")}`;
      return { recordKey: `${workspaceId}/${ref}`, ref };
    },
  };
}

/** The record key of a reference typed by a user, or null if it is not one. */
export function recordKeyOf(workspaceId: string, ref: string): string | null {
  const normalized = ref.trim().toUpperCase();
  if (!/^(CMP|IDEA|CA|AUD|MR|DOC|OBJ)-\d{4}-\d{4,}$/.test(normalized) && !/^POL-V\d+$/.test(normalized))
    return null;
  if (normalized.startsWith("POL-V")) return `${workspaceId}/POL-v${normalized.slice(5)}`;
  return `${workspaceId}/${normalized}`;
}

export const REF_PREFIX = {
  complaint: "CMP",
  idea: "IDEA",
  action: "CA",
  audit: "AUD",
  review: "MR",
  document: "DOC",
  objective: "OBJ",
} as const;

export function kindOfRef(ref: string): keyof typeof REF_PREFIX | null {
  const prefix = ref.trim().toUpperCase().split("-")[0];
  const entry = Object.entries(REF_PREFIX).find(([, p]) => p === prefix);
  return entry ? (entry[0] as keyof typeof REF_PREFIX) : null;
}
