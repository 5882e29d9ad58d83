import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as R,b as h,c as C,d as v,e as F,f as A,g as L}from"./chunk-CY5YZCNL.js";import{a as D}from"./chunk-DCA6FU7R.js";import"./chunk-FNQO2OJQ.js";import{a as q}from"./chunk-UBG6XRAA.js";import{h as k}from"./chunk-HY7E7TEN.js";import{b as H}from"./chunk-GKYPKEG4.js";import"./chunk-KFCF36CD.js";import{a as b,b as $}from"./chunk-2CYKIBAD.js";import{h as y}from"./chunk-ZPIAGMGV.js";import"./chunk-T4R53OPC.js";import"./chunk-S2CX2YBF.js";import{a as j,b as M,c as P,d as E}from"./chunk-PLDPB5AP.js";import{C as S}from"./chunk-F5JCH2OC.js";import"./chunk-FZ4EBNIE.js";import"./chunk-5YO3KH2O.js";import{f as w}from"./chunk-5S3JGAZJ.js";import"./chunk-LIQU27LZ.js";var x=`query QuarantineReleaseBlame($owner: String!, $name: String!, $oid: GitObjectID!, $path: String!) {
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
}`,g=class{constructor(o,i,r){this.gh=o;this.repo=i;this.options=r}gh;repo;options;async since(o){let{path:i,branch:r}=this.options,l=this.options.commit();if(l===void 0)throw new Error(`the commit ${i} was read at is not known`);let m=(await this.gh.graphql(x,{owner:this.repo.owner,name:this.repo.repo,oid:l,path:i})).repository?.object?.blame?.ranges;if(!m)throw new Error(`GitHub gave no blame of ${i} at ${l.slice(0,7)}`);let p=new Set(o),u=new Map;for(let s of m){let{commit:d}=s,a={at:d.associatedPullRequests?.nodes.find(n=>n.merged&&n.mergedAt&&n.baseRefName===r)?.mergedAt??d.committedDate,commit:d.oid};for(let n=s.startingLine;n<=s.endingLine;n++)p.has(n)&&u.set(n,a)}return{basis:"line",source:`the commit that last changed each entry's line (GitHub's blame of ${i} at ${l.slice(0,7)}): when its pull request was merged into ${r}, or its date when it was pushed directly`,at:u}}};var f=class{constructor(o,i,r){this.store=o;this.path=i;this.commitMessage=r}store;path;commitMessage;async read(){let o=await this.store.readFile(this.path);return o.kind==="link"?{kind:"unreadable",message:"is a symbolic link: ignored, it must be a plain file"}:o.kind==="text"&&o.text.length>h?{kind:"unreadable",message:`larger than ${h} bytes`}:o}async write(o){await this.store.updateFile(this.path,i=>C(i!==void 0&&i.length<=h?i:void 0,o,this.path),this.commitMessage)}};async function re(e,o,i){let{toolkit:r}=o,l=M(r),c=H(e.runner),m=o.github(),p=j(e),u=`${e.ledgerPath}/${R}`,s=new q(m,{...p,branch:i,ledgerDir:e.ledgerPath,releasesPath:e.releasesFile,extraFiles:[u],workspace:e.runner.workspace,key:e.ledgerKey,log:l,commitMessage:(t,a)=>`quarantine-release: drift check resolved ${new Set(a.map(n=>`${n.account_id}/${n.id}`)).size} message(s) [skip ci]

${c?`Run: ${c}
`:""}`}),d=new $({settings:e.cloudflare,pacer:new y({now:()=>Date.now(),sleep:(t,a)=>k.sleep(t,a)})});try{let t=await L({releases:()=>s.readReleases(),releasesPath:e.releasesFile,store:s,api:d,clock:k,log:l,runs:new D(m,p,e.runner.serverUrl),entryTimes:new g(m,p,{path:e.releasesFile,branch:i,commit:()=>s.headSha}),checkState:new f(s,u,`quarantine-release: drift check cursor [skip ci]

${c?`Run: ${c}
`:""}`)},{concurrency:e.concurrency,pendingScope:"run",inFlightMs:b.requestMs,settleMs:e.settleMs,accounts:e.accounts,provenance:{...e.runner.actor?{actor:e.runner.actor}:{},...c?{run:c}:{}},lookupBudget:e.review.lookupBudget,unappliedAfterHours:e.unappliedAfterHours});if(t.kind==="invalid"){P(r,t.errors),await r.summary(S(t.errors,"quarantine-release drift check: cannot run",200)),r.setFailed(`${t.errors.length} problem(s) in ${t.stage==="ledger"?"the ledger":e.releasesFile}`);return}r.info(v(t)),await r.summary(A(t)),await E(e,r,F(t)),r.setOutput("drift",t.drift.length),r.setOutput("checked",t.checked),r.setOutput("unapplied",t.unapplied.entries.length);let a=[];t.drift.length>0?a.push(`${t.drift.length} message(s) recorded as released are back in quarantine`):t.released>0&&t.checked===0&&a.push(`none of the ${t.released} released message(s) could be checked${t.stopped?` (${w(t.stopped,200)})`:""} (see the warnings)`);let{overdue:n,afterHours:G,basis:T}=t.unapplied;n>0&&a.push(`${n} entr${n===1?"y":"ies"} of ${w(e.releasesFile,200)} merged but never applied (not in the ledger at all) ${n===1?"has":"have"} waited ${T==="unknown"?"for a time that cannot be told":`${G} h or more`}: re-run the apply run of their merge`),a.length>0&&r.setFailed(`${a.join("; ")}; see the job summary`)}finally{await d.close()}}export{re as checkBranch};
