// HTTP clients as handlers use them, run in the sandbox and by plain Node 20
// (tests/runtimes/test_js_libraries.py): got, axios, superagent and node-fetch 3 against a
// local server (the event's url): a JSON GET, a JSON POST, a 404 and a refused connection
// (a port nothing listens on), each answer or error as the client words it.
import got from "got";
import axios from "axios";
import request from "superagent";
import fetch from "node-fetch";

const seen = (echo) => [echo.method, echo.path, echo.body, echo.headers["Content-Type"] || null];
const failure = (e) => [e.name, e.code ?? null, e.message.replace(/127\.0\.0\.1:\d+/g, "HOST")];

export const handler = async ({ url, closed }) => {
  const out = {};
  out.got = [seen(await got(`${url}/echo?a=1`).json()), seen(await got.post(`${url}/echo`, { json: { b: 2 } }).json())];
  for (const target of [`${url}/missing`, closed]) {
    try { await got(target, { retry: { limit: 0 } }); } catch (e) { out.got.push(failure(e)); }
  }
  out.axios = [seen((await axios.get(`${url}/echo?a=1`)).data), seen((await axios.post(`${url}/echo`, { b: 2 })).data)];
  for (const target of [`${url}/missing`, closed]) {
    try { await axios.get(target); } catch (e) { out.axios.push([...failure(e), e.response?.status ?? null]); }
  }
  out.superagent = [seen((await request.get(`${url}/echo?a=1`)).body), seen((await request.post(`${url}/echo`).send({ b: 2 })).body)];
  for (const target of [`${url}/missing`, closed]) {
    try { await request.get(target); } catch (e) { out.superagent.push([e.status ?? null, e.code ?? null]); }
  }
  const r = await fetch(`${url}/echo?a=1`, { method: "POST", body: JSON.stringify({ b: 2 }), headers: { "Content-Type": "application/json" } });
  out.nodeFetch = [r.status, r.headers.get("content-type"), seen(await r.json()), (await fetch(`${url}/missing`)).status];
  try { await fetch(closed); } catch (e) { out.nodeFetch.push([...failure(e), e.type]); }
  return out;
};
