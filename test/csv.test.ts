import { describe, expect, it } from "vitest";
import type { Acknowledgement } from "../src/records/policy/model.js";
import { type PolicyStatus, policyStatusCsv } from "../src/records/policy/status.js";

const status = (names: string[]): PolicyStatus =>
  ({
    policy: { ref: "POL-v2" },
    members: names.length + 1,
    acknowledged: 1,
    rate: 1 / (names.length + 1),
    missing: names.map((name, i) => ({ userId: `U${i}`, name })),
    acknowledgements: [
      {
        member: { id: "UACK", name: "Ada, Quality" },
        acknowledgedAt: new Date("2026-03-02T10:00:00Z"),
        contentHash: "ab12",
      } as Acknowledgement,
    ],
  }) as unknown as PolicyStatus;

describe("the acknowledgement CSV an auditor opens in a spreadsheet", () => {
  it("keeps a name that looks like a formula as text, and quotes commas, quotes, CR and LF", () => {
    const csv = policyStatusCsv(
      status(['=HYPERLINK("https://evil.example","x")', "+1-555", "@SUM(A1)", "Line\r\nBreak", 'Say "hi"']),
    );
    const lines = csv.split("\n");
    expect(lines[0]).toBe("policy,member_id,name,acknowledged_at,content_hash");
    expect(lines[1]).toBe('POL-v2,UACK,"Ada, Quality",2026-03-02T10:00:00.000Z,ab12');
    // A cell a spreadsheet would run starts with a quote mark: shown, never evaluated.
    expect(csv).toContain(`POL-v2,U0,"'=HYPERLINK(""https://evil.example"",""x"")",,`);
    expect(csv).toContain("POL-v2,U1,'+1-555,,");
    expect(csv).toContain("POL-v2,U2,'@SUM(A1),,");
    expect(csv).toContain('POL-v2,U3,"Line\r\nBreak",,');
    expect(csv).toContain('POL-v2,U4,"Say ""hi""",,');
    expect(csv).not.toMatch(/(^|,)[=+@-][^,]*HYPERLINK/m);
  });
});
