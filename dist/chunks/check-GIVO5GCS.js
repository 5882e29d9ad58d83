import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as B,b as J,c as W,d as Y,e as G,g as K}from"./chunk-43FABNMQ.js";import"./chunk-LAPF2GTW.js";import{d as X,e as w}from"./chunk-LIOMGMKI.js";import"./chunk-CCCFCXJU.js";import"./chunk-EYD2MB67.js";import"./chunk-JZ7S6YQK.js";import"./chunk-Y5SIVLNY.js";import{a as D,c as j,d as M,g as H,j as z}from"./chunk-3IVDXNJE.js";import{a as P,b as U,d as q,e as $}from"./chunk-GL2FT2FA.js";import{a as T,c as I,d as N,e as b}from"./chunk-QPQI5ZLT.js";import"./chunk-JJ7ZJA3C.js";import{a as R}from"./chunk-5WVKXDWH.js";import"./chunk-6O2USRW4.js";import"./chunk-2WYYZMOS.js";import"./chunk-MWMK5NSP.js";import{b as _}from"./chunk-BOVV2QJT.js";import"./chunk-FSVGLVZS.js";import"./chunk-FYV5JBAF.js";import"./chunk-UJAYHDXK.js";import"./chunk-5ZHEZIVF.js";import"./chunk-NA5I447T.js";import{i as p}from"./chunk-YH4IPXTA.js";import"./chunk-EDEIBJEP.js";import{a as o,d as y,e as C,f as k}from"./chunk-7Q22RLLD.js";import{b as x}from"./chunk-GRLPJF4I.js";import{a as F}from"./chunk-T4R53OPC.js";import"./chunk-GIA5RIS2.js";import"./chunk-PBX3UOBU.js";import"./chunk-F6MHY6Q7.js";import{b as O}from"./chunk-DQQKFFV5.js";import"./chunk-LIQU27LZ.js";import{resolve as E}from"node:path";import{lstat as te}from"node:fs/promises";var h=class{constructor(e,r){this.path=e;this.shown=r}path;shown;async since(){let{mtime:e}=await te(this.path);return{basis:"file",at:e.toISOString(),source:`the last change of ${this.shown} (its modification time): each entry has waited at least since then`}}};import{constants as m}from"node:fs";import{lstat as re,mkdir as se,open as oe,rename as ne,rm as ae}from"node:fs/promises";import{dirname as ie,join as ce}from"node:path";var u=class{path;constructor(e){this.path=ce(e,B)}async read(){try{await re(this.path)}catch(r){if(r.code==="ENOENT")return{kind:"missing"}}let e=await p(this.path,J);return e.ok?{kind:"text",text:e.text}:{kind:"unreadable",message:e.error.message}}async write(e){let r=await this.read(),n=W(r.kind==="text"?r.text:void 0,e,this.path);if(r.kind==="text"&&r.text===n)return;let d=ie(this.path);await se(d,{recursive:!0});let i=`${this.path}.${process.pid}.tmp`,a=await oe(i,m.O_WRONLY|m.O_CREAT|m.O_TRUNC|m.O_NOFOLLOW,420);try{await a.writeFile(n),await a.datasync()}catch(f){throw await a.close(),await ae(i,{force:!0}),f}await a.close(),await ne(i,this.path),await I(d)}};var ze={name:"check",summary:"drift check: released messages back in quarantine, and unresolved sends resolved",options:{releases:{type:"string"},ledger:{type:"string"},format:{type:"string"},account:{type:"string",multiple:!0},"lookup-budget":{type:"string"},"settle-seconds":{type:"string"},"unapplied-after-hours":{type:"string"},...j},help:`Usage: quarantine-release check [--releases FILE] [--ledger DIR] [--lookup-budget N] [--unapplied-after-hours N] [--format text|json]

For every message the ledger records as released, checks that it is not back in quarantine
(drift), searching by time window rather than one lookup per message; sends whose outcome is
not known (pending, unknown) are read back and their outcome recorded. Releases nothing; a
read-only API token is enough.

One budget covers every request: read-backs first (two each at most), then the drift
lookups. When it does not cover the whole ledger, the run stops where the budget does and
saves a cursor in DIR/check-cursor.ndjson (one line per account, see
schema/check-cursor.schema.json); the next run starts there and wraps round at the end, so
successive runs cover a ledger of any size. A missing or unreadable cursor file means
"from the beginning"; it never stops the check.

It also lists the entries of FILE that the ledger does not hold at all (merged, never
applied: their apply run was cancelled or failed), with how long they have waited: at least
since FILE last changed (its modification time). A search: entry counts as applied once a
ledger record carries its text (selector); one that released nothing stays listed. It fails
once one has waited --unapplied-after-hours or more. They cost no request.

Credentials: as for apply (CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY).

Options:
  --releases FILE       the requests file (default: releases.yaml)
  --ledger DIR          the ledger directory (default: releases.ledger)
  --lookup-budget N     at most N Cloudflare requests, read-backs and drift lookups together
                        (default: 300)
  --account ID          check only this account (repeatable)
  --settle-seconds N    how long Cloudflare may still act on a request after its sender
                        stopped waiting (default: ${12e4/1e3}); see apply --help
  --unapplied-after-hours N
                        fail when an entry not in the ledger has waited N hours or more,
                        0-${8760} (default: ${24}; 0: any such entry fails)
  --format FORMAT       text (default) or json
  --search-page-size N  results per search page asked for, 1-${1e3} (default:
                        ${100}); after a 400, half as many, down to 20
  -h, --help            show this help

Exit codes: 0 no drift and nothing unresolved, 1 drift found, an entry not applied for
--unapplied-after-hours or more, or invalid input (a missing ledger folder too), 2 usage error,
3 some sends still unresolved or some released messages not checked this run.
`,async run(s,e){let r=y(s,"releases","releases.yaml"),n=y(s,"ledger","releases.ledger"),d=C(s,"format",["text","json"],"text"),i=z(s),a=H(s),f=k(s,"settle-seconds",12e4/1e3,0,3600)*1e3,ee=k(s,"unapplied-after-hours",24,0,8760),L;try{L=D(e.env,!0,M(s))}catch(t){if(!(t instanceof F))throw t;return e.stderr(`quarantine-release check: ${t.message}
`),o.invalid}let l=$(e),c=E(e.cwd,n);if(!await P(c))return e.stderr(U("check",n)),o.invalid;let S;try{S=await N.acquire(c)}catch(t){if(!(t instanceof b))throw t;return e.stderr(`quarantine-release check: ${O(t.message,500)}
`),o.invalid}let v=new T(c,l,await q(e,c,n,l)),A=await R(L,{log:l});try{let t=await K({releases:()=>p(E(e.cwd,r)),releasesPath:r,store:v,api:A,clock:x,log:l,checkState:new u(c),entryTimes:new h(E(e.cwd,r),r)},{concurrency:2,pendingScope:"batch",inFlightMs:0,settleMs:f,accounts:i,provenance:w(e),lookupBudget:a,unappliedAfterHours:ee,...e.signal?{signal:e.signal}:{}});return t.kind==="invalid"?(e.stderr(_(t.errors)),o.invalid):(e.stdout(d==="json"?`${JSON.stringify(G(t))}
`:Y(t)),await X(v,e,w(e).run)?t.drift.length>0||t.unapplied.overdue>0?o.invalid:t.resolved.results.some(g=>(g.state==="pending"||g.state==="unknown")&&g.error!==void 0)||t.resolved.deferred.length>0||t.resolved.unverified.length>0||t.checked<t.released?o.incomplete:o.ok:o.incomplete)}finally{await A.close(),await S.release()}}};export{ze as checkCommand};
