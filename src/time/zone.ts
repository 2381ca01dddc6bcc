import { TZDate } from "@date-fns/tz";

/**
 * Dates in named time zones. Nothing here reads the server's zone: a calendar day is a string
 * ("2026-05-10") that means the same everywhere, and an instant becomes a day only in a zone
 * that is named.
 */
export type Day = string;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for an IANA zone name Intl knows ("Europe/Berlin", "UTC"). */
export function isZone(zone: string | null | undefined): zone is string {
  if (!zone) return false;
  let known = zoneNames.get(zone);
  if (known === undefined) {
    // Building a format is the check, and it is slow: every register line asks it.
    try {
      new Intl.DateTimeFormat("en", { timeZone: zone });
      known = true;
    } catch {
      known = false;
    }
    if (zoneNames.size >= 1_000) zoneNames.clear();
    zoneNames.set(zone, known);
  }
  return known;
}
const zoneNames = new Map<string, boolean>();

/** "2026-05-10" when the text is a real calendar day, else null (no 2026-02-30, no 10/05/2026). */
export function parseDay(text: string | null | undefined): Day | null {
  const match = DAY.exec((text ?? "").trim());
  if (!match) return null;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  if (y < 1970 || y > 2999) return null;
  return (text ?? "").trim();
}

/** The calendar day an instant falls on in a zone. */
export function dayOf(at: Date, zone: string): Day {
  const key = `${zone} ${at.getTime()}`;
  let day = daysOf.get(key);
  if (day === undefined) {
    // Asked for the same instants again and again (each register line's due day): remembered.
    const local = new TZDate(at.getTime(), zone);
    day = `${local.getFullYear()}-${pad(local.getMonth() + 1)}-${pad(local.getDate())}`;
    if (daysOf.size >= 10_000) daysOf.clear();
    daysOf.set(key, day);
  }
  return day;
}
const daysOf = new Map<string, Day>();

/** The instant a day starts in a zone (00:00 there; the first moment of the day on a DST change). */
export function startOfDay(day: Day, zone: string): Date {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(new TZDate(y, m - 1, d, 0, 0, 0, 0, zone).getTime());
}

/** The instant a clock time ("09:00") of a day is in a zone. */
export function timeOfDay(day: Day, hhmm: string, zone: string): Date {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const [h = 0, min = 0] = hhmm.split(":").map(Number);
  return new Date(new TZDate(y, m - 1, d, h, min, 0, 0, zone).getTime());
}

/** Calendar arithmetic on days: no zone, no daylight-saving surprises. */
export function addDays(day: Day, n: number): Day {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d + n));
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

export function addMonths(day: Day, n: number): Day {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + n, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return `${first.getUTCFullYear()}-${pad(first.getUTCMonth() + 1)}-${pad(Math.min(d, last))}`;
}

/** Whole days from `a` to `b` (b later: positive). */
export function daysBetween(a: Day, b: Day): number {
  const ms = (day: Day) => {
    const [y, m, d] = day.split("-").map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((ms(b) - ms(a)) / 86_400_000);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: Day): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** The local year, month (1–12), hour and minute of an instant in a zone. */
export function localParts(at: Date, zone: string) {
  const local = new TZDate(at.getTime(), zone);
  return {
    year: local.getFullYear(),
    month: local.getMonth() + 1,
    hour: local.getHours(),
    minute: local.getMinutes(),
    weekday: local.getDay(),
  };
}

const dayFormat = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  year: "numeric",
  timeZone: "UTC",
});

/** "10 May 2026": a day reads the same in every zone. */
export function formatDay(day: Day): string {
  let text = dayTexts.get(day);
  if (text === undefined) {
    const [y, m, d] = day.split("-").map(Number) as [number, number, number];
    text = dayFormat.format(new Date(Date.UTC(y, m - 1, d)));
    // A register names the same few hundred days over and over; formatting is the slow part.
    if (dayTexts.size >= 5_000) dayTexts.clear();
    dayTexts.set(day, text);
  }
  return text;
}
const dayTexts = new Map<string, string>();

const instantFormats = new Map<string, Intl.DateTimeFormat>();

/** "10 May 2026, 14:05 CEST": an instant as a reader in `zone` sees it, with the zone named. */
export function formatInstant(at: Date, zone: string): string {
  let format = instantFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: zone,
      timeZoneName: "short",
    });
    instantFormats.set(zone, format);
  }
  return format.format(at);
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
