import { describe, expect, it } from "vitest";
import { setDbLogger } from "../src/db/warnings.js";
import { zoneOf } from "../src/records/workspace/access.js";
import type { Workspace } from "../src/records/workspace/model.js";
import { capturingLogger } from "./helpers/logs.js";

describe("a workspace's zone", () => {
  it("a stored value that is not a zone counts in UTC and is logged once, never silently", () => {
    const logs: Record<string, unknown>[] = [];
    setDbLogger(capturingLogger(logs));
    const broken = { workspaceId: "slack:TZONES", timezone: "Mars/Olympus_Mons" } as Workspace;
    expect(zoneOf(broken)).toBe("UTC");
    expect(zoneOf(broken)).toBe("UTC");
    const warned = logs.filter((l) => String(l.msg).includes("not a zone"));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ workspaceId: "slack:TZONES", timezone: "Mars/Olympus_Mons" });

    expect(zoneOf({ workspaceId: "slack:TZONES2", timezone: "Pacific/Auckland" } as Workspace)).toBe(
      "Pacific/Auckland",
    );
    expect(logs.filter((l) => String(l.msg).includes("not a zone"))).toHaveLength(1);
  });
});
