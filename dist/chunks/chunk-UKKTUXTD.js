import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
import{a as h}from"./chunk-CCLZTTMR.js";import{b as f}from"./chunk-STF3I3OV.js";import{b as p}from"./chunk-I754YZUD.js";import{i as d}from"./chunk-YIEWQOK2.js";import{a as r,d as m,g as c}from"./chunk-BMCYM6BZ.js";import{resolve as v}from"node:path";var j={name:"validate",summary:"check releases.yaml against the schema (no network, no ledger)",options:{releases:{type:"string"},format:{type:"string"}},help:`Usage: quarantine-release validate [--releases FILE] [--format text|json]

Checks releases.yaml: YAML syntax, the schema, duplicate messages. Every problem is
reported as file:line:column: message.

Options:
  --releases FILE   the requests file (default: releases.yaml)
  --format FORMAT   text (default) or json: {"valid", "errors": [{file, line, column, pointer, message}]}
  -h, --help        show this help

Exit codes: 0 valid, 1 invalid, 2 usage error.
`,async run(o,s){let a=m(o,"releases","releases.yaml"),g=c(o,"format",["text","json"],"text"),e=await p(()=>d(v(s.cwd,a)),a,Date.now()),n=e.ok?[]:e.errors;if(g==="json")s.stdout(h(n));else if(e.ok){let t=e.file.searches??[],l=e.file.releases.length+t.length,i=new Set([...e.file.releases,...t].map(y=>y.account_id)).size,u=t.length>0?`, ${t.length} of them by search, resolved at plan time with credentials`:"";s.stdout(`${a}: valid (${l} ${l===1?"entry":"entries"}${u}, ${i} account${i===1?"":"s"})
`)}else s.stderr(f(n));return e.ok?r.ok:r.invalid}};export{j as a};
