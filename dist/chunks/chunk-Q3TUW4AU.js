import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as j}from"./chunk-CYYEPVIT.js";import{a as H,c as m,e as D,f as M,g as $,h as B,i as G,j as z}from"./chunk-H3WEXOXR.js";import{a as q,c as N,e as P}from"./chunk-OG2C2PGC.js";import{a as F}from"./chunk-YNLNTV4W.js";import{a as L}from"./chunk-2S5M77H7.js";import{a as x}from"./chunk-45Y7IGMO.js";import{a as U,c as C,f as k,h as v}from"./chunk-ORRTYNVY.js";import{b as S}from"./chunk-STF3I3OV.js";import{h as _}from"./chunk-6YXNE7OO.js";import{i as A}from"./chunk-YIEWQOK2.js";import{a as s,c as R,d as u,f as E,g as O,h as i}from"./chunk-BMCYM6BZ.js";import{b as T}from"./chunk-MSZ4OCI2.js";import{f as p}from"./chunk-54IBFPAE.js";import{hostname as ae,userInfo as ie}from"node:os";import{resolve as K}from"node:path";var X=100,J=2,Le={name:"apply",summary:"release the planned messages, at most once, and record every outcome in the ledger",options:{releases:{type:"string"},ledger:{type:"string"},"batch-size":{type:"string"},concurrency:{type:"string"},"deadline-minutes":{type:"string"},"timeout-seconds":{type:"string"},"settle-seconds":{type:"string"},"dry-run":{type:"boolean"},format:{type:"string"},account:{type:"string",multiple:!0},"max-releases":{type:"string"},force:{type:"boolean"},fingerprint:{type:"string",multiple:!0},unreviewed:{type:"boolean"},...M},help:`Usage: quarantine-release apply [--releases FILE] [--ledger DIR] [--batch-size N] [--dry-run] [--format text|json]

Releases every message of the plan that the ledger does not show as released, then records
each outcome in the ledger (the files change; committing them is up to you):
  1. messages whose last send has no known outcome are read back first; only one still
     quarantined with no release recorded is sent again;
  2. every message is checked right before it is sent: it must exist, still be in
     quarantine, and a guarded disposition (MALICIOUS, MALICIOUS-BEC, SPOOF) needs a
     matching \`acknowledge\` on its entry; refused messages are reported, the rest go on;
  3. each batch is written to the ledger as pending (flushed to disk) before it is sent;
     a batch is sent once and never retried automatically;
  4. a rate limit (429) or an unreachable API stops the run; those messages stay pending and
     are sent by a later run. SIGINT/SIGTERM: no new batch starts, the one in flight is
     recorded, exit 3;
  5. a send whose run died (kill -9, a crash) may still be at Cloudflare for a while: it is
     read back only once it has surely ended (--settle-seconds after its request timeout or
     the next run's start, whichever is sooner); until then it is left pending, exit 3.

Credentials (environment): CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY.
API base URL: CLOUDFLARE_API_BASE_URL (default https://api.cloudflare.com/client/v4).

Options:
  --releases FILE         the requests file (default: releases.yaml)
  --ledger DIR            the ledger directory (default: releases.ledger)
  --batch-size N          ids per request, 1-1000 (default: ${X})
  --concurrency N         requests in flight at once, 1-16 (default: ${J})
  --deadline-minutes N    start no new batch after N minutes (default: 60)
  --timeout-seconds N     give up on one request after N seconds (default: 180); a release
                          that times out is recorded unknown and read back by the next run
  --settle-seconds N      how long Cloudflare may still act on a request after its sender
                          stopped waiting (default: ${12e4/1e3}); an earlier send is only
                          resolved by read-back after that, waiting up to N seconds for it
  --dry-run               read back and report what would be sent; send and write nothing
  --format FORMAT         text (default) or json: {"results": [{account_id, id, state, delivered, failed, undelivered, ...}]}
  --account ID            apply only this account (repeatable)
  --max-releases N        refuse the whole run when more than N messages would be released
                          (default: ${m}); --force releases them anyway
  --fingerprint HASH      release only the plan \`plan\` printed with this fingerprint (or
                          ACCOUNT:HASH per account), with or without credentials; a
                          different plan releases nothing. Without it nothing new is
                          released, unless --unreviewed
  --unreviewed            release what the file says without a reviewed plan (explicit
                          opt-out: the output says so)
${$}
  -h, --help              show this help

Exit codes: 0 every message released, 1 invalid input, a refused message or a refused run,
2 usage error, 3 some messages ended partial, failed, unknown or pending, could not be checked
(an unreachable API, the lookup budget), or the run stopped early.
`,async run(t,e){let a=u(t,"releases","releases.yaml"),n=u(t,"ledger","releases.ledger"),V=O(t,"format",["text","json"],"text"),W=i(t,"batch-size",X,1,1e3),f=i(t,"concurrency",J,1,16),Z=i(t,"deadline-minutes",60,1,1440),o=i(t,"timeout-seconds",180,1,3600)*1e3,Q=i(t,"settle-seconds",12e4/1e3,0,3600)*1e3,c=t["dry-run"]===!0,ee=E(t),d=F(e),te={lookupBudget:B(t),guarded:G(t),maxReleases:i(t,"max-releases",m,1,1e6),force:t.force===!0},re=z(t),g=le(e),h=H(e,"apply",!0,D(t));if(h===s.invalid)return s.invalid;let l=K(e.cwd,n);await q(l)||e.stderr(`quarantine-release apply: no ledger folder at ${p(n,300)} yet: ${c?"planned as if nothing was released (a dry run writes nothing)":"it is created with the first record this run writes"}.
`);let y=c?void 0:await N(e,"apply",l);if(y===s.invalid)return s.invalid;let ne=await P(e,l,n,d),w=new L(l,d,ne),b=await x(h,{connections:f+1,timeouts:{headersMs:o,bodyMs:o,requestMs:o},log:d});try{let r=await j({releases:()=>A(K(e.cwd,a)),releasesPath:a,store:w,api:b,clock:T,log:d},{batchSize:W,concurrency:f,dryRun:c,pendingScope:"batch",inFlightMs:o,settleMs:Q,accounts:ee,provenance:g,safety:{...te,gate:de(re,t.unreviewed===!0)},...e.signal?{signal:e.signal}:{},deadline:Date.now()+Z*6e4});if(r.kind==="invalid")return e.stderr(S(r.errors)),r.stage==="ledger"&&e.stderr(`The ledger is corrupt, or was changed outside quarantine-release: nothing was sent. Repair it first.
`),s.invalid;if(e.stdout(V==="json"?v(r):k(r)),!r.dryRun&&!await oe(w,e,g.run))return s.incomplete;if(r.blocked!==void 0)return s.invalid;let I=R([...U(r).map(se=>se.refused.reason),...r.plan?_(r.plan):[]]);return I!==void 0?I:r.dryRun?s.ok:C(r)?s.ok:s.incomplete}finally{await b.close(),await y?.release()}}};async function oe(t,e,a){try{let n=await t.seal(`quarantine-release: ledger records [skip ci]

Run: ${a}
`);return n&&e.stderr(`Sealed the ledger in commit ${n.slice(0,12)}.
`),!0}catch(n){return e.stderr(`quarantine-release: the ledger records are written but could not be sealed in a commit (${p(n.message,500)}); run \`quarantine-release ledger seal\` once the cause is fixed
`),!1}}function de(t,e){return t.size>0?{expected:t,requirePlan:!0}:e?{requirePlan:!1}:{requirePlan:!0,closed:"no --fingerprint was given: pass the fingerprint `plan` printed for the plan you reviewed, or --unreviewed to release what the file says"}}function le(t){let e=t.env,a={run:e.GITHUB_RUN_ID&&e.GITHUB_REPOSITORY?`${e.GITHUB_SERVER_URL??"https://github.com"}/${e.GITHUB_REPOSITORY}/actions/runs/${e.GITHUB_RUN_ID}`:`cli@${ae()}`},n=e.GITHUB_ACTOR??ce();return n&&(a.actor=n),e.GITHUB_SHA&&/^[0-9a-f]{7,64}$/.test(e.GITHUB_SHA)&&(a.commit=e.GITHUB_SHA),a}function ce(){try{return ie().username}catch{return}}export{X as a,J as b,Le as c,oe as d,le as e};
