import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as N,b as $,c as P,d as x,e as L,f as T,g as I,h,i as E,j as y,k as D,l as _,m as F,n as R}from"./chunk-XHG5N2EK.js";import"./chunk-UHAACR3A.js";import{i as b}from"./chunk-YIEWQOK2.js";import"./chunk-YT7T6RB5.js";import{a as p,b as l,d as S,g as C,h as u}from"./chunk-BMCYM6BZ.js";import"./chunk-6KRVZG7U.js";import"./chunk-7GNAQJNB.js";import{b as O,f as d}from"./chunk-54IBFPAE.js";import"./chunk-LIQU27LZ.js";import{resolve as U}from"node:path";var M=256*1024*1024;function k(t){let e=t.accounts;if(typeof e!="string")return;let r=e.split(",").map(s=>s.trim());if(r.some(s=>!O(s)))throw new l("--accounts must be account ids (32 lowercase hex), separated by commas");return[...new Set(r)]}function K(t){let e=t["rate-limit"];if(typeof e!="string")return;if(e==="off")return!1;let r=/^([0-9]{1,7})\/([0-9]{1,6})$/.exec(e),s=Number(r?.[1]),a=Number(r?.[2]);if(!r||s<1||a<1)throw new l("--rate-limit must be N/SECONDS (e.g. 1200/300) or off");return{limit:s,windowMs:a*1e3}}function v(t){let e={},r=u(t,"latency-ms",0,0,6e5);r>0&&(e.latencyMs=r);let s=t["fault-rate"];if(typeof s=="string"){let a={};for(let i of s.split(",")){let o=/^\s*([a-z0-9_]+)=([0-9]*\.?[0-9]+)\s*$/.exec(i);if(!o)throw new l("--fault-rate must be KIND=P pairs, e.g. 5xx=0.05,reset_after=0.01");a[o[1]]=Number(o[2])}e.rates=a}try{return T(e)}catch(a){throw a instanceof L?new l(`--fault-rate: ${a.message}`):a}}async function G(t,e){let r=await b(U(e.cwd,t),M),s=d(t,300);if(!r.ok){e.stderr(`${s}: ${r.error.message}
`);return}let a;try{a=JSON.parse(r.text)}catch(o){e.stderr(`${s}: not valid JSON: ${d(o.message,300)}
`);return}let i=F(a);if(!i.ok){for(let o of i.errors)e.stderr(`${s}${d(o,500)}
`);return}return i.messages}function X(t){return new Promise(e=>{t?.aborted&&e(),t?.addEventListener("abort",()=>e(),{once:!0})})}var Y={name:"emulator",summary:"run a local Cloudflare Email Security API emulator (no account needed)",options:{port:{type:"string"},host:{type:"string"},messages:{type:"string"},"messages-per-account":{type:"string"},seed:{type:"string"},accounts:{type:"string"},"latency-ms":{type:"string"},"rate-limit":{type:"string"},"fault-rate":{type:"string"},"release-body":{type:"string"},"max-per-page":{type:"string"}},help:`Usage: quarantine-release emulator [--port N] [--messages FILE] [--seed N] [--accounts ID,ID]
       [--latency-ms N] [--rate-limit N/SECONDS] [--fault-rate KIND=P,...]
       [--release-body ids|array|either] [--max-per-page N]

Serves the Email Security API this tool uses (release, message, action log, search) on
loopback, over a seeded mailbox, so everything can be tried without a Cloudflare account.
Prints the API base URL, the credentials to use and demo message ids by role (including ids
that do not exist), then runs until Ctrl-C. Releases really change the mailbox, and a message
released twice is delivered twice: GET /__emulator/truth shows what was delivered.

Options:
  --port N                  port to listen on (default: 0, any free port)
  --host HOST               address to listen on (default: 127.0.0.1)
  --messages FILE           serve the messages of this JSON array instead of generated ones;
                            each: {id, to: [...], subject?, from?, from_name?,
                            final_disposition?, scanned_at?, released?, account_id?}
  --messages-per-account N  size of each generated mailbox (default: ${E})
  --seed N                  seed of the generated mailbox and random faults (default: ${h})
  --accounts ID,ID          account ids to serve (default: ${I})
  --latency-ms N            added to every API request (default: 0)
  --rate-limit N/SECONDS    requests per window per credential, or off (default: 1200/300)
  --fault-rate KIND=P,...   random faults with probability P per request; kinds: 5xx, 429,
                            auth, reset_before, reset_after, timeout_before, timeout_after,
                            malformed, success_false, partial, missing_id, postfix_only,
                            null_recipients, accepted
  --release-body FORM       release bodies accepted: ids ({"ids": [...]}, the current API
                            description), array (the earlier bare array), or either
                            (default: ids)
  --max-per-page N          largest per_page a search accepts; more is answered 400
                            (default: ${_})
  -h, --help                show this help

Control (no auth): GET /__emulator/truth, POST /__emulator/faults (JSON fault config),
POST /__emulator/reset.

Exit codes: 0 stopped by Ctrl-C, 1 invalid messages file, 2 usage error.
`,async run(t,e){let r={port:u(t,"port",0,0,65535),host:S(t,"host","127.0.0.1"),seed:u(t,"seed",h,0,999999999),messagesPerAccount:u(t,"messages-per-account",E,0,5e5),faults:v(t),control:!0},s=k(t);s&&(r.accounts=s),r.releaseBody=C(t,"release-body",["ids","array","either"],"ids"),r.maxPerPage=u(t,"max-per-page",_,1,1e6);let a=K(t);a!==void 0&&(r.rateLimit=a);let i=t.messages;if(typeof i=="string"){let n=await G(i,e);if(!n)return p.invalid;r.messages=n}let o;try{o=await R(r)}catch(n){let m=n.code;if(n instanceof RangeError||m==="EADDRINUSE"||m==="EACCES")return e.stderr(`quarantine-release emulator: ${d(n.message,1e3)}
`),p.invalid;throw n}let g=new URL(o.url).origin,c=[`Cloudflare API emulator listening on ${o.url}`,`CLOUDFLARE_API_BASE_URL=${o.url}`,`CLOUDFLARE_API_TOKEN=${N}`,`Also accepted: read-only token ${$} (release answers 403); X-Auth-Email ${P} with X-Auth-Key ${x}.`];for(let n of o.accounts){let m=o.messages(n).length;if(c.push("",`Account ${n}: ${m} messages.`),r.messages)continue;let w=D(r.seed,n),A=Math.max(...y.map(f=>f.length));c.push("Demo message ids by role:");for(let f of y)c.push(`  ${f.padEnd(A)}  ${w[f]}`);c.push(`  ${"missing".padEnd(A)}  ${w.missing.join(" ")}`)}return c.push("",`Control: GET ${g}/__emulator/truth, POST ${g}/__emulator/faults, POST ${g}/__emulator/reset`,"Press Ctrl-C to stop.",""),e.stdout(c.join(`
`)),await X(e.signal),await o.close(),e.stderr(`Cloudflare API emulator stopped.
`),p.ok}};export{Y as emulatorCommand};
