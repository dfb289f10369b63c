// IANA time zones for Intl.DateTimeFormat's `timeZone` (StarlingMonkey has no ICU, so no zone
// data): the IANA database as moment-timezone packs it (a well-kept build of tzdata), which
// comes with the bundle of a function whose code names `timeZone` (zone_data.mjs: a header
// line runtime.js hands over as text) and is parsed when the function first names a zone
// other than UTC (~25 ms, once per instance). A zone is its offsets and abbreviations with the
// instants they change at (moment-timezone's build runs its rules to 2499; later instants keep
// the last offset).
import { ICU_NAMES } from "./icu_zone_names.js";

let text = null; // the database's JSON, when the function's bundle carries it
let names = null; // lower-case name -> [the name as spelled, its packed line or the zone it links to]
let icu = null; // IANA name -> the name Node reports for it
const zones = new Map(); // lower-case name -> unpacked zone

// moment-timezone's packing: numbers in base 60 (0-9, a-z, A-X) with a base-60 fraction
function base60(text) {
  const [whole, fraction = ""] = text.replace(/^-/, "").split(".");
  const digit = (c) => (c > 96 ? c - 87 : c > 64 ? c - 29 : c - 48);
  let value = 0;
  for (let i = 0; i < whole.length; i++) value = value * 60 + digit(whole.charCodeAt(i));
  for (let i = 0, scale = 1 / 60; i < fraction.length; i++, scale /= 60) value += digit(fraction.charCodeAt(i)) * scale;
  return text[0] === "-" ? -value : value;
}

function table() {
  if (names) return names;
  const data = text ? JSON.parse(text) : { zones: [], links: [] };
  names = new Map();
  for (const line of data.zones) {
    const name = line.slice(0, line.indexOf("|"));
    names.set(name.toLowerCase(), [name, line]);
  }
  for (const link of data.links) {
    const [target, alias] = link.split("|");
    names.set(alias.toLowerCase(), [alias, target]);
  }
  icu = new Map(Object.entries(ICU_NAMES).flatMap(([name, iana]) => iana.split(" ").map((n) => [n, name])));
  return names;
}

function unpack(name, line) {
  const [, abbrs, offsets, indices, untils = ""] = line.split("|");
  const offset = offsets.split(" ").map(base60);
  const abbr = abbrs.split(" ");
  const periods = [...indices].map((c) => base60(c));
  const ends = [];
  let at = 0; // minutes, with base-60 fractions: rounded to whole milliseconds, or a change that
  // sums to a hair past its instant gives that instant's millisecond the old offset
  for (const diff of untils ? untils.split(" ") : []) ends.push(Math.round((at += base60(diff)) * 60000));
  // period i runs until ends[i] (the last one for ever), at UTC+minutes (moment counts west)
  return { name: icu.get(name) || name, ends, minutes: periods.map((i) => -offset[i]), abbrs: periods.map((i) => abbr[i]) };
}

/** The database's JSON, from the function's bundle (runtime.js, at init). */
export function setZoneData(json) {
  text = json;
}

/** Whether the function's bundle carries the database (its code names timeZone). */
export const zoneData = () => text !== null;

/** The zone named `name` (any case, links followed), or null when the database has none. */
export function findZone(name) {
  const key = String(name).toLowerCase();
  let zone = zones.get(key);
  if (zone) return zone;
  const found = table().get(key);
  if (found === undefined) return null;
  const [spelled, entry] = found;
  zone = unpack(spelled, entry.includes("|") ? entry : names.get(entry.toLowerCase())[1]);
  zones.set(key, zone);
  return zone;
}

/** Where `ms` (UTC milliseconds) falls in `zone`: its UTC offset in minutes and abbreviation. */
export function zoneAt(zone, ms) {
  let lo = 0, hi = zone.ends.length; // the first period ending after ms
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (zone.ends[mid] <= ms) lo = mid + 1;
    else hi = mid;
  }
  const i = Math.min(lo, zone.minutes.length - 1);
  return { minutes: zone.minutes[i], abbr: zone.abbrs[i] };
}

/** Every zone's canonical name, sorted (Intl.supportedValuesOf("timeZone")). */
export function zoneNames() {
  return [...table().values()].filter(([, entry]) => entry.includes("|")).map(([name]) => name).sort();
}
