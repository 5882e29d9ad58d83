import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as Y}from"./chunk-CCCFCXJU.js";import{a as B,c as G,e as z,g as j}from"./chunk-EYD2MB67.js";import{a as k,b as f,d as H,e as F,f as N,g as P,h as $,i as D,j as M}from"./chunk-3IVDXNJE.js";import{a as C,d as v,e as q}from"./chunk-GL2FT2FA.js";import{a as T,d as x,e as U}from"./chunk-QPQI5ZLT.js";import{a as _}from"./chunk-5WVKXDWH.js";import{b as A}from"./chunk-BOVV2QJT.js";import{h as L}from"./chunk-NA5I447T.js";import{i as E}from"./chunk-YH4IPXTA.js";import{a,c as I,d as p,e as R,f as i}from"./chunk-7Q22RLLD.js";import{b as O}from"./chunk-GRLPJF4I.js";import{a as S}from"./chunk-T4R53OPC.js";import{b as c}from"./chunk-DQQKFFV5.js";import{hostname as oe,userInfo as de}from"node:os";import{resolve as X}from"node:path";var J=100,V=2,Ce={name:"apply",summary:"release the planned messages, at most once, and record every outcome in the ledger",options:{releases:{type:"string"},ledger:{type:"string"},"batch-size":{type:"string"},concurrency:{type:"string"},"deadline-minutes":{type:"string"},"timeout-seconds":{type:"string"},"settle-seconds":{type:"string"},"dry-run":{type:"boolean"},format:{type:"string"},account:{type:"string",multiple:!0},"max-releases":{type:"string"},force:{type:"boolean"},fingerprint:{type:"string",multiple:!0},unreviewed:{type:"boolean"},...F},help:`Usage: quarantine-release apply [--releases FILE] [--ledger DIR] [--batch-size N] [--dry-run] [--format text|json]

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
  --batch-size N          ids per request, 1-1000 (default: ${J})
  --concurrency N         requests in flight at once, 1-16 (default: ${V})
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
                          (default: ${f}); --force releases them anyway
  --fingerprint HASH      release only the plan \`plan\` printed with this fingerprint (or
                          ACCOUNT:HASH per account), with or without credentials; a
                          different plan releases nothing. Without it nothing new is
                          released, unless --unreviewed
  --unreviewed            release what the file says without a reviewed plan (explicit
                          opt-out: the output says so)
${N}
  -h, --help              show this help

Exit codes: 0 every message released, 1 invalid input, a refused message or a refused run,
2 usage error, 3 some messages ended partial, failed, unknown or pending, could not be checked
(an unreachable API, the lookup budget), or the run stopped early.
`,async run(t,e){let n=p(t,"releases","releases.yaml"),s=p(t,"ledger","releases.ledger"),Z=R(t,"format",["text","json"],"text"),Q=i(t,"batch-size",J,1,1e3),m=i(t,"concurrency",V,1,16),ee=i(t,"deadline-minutes",60,1,1440),o=i(t,"timeout-seconds",180,1,3600)*1e3,te=i(t,"settle-seconds",12e4/1e3,0,3600)*1e3,u=t["dry-run"]===!0,re=M(t),d=q(e),ne={lookupBudget:P(t),guarded:$(t),maxReleases:i(t,"max-releases",f,1,1e6),force:t.force===!0},se=D(t),g;try{g=k(e.env,!0,H(t))}catch(r){if(!(r instanceof S))throw r;return e.stderr(`quarantine-release apply: ${r.message}
`),a.invalid}let l=X(e.cwd,s);await C(l)||e.stderr(`quarantine-release apply: no ledger folder at ${c(s,300)} yet: ${u?"planned as if nothing was released (a dry run writes nothing)":"it is created with the first record this run writes"}.
`);let h;if(!u)try{h=await x.acquire(l)}catch(r){if(!(r instanceof U))throw r;return e.stderr(`quarantine-release apply: ${c(r.message,500)}
`),a.invalid}let ae=await v(e,l,s,d),y=new T(l,d,ae),w=await _(g,{connections:m+1,timeouts:{headersMs:o,bodyMs:o,requestMs:o},log:d});try{let r=await Y({releases:()=>E(X(e.cwd,n)),releasesPath:n,store:y,api:w,clock:O,log:d},{batchSize:Q,concurrency:m,dryRun:u,pendingScope:"batch",inFlightMs:o,settleMs:te,accounts:re,provenance:W(e),safety:{...ne,gate:ce(se,t.unreviewed===!0)},...e.signal?{signal:e.signal}:{},deadline:Date.now()+ee*6e4});if(r.kind==="invalid")return e.stderr(A(r.errors)),r.stage==="ledger"&&e.stderr(`The ledger is corrupt, or was changed outside quarantine-release: nothing was sent. Repair it first.
`),a.invalid;if(e.stdout(Z==="json"?j(r):z(r)),!r.dryRun&&!await le(y,e,W(e).run))return a.incomplete;if(r.blocked!==void 0)return a.invalid;let b=I([...B(r).map(ie=>ie.refused.reason),...r.plan?L(r.plan):[]]);return b!==void 0?b:r.dryRun?a.ok:G(r)?a.ok:a.incomplete}finally{await w.close(),await h?.release()}}};async function le(t,e,n){try{let s=await t.seal(`quarantine-release: ledger records [skip ci]

${n?`Run: ${n}
`:""}`);return s&&e.stderr(`Sealed the ledger in commit ${s.slice(0,12)}.
`),!0}catch(s){return e.stderr(`quarantine-release: the ledger records are written but could not be sealed in a commit (${c(s.message,500)}); run \`quarantine-release ledger seal\` once the cause is fixed
`),!1}}function ce(t,e){return t.size>0?{expected:t,requirePlan:!0}:e?{requirePlan:!1}:{requirePlan:!0,closed:"no --fingerprint was given: pass the fingerprint `plan` printed for the plan you reviewed, or --unreviewed to release what the file says"}}function W(t){let e=t.env,n={},s=e.GITHUB_ACTOR??ue();return s&&(n.actor=s),e.GITHUB_SHA&&/^[0-9a-f]{7,64}$/.test(e.GITHUB_SHA)&&(n.commit=e.GITHUB_SHA),e.GITHUB_RUN_ID&&e.GITHUB_REPOSITORY?n.run=`${e.GITHUB_SERVER_URL??"https://github.com"}/${e.GITHUB_REPOSITORY}/actions/runs/${e.GITHUB_RUN_ID}`:n.run=`cli@${oe()}`,n}function ue(){try{return de().username}catch{return}}export{J as a,V as b,Ce as c,le as d,W as e};
