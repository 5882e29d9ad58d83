import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as H,b as z,c as X,d as B,e as J,g as W}from"./chunk-DZKZE73W.js";import"./chunk-LAPF2GTW.js";import{d as q,e as w}from"./chunk-AVNQKMPZ.js";import"./chunk-ZVPLCRCP.js";import"./chunk-A5GZW4ER.js";import"./chunk-JZ7S6YQK.js";import"./chunk-KYNQYJVX.js";import{a as I,d as U,e as j,h as M,k as $}from"./chunk-KFD7MYKH.js";import{a as T,b as N,c as b,e as D,f as P}from"./chunk-Q2KIYO5V.js";import{a as F,c as R}from"./chunk-Z62EGUB5.js";import"./chunk-BLQYOFZT.js";import{a as x}from"./chunk-E5WIJPW6.js";import"./chunk-QWBTUILN.js";import"./chunk-KMTOM55G.js";import"./chunk-O5NGSTJG.js";import{b as L}from"./chunk-UWL2SQYP.js";import"./chunk-FSVGLVZS.js";import"./chunk-RQZBXVPK.js";import"./chunk-UJAYHDXK.js";import"./chunk-5ZHEZIVF.js";import"./chunk-ZH4DSY25.js";import{i as p}from"./chunk-75JSUAJC.js";import"./chunk-YT7T6RB5.js";import{a as s,d as y,e as O,f as k}from"./chunk-7Q22RLLD.js";import{b as _}from"./chunk-GRLPJF4I.js";import"./chunk-T4R53OPC.js";import"./chunk-GIA5RIS2.js";import"./chunk-PBX3UOBU.js";import"./chunk-F6MHY6Q7.js";import"./chunk-DQQKFFV5.js";import"./chunk-LIQU27LZ.js";import{resolve as E}from"node:path";import{lstat as V}from"node:fs/promises";var m=class{constructor(e,t){this.path=e;this.shown=t}path;shown;async since(){let{mtime:e}=await V(this.path);return{basis:"file",at:e.toISOString(),source:`the last change of ${this.shown} (its modification time): each entry has waited at least since then`}}};import{constants as h}from"node:fs";import{lstat as Q,mkdir as ee,open as te,rename as re,rm as se}from"node:fs/promises";import{dirname as oe,join as ne}from"node:path";var u=class{path;constructor(e){this.path=ne(e,H)}async read(){try{await Q(this.path)}catch(t){if(t.code==="ENOENT")return{kind:"missing"}}let e=await p(this.path,z);return e.ok?{kind:"text",text:e.text}:{kind:"unreadable",message:e.error.message}}async write(e){let t=await this.read(),n=X(t.kind==="text"?t.text:void 0,e,this.path);if(t.kind==="text"&&t.text===n)return;let c=oe(this.path);await ee(c,{recursive:!0});let i=`${this.path}.${process.pid}.tmp`,a=await te(i,h.O_WRONLY|h.O_CREAT|h.O_TRUNC|h.O_NOFOLLOW,420);try{await a.writeFile(n),await a.datasync()}catch(f){throw await a.close(),await se(i,{force:!0}),f}await a.close(),await re(i,this.path),await R(c)}};var Me={name:"check",summary:"drift check: released messages back in quarantine, and unresolved sends resolved",options:{releases:{type:"string"},ledger:{type:"string"},format:{type:"string"},account:{type:"string",multiple:!0},"lookup-budget":{type:"string"},"settle-seconds":{type:"string"},"unapplied-after-hours":{type:"string"},...U},help:`Usage: quarantine-release check [--releases FILE] [--ledger DIR] [--lookup-budget N] [--unapplied-after-hours N] [--format text|json]

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
`,async run(o,e){let t=y(o,"releases","releases.yaml"),n=y(o,"ledger","releases.ledger"),c=O(o,"format",["text","json"],"text"),i=$(o),a=M(o),f=k(o,"settle-seconds",12e4/1e3,0,3600)*1e3,Z=k(o,"unapplied-after-hours",24,0,8760),S=I(e,"check",!0,j(o));if(S===s.invalid)return s.invalid;let l=P(e),d=E(e.cwd,n);if(!await T(d))return e.stderr(N("check",n)),s.invalid;let v=await b(e,"check",d);if(v===s.invalid)return s.invalid;let A=new F(d,l,await D(e,d,n,l)),C=await x(S,{log:l});try{let r=await W({releases:()=>p(E(e.cwd,t)),releasesPath:t,store:A,api:C,clock:_,log:l,checkState:new u(d),entryTimes:new m(E(e.cwd,t),t)},{concurrency:2,pendingScope:"batch",inFlightMs:0,settleMs:f,accounts:i,provenance:w(e),lookupBudget:a,unappliedAfterHours:Z,...e.signal?{signal:e.signal}:{}});return r.kind==="invalid"?(e.stderr(L(r.errors)),s.invalid):(e.stdout(c==="json"?`${JSON.stringify(J(r))}
`:B(r)),await q(A,e,w(e).run)?r.drift.length>0||r.unapplied.overdue>0?s.invalid:r.resolved.results.some(g=>(g.state==="pending"||g.state==="unknown")&&g.error!==void 0)||r.resolved.deferred.length>0||r.resolved.unverified.length>0||r.checked<r.released?s.incomplete:s.ok:s.incomplete)}finally{await C.close(),await v.release()}}};export{Me as checkCommand};
