import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as p,b as u,d as h,e as w,f as v}from"./chunk-3FLCYPNJ.js";import"./chunk-TD44JLOY.js";import{j as T}from"./chunk-KMTOM55G.js";import{b as y}from"./chunk-UWL2SQYP.js";import"./chunk-ZH4DSY25.js";import{b,c as E,i as q}from"./chunk-YJBHCNCP.js";import{c as f}from"./chunk-YT7T6RB5.js";import{a,d as c,e as x,f as k}from"./chunk-7Q22RLLD.js";import"./chunk-PBX3UOBU.js";import"./chunk-F6MHY6Q7.js";import{b as D}from"./chunk-DQQKFFV5.js";import"./chunk-LIQU27LZ.js";import{resolve as A}from"node:path";async function O(n,e){let r=[],d=await q(n,s=>r.push({...s,path:`${e}/${s.name}`})),m=b(),o=[];for(let s of r)E(m,s,()=>!1,({account_id:i,id:g,seq:t},l)=>o.push({account_id:i,id:g,seq:t,file:s.path,line:l}));return d.push(...m.errors,...T(o)),{shards:r,errors:d,records:m.records}}var C={name:"ledger verify",summary:"check the whole ledger and, with a ledger key in a git clone, its whole history",options:{ledger:{type:"string"},"max-commits":{type:"string"},format:{type:"string"}},help:`Usage: quarantine-release ledger verify [--ledger DIR] [--max-commits N] [--format text|json]

Checks every line of the ledger: the record format, and each message's history (no record
missing between two of its seq numbers, no seq twice). With ${h} set and the
ledger in a git clone, also its history: every commit on HEAD's first-parent line that changed
the ledger must carry a valid seal (made with the key) of exactly the ledger it left, each
sealed ledger must keep every line of the one before, and the working tree may only add lines
after HEAD. Reports every bad line, the first one first.

Options:
  --ledger DIR        the ledger directory (default: releases.ledger)
  --max-commits N     commits of history to check, newest first (default: 10000)
  --format FORMAT     text (default) or json: {"verified", "errors": [{file, line, column, message}], ...}
  -h, --help          show this help

Exit codes: 0 verified, 1 a bad line or a missing ledger folder, 2 usage error.
`,async run(n,e){let r=c(n,"ledger","releases.ledger"),d=x(n,"format",["text","json"],"text"),m=k(n,"max-commits",1e4,1,1e6),o=A(e.cwd,r);if(!await p(o))return e.stderr(u("ledger verify",r)),a.invalid;let s=v(e),i=await O(o,r),g=await w(e,o,r,s),t=g?await g.verifyHistory(i.shards,m):void 0,l=f([...i.errors,...t?.errors??[]]),I={verified:l.length===0,records:i.records,shards:i.shards.length,history:t?{commits:t.commits,sealed:t.sealed,last_seal:t.last??null}:null};if(d==="json")return e.stdout(`${JSON.stringify({...I,errors:l})}
`),l.length===0?a.ok:a.invalid;if(l.length>0){e.stderr(y(l));let $=l[0];return e.stderr(`ledger verify: ${l.length} problem(s); the first at ${D(`${$.file}:${$.line}`,300)}
`),a.invalid}let _=t?`; history: ${t.commits} commit(s) checked, ${t.sealed} sealed by quarantine-release${t.last?`, the last ${t.last.slice(0,12)}`:""}`:`; history not checked (set ${h} and run in a git clone of the repository)`;return e.stdout(`ledger verified: ${i.records} record(s) in ${i.shards.length} shard(s)${_}
`),a.ok}},R={name:"ledger seal",summary:"seal the ledger as it is in a commit of its own (adopt or repair, by hand)",options:{ledger:{type:"string"},message:{type:"string"}},help:`Usage: quarantine-release ledger seal [--ledger DIR] [--message TEXT]

Seals the ledger as it is now in a commit of its own, on top of HEAD (the ledger directory
alone; other changes are left as they are). Needs ${h} and a git clone.
apply and check seal what they write themselves: this is the explicit act for the other
cases, like \`terraform state\`: adopting a ledger written before seals, or sealing a repair
(restoring lines someone removed) once it has been reviewed. The ledger must read cleanly
(the format, and each message's history); nothing is committed when HEAD already has it.

Options:
  --ledger DIR        the ledger directory (default: releases.ledger)
  --message TEXT      the commit's first line (default: quarantine-release: ledger sealed by hand)
  -h, --help          show this help

Exit codes: 0 sealed (or nothing to seal), 1 no key, not a git clone, or the ledger does not
read cleanly, 2 usage error.
`,async run(n,e){let r=c(n,"ledger","releases.ledger"),d=A(e.cwd,r);if(!await p(d))return e.stderr(u("ledger seal",r)),a.invalid;let m=v(e),o=await w(e,d,r,m);if(!o)return e.stderr(`quarantine-release ledger seal: needs ${h} and the ledger in a git clone
`),a.invalid;let s=await O(d,r);if(s.errors.length>0)return e.stderr(y(f(s.errors))),e.stderr(`ledger seal: the ledger does not read cleanly: nothing was sealed
`),a.invalid;let i=c(n,"message","quarantine-release: ledger sealed by hand"),g=await o.seal(s.shards,`${i.split(`
`)[0]} [skip ci]
`);return e.stdout(g?`Sealed the ledger in commit ${g.slice(0,12)}.
`:`Nothing to seal: HEAD already holds the ledger as it is.
`),a.ok}},J={name:"ledger",summary:"the ledger itself: verify its lines and history, or seal it by hand",options:{},subcommands:[C,R],help:`Usage: quarantine-release ledger <verify|seal> [options]

  verify   ${C.summary}
  seal     ${R.summary}

Run \`quarantine-release ledger <verify|seal> --help\` for their options.
`,async run(n,e){return e.stderr(this.help),a.usage}};export{J as ledgerCommand};
