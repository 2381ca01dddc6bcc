import { TZDate } from "@date-fns/tz";
import { addDays, set, startOfDay } from "date-fns";

export interface WorkingHours {
  /** "09:00" */
  start: string;
  /** "17:00" */
  end: string;
  /** 0 = Sunday … 6 = Saturday */
  days: number[];
}

export const DEFAULT_WORKING_HOURS: WorkingHours = { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5] };

function validZone(tz: string): string {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return tz;
  } catch {
    return "UTC";
  }
}

const hm = (text: string) => {
  const [h = "0", m = "0"] = text.split(":");
  return { hours: Number(h), minutes: Number(m), seconds: 0, milliseconds: 0 };
};

/** `at` itself when it falls in the person's working hours, else the start of the next ones. */
export function nextWorkingMoment(at: Date, tz: string, hours: WorkingHours = DEFAULT_WORKING_HOURS): Date {
  const local = new TZDate(at.getTime(), validZone(tz));
  for (let i = 0; i < 8; i++) {
    const day = addDays(startOfDay(local), i);
    if (!hours.days.includes(day.getDay())) continue;
    const start = set(day, hm(hours.start));
    const end = set(day, hm(hours.end));
    if (local < start) return new Date(start.getTime());
    if (local < end) return at;
  }
  return at; // no working days configured: send now rather than never
}

/** The start of the working day `n` working days after `at`, in the person's time zone. */
export function addWorkingDays(
  at: Date,
  n: number,
  tz: string,
  hours: WorkingHours = DEFAULT_WORKING_HOURS,
): Date {
  let local = startOfDay(new TZDate(at.getTime(), validZone(tz)));
  let added = 0;
  for (let guard = 0; added < n && guard < n * 7 + 7; guard++) {
    local = addDays(local, 1);
    if (hours.days.includes(local.getDay())) added++;
  }
  return new Date(set(local, hm(hours.start)).getTime());
}

export function withinWorkingHours(
  at: Date,
  tz: string,
  hours: WorkingHours = DEFAULT_WORKING_HOURS,
): boolean {
  return nextWorkingMoment(at, tz, hours).getTime() === at.getTime();
}
