/** Where QOps's own web server is reached from outside, and how long a download link holds. */
export interface EvidenceSettings {
  publicUrl: string;
  /** Set by QOPS_PUBLIC_URL (not guessed): chat platforms may fetch from it (chart images). */
  publicUrlSet: boolean;
  linkHours: number;
}

let settings: EvidenceSettings = { publicUrl: "http://localhost:3000", publicUrlSet: false, linkHours: 24 };

export function setEvidenceSettings(next: EvidenceSettings): void {
  settings = { ...next, publicUrl: next.publicUrl.replace(/\/+$/, "") };
}

export const evidenceSettings = (): EvidenceSettings => settings;

export const DOWNLOAD_PATH = "/evidence/download";
export const DOWNLOAD_PURPOSE = "evidence-pack-download";
