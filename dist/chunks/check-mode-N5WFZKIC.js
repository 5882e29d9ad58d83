import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as B}from"./chunk-DCA6FU7R.js";import{a as S,b as h,c as R,d as C,e as F,f as v,g as A}from"./chunk-DZKZE73W.js";import{a as L}from"./chunk-CUK2H2QH.js";import{a as P,b as j,c as M,d as E}from"./chunk-IDYYJF4E.js";import"./chunk-YZHR2ZGB.js";import{b as q}from"./chunk-VYLC7UU3.js";import"./chunk-LAPF2GTW.js";import"./chunk-FZ4EBNIE.js";import"./chunk-COW5GPTI.js";import{a as w}from"./chunk-5FGMZJRG.js";import"./chunk-S2CX2YBF.js";import"./chunk-ZVPLCRCP.js";import"./chunk-A5GZW4ER.js";import"./chunk-JZ7S6YQK.js";import"./chunk-KYNQYJVX.js";import{a as b}from"./chunk-E5WIJPW6.js";import{d as $}from"./chunk-QWBTUILN.js";import"./chunk-KMTOM55G.js";import"./chunk-RQZBXVPK.js";import"./chunk-UJAYHDXK.js";import"./chunk-5ZHEZIVF.js";import"./chunk-ZH4DSY25.js";import"./chunk-75JSUAJC.js";import"./chunk-YT7T6RB5.js";import{b as k}from"./chunk-GRLPJF4I.js";import"./chunk-T4R53OPC.js";import"./chunk-GIA5RIS2.js";import"./chunk-PBX3UOBU.js";import"./chunk-F6MHY6Q7.js";import{b as y}from"./chunk-DQQKFFV5.js";import"./chunk-LIQU27LZ.js";var G=`query QuarantineReleaseBlame($owner: String!, $name: String!, $oid: GitObjectID!, $path: String!) {
  repository(owner: $owner, name: $name) {
    object(oid: $oid) {
      ... on Commit {
        blame(path: $path) {
          ranges {
            startingLine
            endingLine
            commit {
              oid
              committedDate
              associatedPullRequests(first: 5) { nodes { merged mergedAt baseRefName } }
            }
          }
        }
      }
    }
  }
}`,f=class{constructor(o,i,r){this.gh=o;this.repo=i;this.options=r}gh;repo;options;async since(o){let{path:i,branch:r}=this.options,a=this.options.commit();if(a===void 0)throw new Error(`the commit ${i} was read at is not known`);let m=(await this.gh.graphql(G,{owner:this.repo.owner,name:this.repo.repo,oid:a,path:i})).repository?.object?.blame?.ranges;if(!m)throw new Error(`GitHub gave no blame of ${i} at ${a.slice(0,7)}`);let p=new Set(o),u=new Map;for(let l of m){let{commit:d}=l,s={at:d.associatedPullRequests?.nodes.find(n=>n.merged&&n.mergedAt&&n.baseRefName===r)?.mergedAt??d.committedDate,commit:d.oid};for(let n=l.startingLine;n<=l.endingLine;n++)p.has(n)&&u.set(n,s)}return{basis:"line",source:`the commit that last changed each entry's line (GitHub's blame of ${i} at ${a.slice(0,7)}): when its pull request was merged into ${r}, or its date when it was pushed directly`,at:u}}};var g=class{constructor(o,i,r){this.store=o;this.path=i;this.commitMessage=r}store;path;commitMessage;async read(){let o=await this.store.readFile(this.path);return o.kind==="link"?{kind:"unreadable",message:"is a symbolic link: ignored, it must be a plain file"}:o.kind==="text"&&o.text.length>h?{kind:"unreadable",message:`larger than ${h} bytes`}:o}async write(o){await this.store.updateFile(this.path,i=>R(i!==void 0&&i.length<=h?i:void 0,o,this.path),this.commitMessage)}};async function te(e,o,i){let{toolkit:r}=o,a=j(r),c=q(e.runner),m=o.github(),p=P(e),u=`${e.ledgerPath}/${S}`,l=new L(m,{...p,branch:i,ledgerDir:e.ledgerPath,releasesPath:e.releasesFile,extraFiles:[u],workspace:e.runner.workspace,key:e.ledgerKey,log:a,commitMessage:(t,s)=>`quarantine-release: drift check resolved ${new Set(s.map(n=>`${n.account_id}/${n.id}`)).size} message(s) [skip ci]

${c?`Run: ${c}
`:""}`}),d=await b(e.cloudflare);try{let t=await A({releases:()=>l.readReleases(),releasesPath:e.releasesFile,store:l,api:d,clock:k,log:a,runs:new B(m,p,e.runner.serverUrl),entryTimes:new f(m,p,{path:e.releasesFile,branch:i,commit:()=>l.headSha}),checkState:new g(l,u,`quarantine-release: drift check cursor [skip ci]

${c?`Run: ${c}
`:""}`)},{concurrency:e.concurrency,pendingScope:"run",inFlightMs:w.requestMs,settleMs:e.settleMs,accounts:e.accounts,provenance:{...e.runner.actor?{actor:e.runner.actor}:{},...c?{run:c}:{}},lookupBudget:e.safety.lookupBudget,unappliedAfterHours:e.unappliedAfterHours});if(a.endPhase(),t.kind==="invalid"){M(r,t.errors),await r.summary($(t.errors,"quarantine-release drift check: cannot run",200)),r.setFailed(`${t.errors.length} problem(s) in ${t.stage==="ledger"?"the ledger":e.releasesFile}`);return}r.info(C(t)),await r.summary(v(t)),await E(e,r,F(t)),r.setOutput("drift",t.drift.length),r.setOutput("checked",t.checked),r.setOutput("unapplied",t.unapplied.entries.length);let s=[];t.drift.length>0?s.push(`${t.drift.length} message(s) recorded as released are back in quarantine`):t.released>0&&t.checked===0&&s.push(`none of the ${t.released} released message(s) could be checked${t.stopped?` (${y(t.stopped,200)})`:""} (see the warnings)`);let{overdue:n,afterHours:H,basis:D}=t.unapplied;n>0&&s.push(`${n} entr${n===1?"y":"ies"} of ${y(e.releasesFile,200)} merged but never applied (not in the ledger at all) ${n===1?"has":"have"} waited ${D==="unknown"?"for a time that cannot be told":`${H} h or more`}: re-run the apply run of their merge`),s.length>0&&r.setFailed(`${s.join("; ")}; see the job summary`)}finally{a.endPhase(),await d.close()}}export{te as checkBranch};
