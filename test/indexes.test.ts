import { randomBytes } from "node:crypto";
import mongoose from "mongoose";
import { describe, expect, inject, it } from "vitest";
import { connectDatabase, ensureIndexes } from "../src/db/connection.js";
import { engineCaps } from "../src/db/engineCaps.js";
import {
  ContactModel as ConversationReferenceModel,
  DeliveryModel as ReminderDeliveryModel,
} from "../src/outbox/models.js";
import { useTestDatabase } from "./helpers/db.js";

const db = useTestDatabase();

const names = async (model: typeof ReminderDeliveryModel | typeof ConversationReferenceModel) =>
  (await model.collection.indexes()).map((i) => ({ key: i.key, unique: Boolean(i.unique) }));

describe("the indexes each engine gets", () => {
  it("on the embedded FerretDB: the unique ones only, an earlier version's others dropped, duplicates still refused", async () => {
    // What an earlier version left in an existing data directory.
    await ReminderDeliveryModel.collection.createIndex({ state: 1, notBefore: 1 });
    await ensureIndexes("ferretdb");
    expect(await names(ReminderDeliveryModel)).toEqual([{ key: { _id: 1 }, unique: false }]);
    expect(await names(ConversationReferenceModel)).toContainEqual({
      key: { workspaceId: 1, userId: 1 },
      unique: true,
    });
    const reference = {
      workspaceId: "slack:TIDX",
      userId: "U1",
      platform: "slack" as const,
      reference: {},
      updatedAt: new Date(),
    };
    await ConversationReferenceModel.create({ _id: "a", ...reference });
    await expect(ConversationReferenceModel.create({ _id: "b", ...reference })).rejects.toMatchObject({
      code: 11000,
    });
  });

  it("elsewhere (MongoDB): every index the models declare", async () => {
    await ensureIndexes("external");
    expect(await names(ReminderDeliveryModel)).toContainEqual({
      key: { state: 1, notBefore: 1 },
      unique: false,
    });
    expect(await names(ReminderDeliveryModel)).toHaveLength(4);
  });

  it("a MONGODB_URI that points at FerretDB gets the FerretDB paths (it says so in buildInfo); MongoDB keeps the plain ones", async () => {
    // The same server the suite runs on, reached as a user's MONGODB_URI would reach it.
    const dbName = `qops_uri_${randomBytes(3).toString("hex")}`;
    await mongoose.disconnect();
    try {
      await connectDatabase(db.uri, dbName, "external");
      const expected = inject("mongoEngine") === "ferretdb" ? "ferretdb" : "external";
      expect(engineCaps()).toEqual({ kind: expected, scansQueries: expected === "ferretdb" });
      await mongoose.connection.db?.dropDatabase();
    } finally {
      await mongoose.disconnect();
      await connectDatabase(db.uri, db.dbName, db.engine);
    }
  });
});
