// `Intl` and the `toLocale*String` methods as Node gives them on Lambda (locale en-US, time
// zone UTC): StarlingMonkey is built without ICU, so `Intl` is missing and the engine's own
// toLocaleString formats like C's strftime. Numbers (decimal, percent, currency), dates and
// times in en-US's patterns (the numeric default, dateStyle/timeStyle, and the year, month,
// day, weekday, era, hour, minute, second and timeZoneName options, also as formatToParts),
// in UTC or in any IANA time zone (timezones.js); a zone the database lacks is V8's
// RangeError. Other locales are formatted as en-US (their names are accepted).
import { findZone, zoneAt, zoneData, zoneNames } from "./timezones.js";

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const SYMBOLS = { USD: "$", EUR: "€", GBP: "£", JPY: "¥", INR: "₹", CNY: "CN¥", CAD: "CA$", AUD: "A$" };
const UTC = new Set(["UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z", "ZULU", "UCT", "ETC/UCT", "UNIVERSAL"]);

function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

class NumberFormat {
  constructor(locale, options = {}) {
    const style = options.style || "decimal";
    const currency = options.currency && String(options.currency).toUpperCase();
    if (style === "currency" && !currency) throw new TypeError("Currency code is required with currency style.");
    const fixed = style === "currency" ? (currency === "JPY" ? 0 : 2) : 0;
    const min = options.minimumFractionDigits ?? fixed;
    const max = options.maximumFractionDigits ?? Math.max(min, style === "decimal" ? 3 : fixed);
    this._o = { locale: "en-US", numberingSystem: "latn", style, currency, minimumIntegerDigits:
      options.minimumIntegerDigits ?? 1, minimumFractionDigits: min, maximumFractionDigits: max,
      useGrouping: options.useGrouping ?? true, notation: "standard", signDisplay: options.signDisplay || "auto" };
  }
  format(value) {
    const o = this._o;
    let n = Number(value);
    if (o.style === "percent") n *= 100;
    if (!Number.isFinite(n)) return Number.isNaN(n) ? "NaN" : (n < 0 ? "-∞" : "∞");
    let [int, frac = ""] = Math.abs(n).toFixed(o.maximumFractionDigits).split(".");
    frac = frac.replace(/0+$/, "");
    while (frac.length < o.minimumFractionDigits) frac += "0";
    int = int.padStart(o.minimumIntegerDigits, "0");
    let text = (o.useGrouping ? group(int) : int) + (frac ? "." + frac : "");
    if (o.style === "percent") text += "%";
    if (o.style === "currency") text = (SYMBOLS[o.currency] || o.currency + "\u00a0") + text;
    const negative = n < 0 && Number(text.replace(/[^0-9]/g, "")) !== 0;
    return (negative ? "-" : o.signDisplay === "always" || (o.signDisplay === "exceptZero" && n > 0) ? "+" : "") + text;
  }
  formatToParts(value) { return [{ type: "literal", value: this.format(value) }]; }
  resolvedOptions() { return { ...this._o }; }
}

const two = (n) => String(n).padStart(2, "0");
const STYLES = {
  date: { full: { weekday: "long", year: "numeric", month: "long", day: "numeric" },
    long: { year: "numeric", month: "long", day: "numeric" },
    medium: { year: "numeric", month: "short", day: "numeric" },
    short: { year: "2-digit", month: "numeric", day: "numeric" } },
  time: { full: { hour: "numeric", minute: "2-digit", second: "2-digit", timeZoneName: "long" },
    long: { hour: "numeric", minute: "2-digit", second: "2-digit", timeZoneName: "short" },
    medium: { hour: "numeric", minute: "2-digit", second: "2-digit" },
    short: { hour: "numeric", minute: "2-digit" } },
};
// en-US's names of zones (ICU's metazones): short names only for North America's, as ICU's
// en-US has; any other zone is named by its offset (GMT+1), as Node does
const NAMES = { EST: "Eastern Standard Time", EDT: "Eastern Daylight Time", CST: "Central Standard Time",
  CDT: "Central Daylight Time", MST: "Mountain Standard Time", MDT: "Mountain Daylight Time",
  PST: "Pacific Standard Time", PDT: "Pacific Daylight Time", AKST: "Alaska Standard Time",
  AKDT: "Alaska Daylight Time", HST: "Hawaii-Aleutian Standard Time", HDT: "Hawaii-Aleutian Daylight Time",
  AST: "Atlantic Standard Time", ADT: "Atlantic Daylight Time" };
const LONG_ONLY = { GMT: "Greenwich Mean Time", BST: "British Summer Time", IST: "India Standard Time",
  CET: "Central European Standard Time", CEST: "Central European Summer Time", EET: "Eastern European Standard Time",
  EEST: "Eastern European Summer Time", WET: "Western European Standard Time", WEST: "Western European Summer Time",
  JST: "Japan Standard Time", KST: "Korean Standard Time", AEST: "Australian Eastern Standard Time",
  AEDT: "Australian Eastern Daylight Time", NZST: "New Zealand Standard Time", NZDT: "New Zealand Daylight Time",
  SAST: "South Africa Standard Time" };

function gmt(minutes, long) {
  const sign = minutes < 0 ? "-" : "+", h = Math.floor(Math.abs(minutes) / 60), m = Math.abs(minutes) % 60;
  return long ? `GMT${sign}${two(h)}:${two(m)}` : `GMT${sign}${h}${m ? ":" + two(m) : ""}`;
}

// (GMT+0 and GMT+00:00 as offsets, GMT as a name)
function zoneName(style, minutes, abbr, utc) {
  if (style === "shortOffset" || style === "longOffset") return gmt(minutes, style === "longOffset");
  if (utc) return style === "long" ? "Coordinated Universal Time" : "UTC";
  if (style === "long" || style === "longGeneric") {
    return NAMES[abbr] || (LONG_ONLY[abbr] && !(abbr === "IST" && minutes !== 330) ? LONG_ONLY[abbr] : gmt(minutes, true));
  }
  return NAMES[abbr] ? abbr : minutes === 0 ? "GMT" : gmt(minutes, false);
}

// The zone an option names: UTC's names at once, else the IANA database (loaded when first
// needed), a name it lacks a RangeError in V8's words
function zone(tz) {
  if (tz === undefined || UTC.has(String(tz).toUpperCase())) return null;
  const found = findZone(tz);
  if (!found) {
    throw new RangeError(`Invalid time zone specified: ${tz}${zoneData() ? "" : " (wasmhost bundles the IANA time zone "
      + "database into a function whose code names timeZone; this one's does not)"}`);
  }
  return found;
}

class DateTimeFormat {
  constructor(locale, options = {}, defaults = "date") {
    this._zone = zone(options.timeZone);
    let o = { ...options };
    if (o.dateStyle || o.timeStyle) {
      o = { ...(o.dateStyle ? STYLES.date[o.dateStyle] : {}), ...(o.timeStyle ? STYLES.time[o.timeStyle] : {}),
        hour12: o.hour12, hourCycle: o.hourCycle, dateStyle: o.dateStyle, timeStyle: o.timeStyle };
    } else if (!["weekday", "year", "month", "day", "hour", "minute", "second"].some((k) => o[k] !== undefined)) {
      if (defaults !== "time") Object.assign(o, { year: "numeric", month: "numeric", day: "numeric" });
      if (defaults !== "date") Object.assign(o, { hour: "numeric", minute: "2-digit", second: "2-digit" });
    }
    this._o = { ...o, locale: "en-US", calendar: "gregory", numberingSystem: "latn",
      timeZone: this._zone ? this._zone.name : "UTC" };
  }
  // Node 20's V8 writes a plain space before AM/PM in format()'s text, ICU's narrow one in the parts
  format(date) {
    return this.formatToParts(date).map((p) => (p.value === "\u202f" ? " " : p.value)).join("");
  }
  // en-US's patterns as ICU writes them, part by part (date-fns-tz, luxon and dayjs read the parts)
  formatToParts(date) {
    const at = date === undefined ? Date.now() : new Date(date).getTime();
    if (Number.isNaN(at)) throw new RangeError("Invalid time value");
    const here = this._zone ? zoneAt(this._zone, at) : { minutes: 0, abbr: "UTC" };
    const d = new Date(at + here.minutes * 60000); // the zone's wall time, read through getUTC*
    const o = this._o;
    const parts = [];
    const add = (type, value) => parts.push({ type, value });
    const month = d.getUTCMonth(), day = d.getUTCDate(), year = d.getUTCFullYear();
    const y = o.year === "2-digit" ? two(year % 100) : o.year ? String(year) : "";
    const era = () => o.era && y && (add("literal", " "), add("era", o.era === "long" ? "Anno Domini" : o.era === "narrow" ? "A" : "AD"));
    if (o.weekday) {
      add("weekday", o.weekday === "long" ? DAYS[d.getUTCDay()] : DAYS[d.getUTCDay()].slice(0, 3));
      if (o.month || o.day || o.year) add("literal", ", ");
    }
    if (o.month === "long" || o.month === "short") {
      add("month", o.month === "long" ? MONTHS[month] : MONTHS[month].slice(0, 3));
      if (o.day) add("literal", " "), add("day", o.day === "2-digit" ? two(day) : String(day));
      if (y) add("literal", o.day ? ", " : " "), add("year", y), era();
    } else if (o.month || o.day || o.year) {
      const fields = [["month", o.month === "2-digit" ? two(month + 1) : o.month ? String(month + 1) : ""],
        ["day", o.day === "2-digit" ? two(day) : o.day ? String(day) : ""], ["year", y]].filter(([, v]) => v);
      fields.forEach(([type, value], i) => (i && add("literal", "/"), add(type, value)));
      era();
    }
    const time = o.hour || o.minute || o.second;
    if (time || o.timeZoneName) {
      if (parts.length) add("literal", o.month === "long" ? " at " : ", "); // ICU's glue for a long date
    }
    if (time) {
      const h24 = d.getUTCHours();
      const h12 = o.hourCycle ? o.hourCycle === "h12" || o.hourCycle === "h11" : o.hour12 !== false;
      // hour12: false is ICU's "kk" in en-US: midnight is 24 (Node 20 writes 24:00:00)
      const hour = h12 ? (h24 % 12 || 12) : o.hourCycle === undefined && h24 === 0 ? 24 : h24;
      if (o.hour) add("hour", o.hour === "2-digit" || !h12 ? two(hour) : String(hour));
      if (o.minute) (o.hour && add("literal", ":")), add("minute", two(d.getUTCMinutes()));
      if (o.second) (o.hour || o.minute) && add("literal", ":"), add("second", two(d.getUTCSeconds()));
      if (h12 && o.hour) add("literal", "\u202f"), add("dayPeriod", h24 < 12 ? "AM" : "PM");
    }
    if (o.timeZoneName) {
      if (time) add("literal", " ");
      add("timeZoneName", zoneName(o.timeZoneName, here.minutes, here.abbr, !this._zone));
    }
    return parts;
  }
  resolvedOptions() { return { ...this._o }; }
}

class Collator {
  constructor(locale, options = {}) { this._o = { locale: "en-US", sensitivity: options.sensitivity || "variant" }; }
  compare = (a, b) => {
    const base = this._o.sensitivity === "base" || this._o.sensitivity === "accent";
    return base ? String(a).toLowerCase().localeCompare(String(b).toLowerCase()) : String(a).localeCompare(String(b));
  };
  resolvedOptions() { return { ...this._o }; }
}

class PluralRules {
  constructor(locale, options = {}) { this._type = options.type || "cardinal"; }
  select(n) {
    if (this._type !== "ordinal") return Number(n) === 1 ? "one" : "other";
    const t = n % 10, h = n % 100;
    return t === 1 && h !== 11 ? "one" : t === 2 && h !== 12 ? "two" : t === 3 && h !== 13 ? "few" : "other";
  }
}

// en-US's list patterns (got words its option errors with one): [between two, between others, before the last]
const LISTS = { conjunction: { long: [" and ", ", ", ", and "], short: [" & ", ", ", ", & "], narrow: [", ", ", ", ", "] },
  disjunction: { long: [" or ", ", ", ", or "], short: [" or ", ", ", ", or "], narrow: [" or ", ", ", ", or "] },
  unit: { long: [", ", ", ", ", "], short: [", ", ", ", ", "], narrow: [" ", " ", " "] } };

class ListFormat {
  constructor(locale, options = {}) {
    const type = options.type || "conjunction", style = options.style || "long";
    if (!LISTS[type]) throw new RangeError(`Value ${type} out of range for Intl.ListFormat options property type`);
    if (!LISTS[type][style]) throw new RangeError(`Value ${style} out of range for Intl.ListFormat options property style`);
    this._o = { locale: "en-US", type, style };
  }
  formatToParts(list) {
    const items = [...list].map(String), [two, middle, last] = LISTS[this._o.type][this._o.style];
    return items.flatMap((value, i) => {
      const glue = i === 0 ? [] : [{ type: "literal", value: items.length === 2 ? two : i === items.length - 1 ? last : middle }];
      return [...glue, { type: "element", value }];
    });
  }
  format(list) { return this.formatToParts(list).map((p) => p.value).join(""); }
  resolvedOptions() { return { ...this._o }; }
}

// `Intl.DateTimeFormat()` works without `new` too (handlers log its resolvedOptions().timeZone)
function callable(C) {
  function F(...args) { return new C(...args); }
  F.prototype = C.prototype;
  F.supportedLocalesOf = (locales) => [].concat(locales || []);
  return F;
}

export function installIntl() {
  if (globalThis.Intl !== undefined) return;
  globalThis.Intl = { NumberFormat: callable(NumberFormat), DateTimeFormat: callable(DateTimeFormat),
    Collator: callable(Collator), PluralRules: callable(PluralRules), ListFormat, getCanonicalLocales: (l) => [].concat(l || []),
    supportedValuesOf: (key) => (key === "timeZone" ? zoneNames() : []) };
  const dateWith = (kind) => function (locale, options) {
    return new DateTimeFormat(locale, options, kind).format(this);
  };
  Date.prototype.toLocaleString = dateWith("both");
  Date.prototype.toLocaleDateString = dateWith("date");
  Date.prototype.toLocaleTimeString = dateWith("time");
  Number.prototype.toLocaleString = function (locale, options) {
    return new NumberFormat(locale, options).format(this);
  };
}
