// IANA time zones as handlers use them, run in the sandbox and by plain Node 20
// (tests/runtimes/test_js_timezones.py): Intl.DateTimeFormat and toLocaleString with a
// timeZone (format and formatToParts over a matrix of options, zones and instants across
// DST changes), and the libraries that build on them: date-fns-tz, dayjs's timezone
// plugin, luxon.
const { formatInTimeZone, toZonedTime, fromZonedTime } = require("date-fns-tz");
const dayjs = require("dayjs");
const { DateTime } = require("luxon");
dayjs.extend(require("dayjs/plugin/utc"));
dayjs.extend(require("dayjs/plugin/timezone"));

const ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Paris", "Asia/Kolkata",
  "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo", "Pacific/Chatham", "US/Eastern", "america/chicago", "UTC",
  "America/Grand_Turk"]; // (its packed changes sum to a hair past the instant: the change's own millisecond)
// a winter and a summer instant, midnight in New York, and the hour before and after
// New York's spring-forward and fall-back, and the instants of both
const INSTANTS = ["2024-01-15T12:34:56Z", "2024-07-04T23:05:09Z", "2024-03-10T05:00:00Z", "2024-03-10T06:59:59Z",
  "2024-03-10T07:00:00Z", "2024-11-03T05:30:00Z", "2024-11-03T06:00:00Z", "2024-11-03T06:30:00Z",
  "1999-12-31T23:59:59Z"];
const OPTIONS = [
  {},
  { dateStyle: "full", timeStyle: "long" },
  { dateStyle: "medium", timeStyle: "short" },
  { hour12: false, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", era: "short" },
  { hourCycle: "h23", year: "numeric", month: "numeric", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" },
  { weekday: "short", month: "short", day: "numeric", hour: "numeric", timeZoneName: "short" },
  { timeZoneName: "shortOffset" },
  { timeZoneName: "longOffset", hour: "2-digit", minute: "2-digit" },
  { year: "numeric", month: "long", timeZoneName: "short" },
];

exports.handler = async () => {
  const intl = [];
  for (const timeZone of ZONES) {
    for (const options of OPTIONS) {
      const f = new Intl.DateTimeFormat("en-US", { ...options, timeZone });
      intl.push([timeZone, f.resolvedOptions().timeZone, ...INSTANTS.map((t) => f.format(new Date(t))),
        f.formatToParts(new Date(INSTANTS[1]))]);
    }
    intl.push(INSTANTS.map((t) => [new Date(t).toLocaleString("en-US", { timeZone }),
      new Date(t).toLocaleDateString("en-US", { timeZone }), new Date(t).toLocaleTimeString("en-US", { timeZone })]));
  }
  let unknown;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: "Mars/Olympus_Mons" });
  } catch (e) {
    unknown = `${e.name}: ${e.message}`;
  }
  const t = new Date("2024-03-10T06:30:00Z");
  return {
    intl, unknown,
    dateFnsTz: [formatInTimeZone(t, "America/New_York", "yyyy-MM-dd HH:mm:ss zzz"),
      formatInTimeZone(t, "Asia/Kolkata", "yyyy-MM-dd HH:mm XXX"), toZonedTime(t, "Europe/Paris").toISOString(),
      fromZonedTime("2024-07-01 12:00", "America/Los_Angeles").toISOString()],
    dayjs: [dayjs.utc(t).tz("America/New_York").format(), dayjs.tz("2024-07-01 12:00", "Asia/Tokyo").toISOString(),
      dayjs.utc(t).tz("Australia/Sydney").format("YYYY-MM-DD HH:mm Z")],
    luxon: [DateTime.fromJSDate(t).setZone("America/New_York").toISO(), DateTime.fromJSDate(t).setZone("Asia/Kolkata").toFormat("ff ZZZZ"),
      DateTime.fromISO("2024-11-03T01:30", { zone: "America/Chicago" }).toISO(), DateTime.fromJSDate(t).setZone("Nowhere/Land").isValid],
  };
};
