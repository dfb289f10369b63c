// The IANA time zone database, carried by the functions that can use it: StarlingMonkey has no
// ICU, so the runtime formats zones from moment-timezone's packed build of tzdata (pinned in
// package-lock.json; runtime/timezones.js reads it). Kept in the runtime's snapshot, its 700 KB
// made every Node.js instance 2.4 MB larger and its start ~0.15-0.3 ms slower; as a string in
// the bundle, parsing it cost a cold start ~11 ms. Here it travels beside the bundle of a
// function whose code names `timeZone` (the option every Intl zone takes: luxon, date-fns-tz,
// dayjs's timezone plugin, toLocaleString(..., { timeZone })), a header line the runtime keeps
// as text until a zone is first named (~0.5 ms a cold start), and with no other function.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The database as one line of JSON when the bundle's `code` names timeZone, else null. */
export function zoneText(code) {
  if (!code.includes("timeZone")) return null;
  const { zones, links } = JSON.parse(readFileSync(require.resolve("moment-timezone/data/packed/latest.json"), "utf8"));
  return JSON.stringify({ zones, links });
}
