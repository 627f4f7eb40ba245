/**
 * `btfkit check --html FILE`: the report as one self-contained HTML page.
 *
 * Approach: the page needs no network: CSS and JS are inline, and the data is embedded as JSON
 * in a `<script type="application/json">` element, with every `<`, `>`, `&` and U+2028/2029
 * written as a \u escape so that no module name or reason can end the element (`</script>`) or
 * open an HTML comment. The data is compacted first: module names lose their common directory
 * prefix, and identical reasons (the same struct change breaks hundreds of modules) are stored
 * once and referenced by index. The page script builds the modules × kernels matrix (rendered
 * in pages of 500 rows so that tens of thousands of modules stay responsive), the per-kernel
 * status filters and the text search (module path or type name), and shows a cell's reasons
 * when it is clicked. Library code: no `node:` imports.
 */

import type { CheckReport } from './report.js';
import { isProblem, type CheckReason } from './check.js';

export interface HtmlOptions {
  title?: string;
  /** A line under the title, e.g. when and how the report was made. */
  subtitle?: string;
  /** The BTF the modules were built against (--base), named in the subtitle. */
  build?: string | null;
}

/** One module's verdict on one kernel: [status, problem (0/1), reason indexes, fate, BTF accepted (0/1)]. */
type Cell = [string, number, number[], string, number] | null;

interface HtmlReason {
  /** type */
  t: string;
  /** kind */
  k: string;
  /** problem */
  p: string;
  /** detail */
  d: string;
  /** changes */
  c?: string[];
}

export interface HtmlData {
  title: string;
  subtitle: string;
  prefix: string;
  kernels: CheckReport['kernels'];
  topTypes: CheckReport['topTypes'];
  modules: string[];
  /** cells[module][kernel] */
  cells: Cell[][];
  reasons: HtmlReason[];
  libbpf: string[];
  /** libbpf message index per module × kernel (-1: none), flattened. */
  lb: number[];
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** JSON that is safe inside a `<script>` element: no `<`, `>`, `&`, U+2028 or U+2029 left. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** The longest directory prefix (ending in '/') shared by every name. */
export function commonDirPrefix(names: readonly string[]): string {
  if (names.length === 0) return '';
  let p = names[0]!;
  for (const n of names) {
    let i = 0;
    const max = Math.min(p.length, n.length);
    while (i < max && p.charCodeAt(i) === n.charCodeAt(i)) i++;
    p = p.slice(0, i);
    if (!p) return '';
  }
  const slash = p.lastIndexOf('/');
  return slash >= 0 ? p.slice(0, slash + 1) : '';
}

/** The compact page data of a report. */
export function htmlData(report: CheckReport, opts: HtmlOptions = {}): HtmlData {
  const kIndex = new Map(report.kernels.map((k, i) => [k.name, i]));
  const modIndex = new Map<string, number>();
  const modules: string[] = [];
  for (const r of report.results) {
    if (!modIndex.has(r.module)) {
      modIndex.set(r.module, modules.length);
      modules.push(r.module);
    }
  }
  const prefix = modules.length > 1 ? commonDirPrefix(modules) : '';
  const cells: Cell[][] = modules.map(() => report.kernels.map(() => null));
  const reasons: HtmlReason[] = [];
  const reasonKey = new Map<string, number>();
  const libbpf: string[] = [];
  const libbpfKey = new Map<string, number>();
  const lb: number[] = new Array<number>(modules.length * report.kernels.length).fill(-1);
  const reasonId = (r: CheckReason): number => {
    const h: HtmlReason = { t: r.type, k: r.kind, p: r.problem, d: r.detail };
    if (r.changes && r.changes.length) h.c = r.changes;
    const key = JSON.stringify(h);
    let i = reasonKey.get(key);
    if (i === undefined) {
      i = reasons.length;
      reasons.push(h);
      reasonKey.set(key, i);
    }
    return i;
  };
  for (const r of report.results) {
    const m = modIndex.get(r.module)!;
    const k = kIndex.get(r.kernel);
    if (k === undefined) continue;
    cells[m]![k] = [r.status, isProblem(r) ? 1 : 0, r.reasons.map(reasonId), r.fate, r.btfAccepted ? 1 : 0];
    if (r.libbpfMessage) {
      let i = libbpfKey.get(r.libbpfMessage);
      if (i === undefined) {
        i = libbpf.length;
        libbpf.push(r.libbpfMessage);
        libbpfKey.set(r.libbpfMessage, i);
      }
      lb[m * report.kernels.length + k] = i;
    }
  }
  const title = opts.title ?? 'btfkit check';
  const subtitle = opts.subtitle ?? `${modules.length} module${modules.length === 1 ? '' : 's'} × ${report.kernels.length} kernel${report.kernels.length === 1 ? '' : 's'}; built against ${opts.build ?? '(no --base given: modules without .BTF.base are checked as they are)'}`;
  return {
    title,
    subtitle,
    prefix,
    kernels: report.kernels,
    topTypes: report.topTypes,
    modules: modules.map((m) => m.slice(prefix.length)),
    cells,
    reasons,
    libbpf,
    lb,
  };
}

const CSS = `
:root{--ok:#1a7f37;--okbg:#dafbe1;--bad:#cf222e;--badbg:#ffebe9;--nd:#9a6700;--ndbg:#fff8c5;--err:#8250df;--errbg:#fbefff;--fg:#1f2328;--mut:#59636e;--line:#d1d9e0;--bg:#ffffff;--bg2:#f6f8fa;--sel:#0969da}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{padding:16px 24px 8px}
h1{font-size:20px;margin:0 0 2px}
h2{font-size:15px;margin:0 0 8px}
.sub{color:var(--mut);margin:0}
.mono,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
#summary{display:flex;flex-wrap:wrap;gap:12px;padding:8px 24px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:260px;max-width:460px;flex:1;background:var(--bg)}
.card .path{color:var(--mut);font-size:12px;word-break:break-all;margin-bottom:6px}
.counts{display:flex;gap:14px;margin:4px 0 8px;flex-wrap:wrap}
.count{display:flex;flex-direction:column}
.count b{font-size:20px;line-height:1.1}
.count span{font-size:12px;color:var(--mut)}
.count.ok b{color:var(--ok)}.count.failed b{color:var(--bad)}.count.nd b{color:var(--nd)}.count.err b{color:var(--err)}.count.nobtf b{color:var(--mut)}
.config{font-size:12.5px;margin:2px 0 6px}
.fate{margin:0 0 6px;font-weight:600}
.top{margin:0;padding:0;list-style:none;font-size:13px}
.top li{display:flex;justify-content:space-between;gap:8px;padding:1px 0}
.top a{color:var(--sel);cursor:pointer;text-decoration:none}
.top a:hover{text-decoration:underline}
#filters{position:sticky;top:0;z-index:3;display:flex;flex-wrap:wrap;align-items:center;gap:10px 16px;padding:10px 24px;background:var(--bg2);border-top:1px solid var(--line);border-bottom:1px solid var(--line)}
#filters label{display:flex;align-items:center;gap:6px}
#kfilters{display:flex;flex-wrap:wrap;gap:8px 16px}
#q{width:320px;max-width:100%;padding:5px 8px;border:1px solid var(--line);border-radius:6px;font:inherit}
select{padding:4px 6px;border:1px solid var(--line);border-radius:6px;font:inherit;background:var(--bg)}
#shown{color:var(--mut);margin-left:auto}
main{padding:0 24px 24px}
table{border-collapse:collapse;width:100%;margin-top:8px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{position:sticky;top:var(--fh,50px);background:var(--bg);z-index:2;border-bottom:2px solid var(--line)}
td.m{word-break:break-all}
.prefix{color:var(--mut)}
td.c,th.k{white-space:nowrap;width:1%}
.b{display:inline-block;border-radius:10px;padding:0 8px;font-size:12.5px;border:1px solid transparent;max-width:340px;overflow:hidden;text-overflow:ellipsis;vertical-align:middle}
.b.ok{color:var(--ok);background:var(--okbg)}
.b.failed{color:var(--bad);background:var(--badbg);cursor:pointer}
.b.nd{color:var(--nd);background:var(--ndbg);cursor:pointer}
.b.error{color:var(--err);background:var(--errbg);cursor:pointer}
.b.nobtf{color:var(--mut);background:var(--bg2);cursor:pointer}
.b.sel{border-color:var(--fg)}
.b.none{color:var(--mut)}
tr.detail>td{background:var(--bg2);padding:10px 16px 12px}
.expl h3{font-size:14px;margin:0 0 6px}
.expl ul{margin:4px 0;padding-left:20px}
.expl li{margin:3px 0}
.tag{display:inline-block;font-size:11px;border:1px solid var(--line);border-radius:4px;padding:0 4px;margin-right:4px;color:var(--mut);background:var(--bg)}
.changes{margin:4px 0 2px;padding:6px 8px;background:var(--bg);border:1px solid var(--line);border-radius:6px;white-space:pre-wrap}
.lb{color:var(--mut);margin-top:6px}
.hint{color:var(--mut);font-size:12.5px}
#more{margin:12px 0;padding:6px 12px;border:1px solid var(--line);border-radius:6px;background:var(--bg2);cursor:pointer;font:inherit}
footer{color:var(--mut);font-size:12px;padding:8px 24px 24px}
`;

// The page script. Plain ES2017, no template literals (this file is itself a template).
const JS = `
(function(){
'use strict';
var D=JSON.parse(document.getElementById('btfkit-data').textContent);
var K=D.kernels.length, PAGE=500, limit=PAGE, open=null;
var LABEL={ok:'ok',failed:'BTF rejected','not-distilled':'not distilled','no-btf':'no BTF',error:'error'};
var FATE={'loads-with-btf':'loads with BTF','loads-without-btf':'loads without BTF',refused:'load refused','refused-or-loads-without-btf':'refused if CONFIG_MODULE_ALLOW_BTF_MISMATCH is off, loads without BTF if =y'};
function esc(s){return String(s).replace(/[&<>"']/g,function(c){return c==='&'?'&amp;':c==='<'?'&lt;':c==='>'?'&gt;':c==='"'?'&quot;':'&#39;';});}
function $(id){return document.getElementById(id);}
function cls(c){if(!c)return 'none';if(c[0]==='ok')return 'ok';if(c[0]==='no-btf')return 'nobtf';if(c[0]==='not-distilled')return c[1]?'nd':'ok';return c[0]==='failed'?'failed':'error';}
function badge(c){
  if(!c)return '<span class="b none">\\u2013</span>';
  if(c[0]==='ok')return '<span class="b ok">ok</span>';
  if(c[0]==='no-btf')return '<span class="b nobtf" data-click="1" title="no .BTF section: loads without BTF">no BTF</span>';
  if(c[0]==='not-distilled'&&!c[1])return '<span class="b ok" title="no .BTF.base; consistent with this kernel">ok (not distilled)</span>';
  var first='',n=0;
  for(var i=0;i<c[2].length;i++){var t=D.reasons[c[2][i]].t;if(t){if(!first)first=t;n++;}}
  var txt=c[0]==='failed'?(first?'\\u2717 '+first+(n>1?' +'+(n-1):''):'\\u2717 BTF rejected'):c[0]==='error'?'error':'\\u2717 not distilled';
  return '<span class="b '+cls(c)+'" data-click="1">'+esc(txt)+'</span>';
}
function statusMatch(c,f){
  if(f==='all')return true;
  if(!c)return false;
  if(f==='ok')return c[1]===0;
  if(f==='fail')return c[1]===1;
  return c[0]===f;
}
function rowMatches(m,q,fs,view){
  var cs=D.cells[m];
  if(view==='problems'){var any=false;for(var k0=0;k0<K;k0++)if(cs[k0]&&cs[k0][1]===1)any=true;if(!any)return false;}
  for(var k=0;k<K;k++)if(!statusMatch(cs[k],fs[k]))return false;
  if(!q)return true;
  if((D.prefix+D.modules[m]).toLowerCase().indexOf(q)>=0)return true;
  for(var k2=0;k2<K;k2++){var c=cs[k2];if(!c)continue;for(var i=0;i<c[2].length;i++){if(D.reasons[c[2][i]].t.toLowerCase().indexOf(q)>=0)return true;}}
  return false;
}
function filters(){var fs=[];for(var k=0;k<K;k++)fs.push($('f'+k).value);return fs;}
function explain(m,k){
  var c=D.cells[m][k],kn=D.kernels[k].name;
  var h='<div class="expl"><h3>'+esc(D.prefix+D.modules[m])+' on '+esc(kn)+': '+esc(c?(c[0]==='not-distilled'&&c[1]?(c[4]?'BTF accepted but it does not fit (not distilled)':'BTF rejected (not distilled)'):LABEL[c[0]]):'no result')+'</h3>';
  if(c)h+='<div class="fate" data-fate="'+esc(c[3])+'">the module: '+esc(FATE[c[3]]||c[3])+'</div>';
  if(c&&c[2].length){
    h+='<ul>';
    for(var i=0;i<c[2].length;i++){
      var r=D.reasons[c[2][i]];
      h+='<li><span class="tag">'+esc(r.p)+'</span>'+(r.k?'<span class="tag">'+esc(r.k)+'</span>':'')+esc(r.d);
      if(r.c&&r.c.length)h+='<div class="changes mono">'+esc(r.c.join('\\n'))+'</div>';
      h+='</li>';
    }
    h+='</ul>';
  }
  var l=D.lb[m*K+k];
  if(l>=0)h+='<div class="lb">libbpf: <code>'+esc(D.libbpf[l])+'</code></div>';
  if(c&&c[0]==='failed')h+='<div class="hint">A distilled base type must match a type of the same name, kind and size in the kernel; when it does not, the kernel rejects the module\\u2019s BTF (and, unless CONFIG_MODULE_ALLOW_BTF_MISMATCH=y, the module). Rebuild the module against '+esc(kn)+', or fix the type it depends on.</div>';
  if(c&&c[0]==='not-distilled')h+='<div class="hint">The module has no .BTF.base: its BTF only fits the exact kernel it was built against. Make it resilient with <code>btfkit distill</code>.</div>';
  return h+'</div>';
}
function render(){
  var q=$('q').value.trim().toLowerCase(),fs=filters(),view=$('view').value,rows=[],total=0;
  for(var m=0;m<D.modules.length;m++){
    if(!rowMatches(m,q,fs,view))continue;
    total++;
    if(rows.length>=limit)continue;
    var h='<tr data-m="'+m+'"><td class="m mono">'+(D.prefix?'<span class="prefix">\\u2026/</span>':'')+esc(D.modules[m])+'</td>';
    for(var k=0;k<K;k++)h+='<td class="c" data-k="'+k+'">'+badge(D.cells[m][k])+'</td>';
    h+='</tr>';
    if(open&&open[0]===m)h+='<tr class="detail"><td colspan="'+(K+1)+'">'+explain(m,open[1])+'</td></tr>';
    rows.push(h);
  }
  $('rows').innerHTML=rows.join('');
  if(open){var sel=document.querySelector('tr[data-m="'+open[0]+'"] td[data-k="'+open[1]+'"] .b');if(sel)sel.classList.add('sel');}
  $('shown').textContent='showing '+rows.length+' of '+total+(total===D.modules.length?'':' matching ('+D.modules.length+' modules)');
  $('shown').setAttribute('data-count',String(total));
  $('shown').setAttribute('data-shown',String(rows.length));
  var more=$('more');
  if(total>rows.length){more.hidden=false;more.textContent='show '+Math.min(PAGE,total-rows.length)+' more ('+(total-rows.length)+' not shown)';}
  else more.hidden=true;
}
function summary(){
  var h='';
  for(var k=0;k<K;k++){
    var s=D.kernels[k];
    h+='<div class="card" data-kernel="'+esc(s.name)+'"><h2>'+esc(s.name)+'</h2><div class="path mono">'+esc(s.path)+'</div><div class="counts">'+
      '<div class="count ok"><b data-n="ok">'+s.ok+'</b><span>ok</span></div>'+
      '<div class="count failed"><b data-n="failed">'+s.failed+'</b><span>BTF rejected</span></div>'+
      '<div class="count nd"><b data-n="notDistilled">'+s.notDistilled+'</b><span>not distilled</span></div>'+
      '<div class="count nobtf"><b data-n="noBtf">'+(s.noBtf||0)+'</b><span>no BTF</span></div>'+
      '<div class="count err"><b data-n="errors">'+(s.errors||0)+'</b><span>errors</span></div></div>'+
      '<div class="config" data-allow="'+String(s.allowBtfMismatch)+'">'+(s.allowBtfMismatch===null?'configuration unknown: a module whose BTF is rejected is refused if CONFIG_MODULE_ALLOW_BTF_MISMATCH is off, loads without BTF if =y':s.allowBtfMismatch?'CONFIG_MODULE_ALLOW_BTF_MISMATCH=y: a module whose BTF is rejected loads without BTF':'CONFIG_MODULE_ALLOW_BTF_MISMATCH is not set: a module whose BTF is rejected is refused')+(s.config?' <span class="path mono">('+esc(s.config)+')</span>':'')+'</div>'+
      '<div class="fates hint" data-fates="1">loads with BTF <b>'+s.fates.loadsWithBtf+'</b>, without BTF <b>'+s.fates.loadsWithoutBtf+'</b>, refused <b>'+s.fates.refused+'</b>'+(s.fates.refusedOrLoadsWithoutBtf?', refused or without BTF (configuration unknown) <b>'+s.fates.refusedOrLoadsWithoutBtf+'</b>':'')+'</div>';
    var top=D.topTypes.filter(function(t){return t.kernel===s.name;}).slice(0,5);
    if(top.length){
      h+='<div class="hint">types that break the most modules</div><ul class="top">';
      for(var i=0;i<top.length;i++)h+='<li><a data-type="'+esc(top[i].type)+'">'+esc(top[i].type)+'</a><span>'+top[i].modules+' module'+(top[i].modules===1?'':'s')+'</span></li>';
      h+='</ul>';
    }
    h+='</div>';
  }
  $('summary').innerHTML=h;
}
function setup(){
  document.title=D.title;
  $('title').textContent=D.title;
  $('subtitle').textContent=D.subtitle;
  var fh='',th='<th>module'+(D.prefix?' <span class="prefix mono" title="common prefix">(\\u2026/ = '+esc(D.prefix)+')</span>':'')+'</th>';
  for(var k=0;k<K;k++){
    fh+='<label>'+esc(D.kernels[k].name)+' <select id="f'+k+'" aria-label="status on '+esc(D.kernels[k].name)+'">'+
      '<option value="all">any status</option><option value="ok">fine</option><option value="fail">problem</option>'+
      '<option value="failed">BTF rejected</option><option value="not-distilled">not distilled</option><option value="no-btf">no BTF</option><option value="error">error</option></select></label>';
    th+='<th class="k">'+esc(D.kernels[k].name)+'</th>';
  }
  $('kfilters').innerHTML=fh;
  $('head').innerHTML='<tr>'+th+'</tr>';
  summary();
  var sticky=function(){document.documentElement.style.setProperty('--fh',$('filters').offsetHeight+'px');};
  sticky();window.addEventListener('resize',sticky);
  var timer=0;
  $('q').addEventListener('input',function(){clearTimeout(timer);timer=setTimeout(function(){limit=PAGE;render();},120);});
  for(var k2=0;k2<K;k2++)$('f'+k2).addEventListener('change',function(){limit=PAGE;render();});
  var anyProblem=false;for(var m0=0;m0<D.modules.length&&!anyProblem;m0++)for(var k3=0;k3<K;k3++)if(D.cells[m0][k3]&&D.cells[m0][k3][1]===1)anyProblem=true;
  $('view').value=anyProblem?'problems':'all';
  $('view').addEventListener('change',function(){limit=PAGE;render();});
  $('more').addEventListener('click',function(){limit+=PAGE;render();});
  $('rows').addEventListener('click',function(e){
    var b=e.target.closest?e.target.closest('.b[data-click]'):null;if(!b)return;
    var td=b.parentNode,tr=td.parentNode,m=+tr.getAttribute('data-m'),k=+td.getAttribute('data-k');
    open=(open&&open[0]===m&&open[1]===k)?null:[m,k];
    render();
  });
  $('summary').addEventListener('click',function(e){
    var a=e.target.closest?e.target.closest('a[data-type]'):null;if(!a)return;
    $('q').value=a.getAttribute('data-type');limit=PAGE;render();
  });
  render();
}
setup();
})();
`;

/** The whole page. */
export function renderHtml(report: CheckReport, opts: HtmlOptions = {}): string {
  const data = htmlData(report, opts);
  const title = escapeHtml(data.title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${title}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1 id="title">${title}</h1><p class="sub" id="subtitle">${escapeHtml(data.subtitle)}</p></header>
<section id="summary" aria-label="summary"></section>
<div id="filters"><label>show <select id="view" aria-label="rows"><option value="problems">modules with a problem</option><option value="all">all modules</option></select></label><label>search <input id="q" type="search" placeholder="module path or type, e.g. struct device" autocomplete="off"></label><span id="kfilters"></span><span id="shown"></span></div>
<main>
<table id="matrix"><thead id="head"></thead><tbody id="rows"></tbody></table>
<button id="more" hidden></button>
<noscript><p>This report needs JavaScript to show the matrix; the data is in the script element below.</p></noscript>
</main>
<footer>Made by btfkit. Click a cell for its reasons and the module’s fate. The kernel accepts a module’s BTF when every type of its distilled base (.BTF.base) maps onto that kernel’s BTF; when it does not, CONFIG_MODULE_ALLOW_BTF_MISMATCH decides: =y loads the module without BTF, otherwise the load is refused.</footer>
<script type="application/json" id="btfkit-data">${scriptSafeJson(data)}</script>
<script>${JS}</script>
</body>
</html>
`;
}
