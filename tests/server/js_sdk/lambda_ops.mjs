// Drives the Lambda API with the AWS SDK for JavaScript v3, one step per operation.
// Usage: node lambda_ops.mjs <endpoint> <zip base64>; prints one JSON line per step.
import * as L from "@aws-sdk/client-lambda";

const [endpoint, zipB64] = process.argv.slice(2);
const zip = Buffer.from(zipB64, "base64");
const c = new L.LambdaClient({ endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "x", secretAccessKey: "x" } });
const fn = "jsfn";
const arn = `arn:aws:lambda:us-east-1:000000000000:function:${fn}`;
const results = [];
async function step(name, cmd, check = () => true) {
  try {
    const out = await c.send(cmd);
    const ok = check(out);
    results.push({ name, ok: !!ok, detail: ok ? undefined : JSON.stringify(out).slice(0, 300) });
    return out;
  } catch (e) {
    results.push({ name, ok: false, detail: `${e.name}: ${e.message}`.slice(0, 300) });
  }
}
const layerZip = zip;
const layer = await step("PublishLayerVersion", new L.PublishLayerVersionCommand({ LayerName: "jslayer", Content: { ZipFile: layerZip } }), o => o.Version === 1);
await step("GetLayerVersion", new L.GetLayerVersionCommand({ LayerName: "jslayer", VersionNumber: 1 }), o => o.Version === 1);
await step("GetLayerVersionByArn", new L.GetLayerVersionByArnCommand({ Arn: layer?.LayerVersionArn }), o => o.Version === 1);
await step("ListLayers", new L.ListLayersCommand({}), o => o.Layers.length >= 1);
await step("ListLayerVersions", new L.ListLayerVersionsCommand({ LayerName: "jslayer" }), o => o.LayerVersions.length === 1);
await step("CreateFunction", new L.CreateFunctionCommand({ FunctionName: fn, Runtime: "provided.al2023", Role: "arn:aws:iam::000000000000:role/r",
  Handler: "echo.wasm", Code: { ZipFile: zip }, Tags: { a: "b" }, Layers: [layer?.LayerVersionArn] }), o => o.State === "Active");
try { await L.waitUntilFunctionActiveV2({ client: c, maxWaitTime: 20 }, { FunctionName: fn }); results.push({ name: "waitUntilFunctionActiveV2", ok: true }); }
catch (e) { results.push({ name: "waitUntilFunctionActiveV2", ok: false, detail: String(e) }); }
await step("GetFunction", new L.GetFunctionCommand({ FunctionName: fn }), o => o.Configuration.FunctionName === fn);
await step("GetFunctionConfiguration", new L.GetFunctionConfigurationCommand({ FunctionName: fn }), o => o.Layers?.length === 1);
await step("ListFunctions", new L.ListFunctionsCommand({}), o => o.Functions.some(f => f.FunctionName === fn));
const inv = await step("Invoke", new L.InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"js": 1}'), LogType: "Tail" }),
  o => Buffer.from(o.Payload).toString() === '{"js": 1}' && o.LogResult);
await step("InvokeEvent", new L.InvokeCommand({ FunctionName: fn, InvocationType: "Event", Payload: Buffer.from("{}") }), o => o.StatusCode === 202);
await step("InvokeAsync", new L.InvokeAsyncCommand({ FunctionName: fn, InvokeArgs: Buffer.from("{}") }), o => o.Status === 202);
await step("UpdateFunctionConfiguration", new L.UpdateFunctionConfigurationCommand({ FunctionName: fn, Timeout: 7 }), o => o.Timeout === 7);
await step("UpdateFunctionCode", new L.UpdateFunctionCodeCommand({ FunctionName: fn, ZipFile: zip }), o => o.CodeSize > 0);
try { await L.waitUntilFunctionUpdatedV2({ client: c, maxWaitTime: 20 }, { FunctionName: fn }); results.push({ name: "waitUntilFunctionUpdatedV2", ok: true }); }
catch (e) { results.push({ name: "waitUntilFunctionUpdatedV2", ok: false, detail: String(e) }); }
await step("PublishVersion", new L.PublishVersionCommand({ FunctionName: fn }), o => o.Version === "1");
await step("ListVersionsByFunction", new L.ListVersionsByFunctionCommand({ FunctionName: fn }), o => o.Versions.length === 2);
await step("CreateAlias", new L.CreateAliasCommand({ FunctionName: fn, Name: "live", FunctionVersion: "1" }), o => o.Name === "live");
await step("GetAlias", new L.GetAliasCommand({ FunctionName: fn, Name: "live" }), o => o.FunctionVersion === "1");
await step("UpdateAlias", new L.UpdateAliasCommand({ FunctionName: fn, Name: "live", Description: "d" }), o => o.Description === "d");
await step("ListAliases", new L.ListAliasesCommand({ FunctionName: fn }), o => o.Aliases.length === 1);
await step("PutFunctionConcurrency", new L.PutFunctionConcurrencyCommand({ FunctionName: fn, ReservedConcurrentExecutions: 5 }), o => o.ReservedConcurrentExecutions === 5);
await step("GetFunctionConcurrency", new L.GetFunctionConcurrencyCommand({ FunctionName: fn }), o => o.ReservedConcurrentExecutions === 5);
await step("DeleteFunctionConcurrency", new L.DeleteFunctionConcurrencyCommand({ FunctionName: fn }));
await step("PutProvisionedConcurrencyConfig", new L.PutProvisionedConcurrencyConfigCommand({ FunctionName: fn, Qualifier: "1", ProvisionedConcurrentExecutions: 1 }), o => o.Status === "READY");
await step("GetProvisionedConcurrencyConfig", new L.GetProvisionedConcurrencyConfigCommand({ FunctionName: fn, Qualifier: "1" }), o => o.AllocatedProvisionedConcurrentExecutions === 1);
await step("ListProvisionedConcurrencyConfigs", new L.ListProvisionedConcurrencyConfigsCommand({ FunctionName: fn }), o => o.ProvisionedConcurrencyConfigs.length === 1);
await step("DeleteProvisionedConcurrencyConfig", new L.DeleteProvisionedConcurrencyConfigCommand({ FunctionName: fn, Qualifier: "1" }));
await step("PutFunctionEventInvokeConfig", new L.PutFunctionEventInvokeConfigCommand({ FunctionName: fn, MaximumRetryAttempts: 1 }), o => o.MaximumRetryAttempts === 1);
await step("UpdateFunctionEventInvokeConfig", new L.UpdateFunctionEventInvokeConfigCommand({ FunctionName: fn, MaximumEventAgeInSeconds: 60 }), o => o.MaximumEventAgeInSeconds === 60);
await step("GetFunctionEventInvokeConfig", new L.GetFunctionEventInvokeConfigCommand({ FunctionName: fn }), o => o.LastModified instanceof Date);
await step("ListFunctionEventInvokeConfigs", new L.ListFunctionEventInvokeConfigsCommand({ FunctionName: fn }), o => o.FunctionEventInvokeConfigs.length === 1);
await step("DeleteFunctionEventInvokeConfig", new L.DeleteFunctionEventInvokeConfigCommand({ FunctionName: fn }));
await step("TagResource", new L.TagResourceCommand({ Resource: arn, Tags: { c: "d" } }));
await step("ListTags", new L.ListTagsCommand({ Resource: arn }), o => o.Tags.a === "b" && o.Tags.c === "d");
await step("UntagResource", new L.UntagResourceCommand({ Resource: arn, TagKeys: ["a", "c"] }));
await step("AddPermission", new L.AddPermissionCommand({ FunctionName: fn, StatementId: "s1", Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com" }), o => JSON.parse(o.Statement).Sid === "s1");
await step("GetPolicy", new L.GetPolicyCommand({ FunctionName: fn }), o => JSON.parse(o.Policy).Statement.length === 1);
await step("RemovePermission", new L.RemovePermissionCommand({ FunctionName: fn, StatementId: "s1" }));
const url = await step("CreateFunctionUrlConfig", new L.CreateFunctionUrlConfigCommand({ FunctionName: fn, AuthType: "NONE" }), o => o.FunctionUrl.includes("/lambda-url/"));
await step("GetFunctionUrlConfig", new L.GetFunctionUrlConfigCommand({ FunctionName: fn }), o => o.FunctionUrl === url?.FunctionUrl);
await step("UpdateFunctionUrlConfig", new L.UpdateFunctionUrlConfigCommand({ FunctionName: fn, Cors: { AllowOrigins: ["*"] } }), o => o.Cors.AllowOrigins[0] === "*");
await step("ListFunctionUrlConfigs", new L.ListFunctionUrlConfigsCommand({ FunctionName: fn }), o => o.FunctionUrlConfigs.length === 1);
try { const r = await fetch(url?.FunctionUrl + "hello?x=1"); const ev = await r.json(); results.push({ name: "FunctionUrl fetch", ok: r.status === 200 && ev.rawPath === "/hello" }); }
catch (e) { results.push({ name: "FunctionUrl fetch", ok: false, detail: String(e) }); }
await step("DeleteFunctionUrlConfig", new L.DeleteFunctionUrlConfigCommand({ FunctionName: fn }));
await step("GetAccountSettings", new L.GetAccountSettingsCommand({}), o => o.AccountLimit.ConcurrentExecutions > 0);
await step("GetFunctionCodeSigningConfig", new L.GetFunctionCodeSigningConfigCommand({ FunctionName: fn }), o => o.FunctionName === fn);
await step("GetFunctionRecursionConfig", new L.GetFunctionRecursionConfigCommand({ FunctionName: fn }), o => o.RecursiveLoop === "Allow");
await step("GetRuntimeManagementConfig", new L.GetRuntimeManagementConfigCommand({ FunctionName: fn }), o => o.UpdateRuntimeOn === "Auto");
try { const pages = []; for await (const p of L.paginateListFunctions({ client: c, pageSize: 1 }, {})) pages.push(p); results.push({ name: "paginateListFunctions", ok: pages.length >= 1 }); }
catch (e) { results.push({ name: "paginateListFunctions", ok: false, detail: String(e) }); }
await step("DeleteAlias", new L.DeleteAliasCommand({ FunctionName: fn, Name: "live" }));
await step("DeleteFunction", new L.DeleteFunctionCommand({ FunctionName: fn }));
await step("DeleteLayerVersion", new L.DeleteLayerVersionCommand({ LayerName: "jslayer", VersionNumber: 1 }));
try { await c.send(new L.GetFunctionCommand({ FunctionName: fn })); results.push({ name: "NotFound", ok: false }); }
catch (e) { results.push({ name: "NotFound", ok: e.name === "ResourceNotFoundException" }); }
for (const r of results) console.log(JSON.stringify(r));
