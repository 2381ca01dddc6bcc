import { addDays, dayOf, timeOfDay, weekday } from "./zone.js";

export interface WorkingHours {
  /** "09:00" */
  start: string;
  /** "17:00" */
  end: string;
  /** 0 = Sunday … 6 = Saturday */
  days: number[];
}

export const DEFAULT_WORKING_HOURS: WorkingHours = { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5] };

/**
 * `at` itself when it falls in the person's working hours (in their zone, which the caller has
 * checked is a real one), else the start of their next working hours.
 */
export function nextWorkingMoment(at: Date, zone: string, hours: WorkingHours = DEFAULT_WORKING_HOURS): Date {
  const today = dayOf(at, zone);
  for (let i = 0; i < 8; i++) {
    const day = addDays(today, i);
    if (!hours.days.includes(weekday(day))) continue;
    const start = timeOfDay(day, hours.start, zone);
    const end = timeOfDay(day, hours.end, zone);
    if (at < start) return start;
    if (at < end) return at;
  }
  return at; // no working days configured: send now rather than never
}

/** The start of the working day `n` working days after the day `at` falls on, in `zone`. */
export function addWorkingDays(
  at: Date,
  n: number,
  zone: string,
  hours: WorkingHours = DEFAULT_WORKING_HOURS,
): Date {
  let day = dayOf(at, zone);
  let added = 0;
  for (let guard = 0; added < n && guard < n * 7 + 7; guard++) {
    day = addDays(day, 1);
    if (hours.days.includes(weekday(day))) added++;
  }
  return timeOfDay(day, hours.start, zone);
}

/** The working day an instant belongs to for someone in `zone`: the day of their next working moment. */
export function workingDayOf(at: Date, zone: string, hours: WorkingHours = DEFAULT_WORKING_HOURS): string {
  return dayOf(nextWorkingMoment(at, zone, hours), zone);
}

export function withinWorkingHours(
  at: Date,
  zone: string,
  hours: WorkingHours = DEFAULT_WORKING_HOURS,
): boolean {
  return nextWorkingMoment(at, zone, hours).getTime() === at.getTime();
}
