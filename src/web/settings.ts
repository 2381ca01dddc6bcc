/** Where QOps's own web server is reached from outside, and how long its evidence links hold. */
export interface WebSettings {
  publicUrl: string;
  /** Set by QOPS_PUBLIC_URL (not guessed): chat platforms may fetch from it (chart images). */
  publicUrlSet: boolean;
  /** QOPS_EVIDENCE_LINK_HOURS: how long an evidence pack's download link works. */
  linkHours: number;
}

let settings: WebSettings = { publicUrl: "http://localhost:3000", publicUrlSet: false, linkHours: 24 };

export function setWebSettings(next: WebSettings): void {
  settings = { ...next, publicUrl: next.publicUrl.replace(/\/+$/, "") };
}

export const webSettings = (): WebSettings => settings;
