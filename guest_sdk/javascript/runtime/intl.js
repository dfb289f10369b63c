// `Intl` and the `toLocale*String` methods as Node gives them on Lambda (locale en-US, time
// zone UTC): StarlingMonkey is built without ICU, so `Intl` is missing and the engine's own
// toLocaleString formats like C's strftime. Numbers (decimal, percent, currency), dates and
// times in en-US's patterns (the numeric default, dateStyle/timeStyle, and the year, month,
// day, weekday, hour, minute, second options), in UTC: a function that asks for another time
// zone gets a RangeError saying so, never a time silently in the wrong zone. Other locales
// are formatted as en-US (their names are accepted).
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const SYMBOLS = { USD: "$", EUR: "€", GBP: "£", JPY: "¥", INR: "₹", CNY: "CN¥", CAD: "CA$", AUD: "A$" };
const UTC = new Set(["UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z", "ZULU", "UCT", "ETC/UCT", "UNIVERSAL"]);

function zone(tz) {
  if (tz === undefined) return "UTC";
  if (UTC.has(String(tz).toUpperCase())) return "UTC";
  throw new RangeError(`time zone "${tz}" is not available in wasmhost's JavaScript runtime (no ICU time zone `
    + "data): only UTC, Lambda's own time zone, is");
}

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

class DateTimeFormat {
  constructor(locale, options = {}, defaults = "date") {
    const timeZone = zone(options.timeZone);
    let o = { ...options };
    if (o.dateStyle || o.timeStyle) {
      o = { ...(o.dateStyle ? STYLES.date[o.dateStyle] : {}), ...(o.timeStyle ? STYLES.time[o.timeStyle] : {}),
        hour12: o.hour12, dateStyle: o.dateStyle, timeStyle: o.timeStyle };
    } else if (!["weekday", "year", "month", "day", "hour", "minute", "second"].some((k) => o[k] !== undefined)) {
      if (defaults !== "time") Object.assign(o, { year: "numeric", month: "numeric", day: "numeric" });
      if (defaults !== "date") Object.assign(o, { hour: "numeric", minute: "2-digit", second: "2-digit" });
    }
    this._o = { ...o, locale: "en-US", calendar: "gregory", numberingSystem: "latn", timeZone };
  }
  format(date) {
    const d = date === undefined ? new Date() : new Date(date);
    if (Number.isNaN(d.getTime())) throw new RangeError("Invalid time value");
    const o = this._o;
    const parts = [];
    const month = d.getUTCMonth(), day = d.getUTCDate(), year = d.getUTCFullYear();
    const y = o.year === "2-digit" ? two(year % 100) : o.year ? String(year) : "";
    if (o.month === "long" || o.month === "short") {
      const m = o.month === "long" ? MONTHS[month] : MONTHS[month].slice(0, 3);
      const md = o.day ? `${m} ${o.day === "2-digit" ? two(day) : day}` : m;
      parts.push(y ? `${md}, ${y}` : md);
    } else if (o.month || o.day || o.year) {
      const m = o.month === "2-digit" ? two(month + 1) : o.month ? String(month + 1) : "";
      const dd = o.day === "2-digit" ? two(day) : o.day ? String(day) : "";
      parts.push([m, dd, y].filter(Boolean).join("/"));
    }
    if (o.weekday) {
      const w = o.weekday === "long" ? DAYS[d.getUTCDay()] : DAYS[d.getUTCDay()].slice(0, 3);
      parts.length ? (parts[0] = `${w}, ${parts[0]}`) : parts.push(w);
    }
    if (o.hour || o.minute || o.second) {
      const h24 = d.getUTCHours();
      const h12 = o.hour12 !== false && o.hourCycle !== "h23";
      const hour = h12 ? (h24 % 12 || 12) : h24;
      let t = o.hour === "2-digit" || !h12 ? two(hour) : String(hour);
      if (o.minute) t += ":" + two(d.getUTCMinutes());
      if (o.second) t += ":" + two(d.getUTCSeconds());
      if (h12) t += h24 < 12 ? " AM" : " PM";
      if (o.timeZoneName) t += o.timeZoneName === "long" ? " Coordinated Universal Time" : " UTC";
      parts.push(t);
    }
    return parts.join(o.dateStyle === "full" || o.dateStyle === "long" ? " at " : ", ");
  }
  formatToParts(date) { return [{ type: "literal", value: this.format(date) }]; }
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
    Collator: callable(Collator), PluralRules: callable(PluralRules), getCanonicalLocales: (l) => [].concat(l || []) };
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
