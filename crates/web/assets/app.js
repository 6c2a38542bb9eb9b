// heaplens web app. Every string that comes from a heap reaches the page through textContent
// (never innerHTML), so a heap's text is shown and never run.
'use strict';

const TOKEN = new URLSearchParams(location.search).get('token') || '';
const ROW = 22;
const PAGE = 100;
const state = { snapshot: 0, view: 'summary', between: '', base: '', filter: '', ignored: [], selected: null, snapshots: [] };

function api(name, params) {
  const q = new URLSearchParams(Object.assign({ token: TOKEN }, params));
  return fetch(`/api/${name}?${q}`).then(async r => {
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  });
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function bytes(n) {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n, u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

function distance(d) {
  if (d === -5 || d < 0) return '–';
  if (d >= 100000000) return 'system';
  return String(d);
}

function signed(n, f) { return (n > 0 ? '+' : n < 0 ? '−' : '') + f(Math.abs(n)); }

// A list that holds only the rows on screen: the server sorts and pages, pages are fetched as
// they scroll into view.
class VirtualList {
  constructor(host, columns, fetchPage, onPick) {
    this.host = host; this.columns = columns; this.fetchPage = fetchPage; this.onPick = onPick;
    this.sort = columns.find(c => c.sortDefault) || null;
    this.order = 'desc';
    host.addEventListener('scroll', () => this.draw());
    this.reset();
  }
  template() { return this.columns.map(c => c.width || '1fr').join(' '); }
  reset() {
    this.pages = new Map(); this.total = 0; this.selected = null; this.generation = (this.generation || 0) + 1;
    this.host.replaceChildren();
    const head = el('div', 'head');
    head.style.gridTemplateColumns = this.template();
    for (const c of this.columns) {
      const h = el('span', c.numeric ? 'n' : '', c.title + (this.sort === c ? (this.order === 'desc' ? ' ▼' : ' ▲') : ''));
      if (c.sort) h.addEventListener('click', () => {
        this.order = this.sort === c && this.order === 'desc' ? 'asc' : 'desc';
        this.sort = c; this.reset();
      });
      head.append(h);
    }
    this.spacer = el('div');
    this.rows = el('div');
    this.host.append(head, this.spacer, this.rows);
    this.load(0);
  }
  params() { return this.sort ? { sort: this.sort.sort, order: this.order } : {}; }
  load(page) {
    if (this.pages.has(page)) return;
    this.pages.set(page, null);
    const generation = this.generation;
    this.fetchPage(Object.assign({ offset: page * PAGE, limit: PAGE }, this.params())).then(body => {
      if (generation !== this.generation) return;
      this.total = body.total;
      this.pages.set(page, body.rows);
      this.spacer.style.height = `${this.total * ROW}px`;
      this.draw();
    }).catch(e => {
      if (generation !== this.generation) return;
      this.rows.replaceChildren(el('div', 'empty', e.message));
    });
  }
  draw() {
    const first = Math.max(0, Math.floor(this.host.scrollTop / ROW) - 2);
    const count = Math.ceil(this.host.clientHeight / ROW) + 4;
    const frag = document.createDocumentFragment();
    if (this.total === 0 && this.pages.get(0)) frag.append(el('div', 'empty', 'Nothing to show.'));
    for (let i = first; i < Math.min(this.total, first + count); i++) {
      const page = Math.floor(i / PAGE);
      const rows = this.pages.get(page);
      if (!rows) { this.load(page); continue; }
      const data = rows[i - page * PAGE];
      if (!data) continue;
      const row = el('div', 'row' + (this.selected === i ? ' sel' : ''));
      row.style.top = `${ROW + i * ROW}px`;
      row.style.gridTemplateColumns = this.template();
      for (const c of this.columns) {
        const cell = el('span', c.numeric ? 'n' : '');
        c.render(data, cell);
        row.append(cell);
      }
      row.addEventListener('click', () => { this.selected = i; this.draw(); this.onPick && this.onPick(data); });
      frag.append(row);
    }
    this.rows.replaceChildren(frag);
  }
}

const text = key => (d, cell) => { cell.textContent = d[key]; cell.title = d[key]; };
const num = (key, f) => (d, cell) => { cell.textContent = f ? f(d[key]) : d[key]; };
function nodeCell(d, cell) {
  if (d.edge !== undefined) cell.append(el('span', 'edge', d.edge), document.createTextNode(' :: '));
  const name = d.name || d.class;
  cell.append(document.createTextNode(name + ' '), el('span', 'id', '@' + d.id));
  cell.title = name;
}
const nodeColumns = first => [
  { title: first, width: 'minmax(0, 1fr)', render: nodeCell },
  { title: 'Distance', width: '70px', numeric: true, render: num('distance', distance) },
  { title: 'Shallow', width: '80px', numeric: true, render: num('self_size', bytes) },
  { title: 'Retained', width: '80px', numeric: true, render: num('retained_size', bytes) },
];

// A drill-down: a list of a node's neighbours (children or dominated nodes) with a breadcrumb.
class Walk {
  constructor(list, crumbs, endpoint, title) {
    this.crumbs = crumbs; this.endpoint = endpoint; this.trail = [];
    this.list = new VirtualList(list, nodeColumns(title), p => this.fetch(p), d => { select(d); this.enter(d); });
  }
  fetch(p) {
    const node = this.trail.length ? this.trail[this.trail.length - 1].node : undefined;
    const params = Object.assign({ s: state.snapshot }, p);
    if (node !== undefined) params.node = node;
    return api(this.endpoint, params);
  }
  start(d) { this.trail = d ? [d] : []; this.drawCrumbs(); this.list.reset(); }
  enter(d) { this.trail.push(d); this.drawCrumbs(); this.list.reset(); }
  drawCrumbs() {
    this.crumbs.replaceChildren();
    const root = el('a', '', '(root)');
    root.addEventListener('click', () => this.start(null));
    this.crumbs.append(root);
    this.trail.forEach((d, i) => {
      const a = el('a', '', `${d.name.slice(0, 40)} @${d.id}`);
      a.addEventListener('click', () => { this.trail = this.trail.slice(0, i + 1); this.drawCrumbs(); this.list.reset(); });
      this.crumbs.append(document.createTextNode(' › '), a);
    });
  }
}

const $ = id => document.getElementById(id);
let classes, instances, children, diff, containment, dominators, retainers;
let currentClass = null;
let retainerTrail = [];

function select(d) {
  state.selected = d;
  retainerTrail = [d];
  showSelected(d);
  drawRetainerCrumbs();
  retainers.reset();
}

function showSelected(d) {
  $('selected').replaceChildren(
    el('strong', '', d.name), document.createTextNode(' '), el('span', 'id', '@' + d.id),
    document.createTextNode(`  ${d.type} · class ${d.class} · shallow ${bytes(d.self_size)} · retained ${bytes(d.retained_size)} · distance ${distance(d.distance)}`));
  $('source').replaceChildren();
  api('children', { s: state.snapshot, node: d.node, limit: 0 }).then(body => {
    if (state.selected !== d || !body.source) return;
    $('source').textContent = `source: ${body.source.at}` + (body.source.line ? `\n  ${body.source.line}` : '');
  }).catch(() => {});
}

function drawRetainerCrumbs() {
  const c = $('retainer-crumbs');
  c.replaceChildren();
  retainerTrail.forEach((d, i) => {
    const a = el('a', '', `${d.name.slice(0, 40)} @${d.id}`);
    a.addEventListener('click', () => { retainerTrail = retainerTrail.slice(0, i + 1); drawRetainerCrumbs(); retainers.reset(); });
    if (i) c.append(document.createTextNode(' ‹ '));
    c.append(a);
  });
  const ig = $('ignored');
  ig.replaceChildren();
  if (state.ignored.length) {
    ig.append(document.createTextNode(`(${state.ignored.length} ignored) `));
    const clear = el('button', 'ignore', 'stop ignoring');
    clear.addEventListener('click', () => { state.ignored = []; drawRetainerCrumbs(); retainers.reset(); });
    ig.append(clear);
  }
}

function retainerColumns() {
  const cols = nodeColumns('Object');
  cols.push({ title: '', width: '60px', render: (d, cell) => {
    const b = el('button', 'ignore', d.ignored ? 'ignored' : 'ignore');
    b.title = 'Ignore this retainer';
    b.addEventListener('click', e => {
      e.stopPropagation();
      if (!state.ignored.includes(d.node)) state.ignored.push(d.node);
      drawRetainerCrumbs(); retainers.reset();
    });
    cell.append(b);
  } });
  return cols;
}

function setup() {
  classes = new VirtualList($('classes'), [
    { title: 'Constructor', width: 'minmax(0, 1fr)', sort: 'name', render: (d, cell) => {
      cell.textContent = d.name; cell.title = d.name;
      if (d.count) cell.append(el('span', 'id', ` ×${d.count}`));
    } },
    { title: 'Distance', width: '64px', numeric: true, sort: 'distance', render: num('distance', distance) },
    { title: 'Shallow', width: '78px', numeric: true, sort: 'self', render: num('self_size', bytes) },
    { title: 'Retained', width: '78px', numeric: true, sort: 'retained', sortDefault: true, render: num('retained_size', bytes) },
  ], p => api('summary', Object.assign({ s: state.snapshot, filter: state.filter, between: state.between }, p)), d => {
    currentClass = d; $('instances-title').textContent = `Instances of ${d.name}`; instances.reset();
  });
  instances = new VirtualList($('instances'), nodeColumns('Object'), p => currentClass
    ? api('instances', Object.assign({ s: state.snapshot, key: currentClass.key, between: state.between }, p))
    : Promise.resolve({ total: 0, rows: [] }), d => { select(d); children.start(d); });
  children = new Walk($('children'), $('children-crumbs'), 'children', 'Child');
  diff = new VirtualList($('diff'), [
    { title: 'Constructor', width: 'minmax(0, 1fr)', sort: 'name', render: text('name') },
    { title: '# New', width: '80px', numeric: true, sort: 'added_count', render: num('added_count') },
    { title: '# Deleted', width: '80px', numeric: true, sort: 'removed_count', render: num('removed_count') },
    { title: '# Delta', width: '80px', numeric: true, sort: 'count_delta', render: num('count_delta', n => signed(n, String)) },
    { title: 'Alloc. Size', width: '90px', numeric: true, sort: 'added_size', render: num('added_size', bytes) },
    { title: 'Freed Size', width: '90px', numeric: true, sort: 'removed_size', render: num('removed_size', bytes) },
    { title: 'Size Delta', width: '90px', numeric: true, sort: 'size_delta', sortDefault: true, render: num('size_delta', n => signed(n, bytes)) },
  ], p => state.base === '' ? Promise.reject(new Error('Pick a base snapshot.'))
    : api('comparison', Object.assign({ s: state.snapshot, base: state.base, filter: state.filter }, p)));
  containment = new Walk($('containment-list'), $('containment-crumbs'), 'children', 'Object');
  dominators = new Walk($('dominators-list'), $('dominators-crumbs'), 'dominated', 'Object');
  retainers = new VirtualList($('retainers'), retainerColumns(), p => {
    const d = retainerTrail[retainerTrail.length - 1];
    if (!d) return Promise.resolve({ total: 0, rows: [] });
    return api('retainers', Object.assign({ s: state.snapshot, node: d.node, ignore: state.ignored.join(',') }, p));
  }, d => { retainerTrail.push(d); showSelected(d); drawRetainerCrumbs(); retainers.reset(); });

  document.querySelectorAll('#views button').forEach(b => b.addEventListener('click', () => show(b.dataset.view)));
  $('snapshot').addEventListener('change', e => { state.snapshot = Number(e.target.value); fillSelects(); refresh(); poll(); });
  $('between').addEventListener('change', e => { state.between = e.target.value; currentClass = null; refresh(); });
  $('base').addEventListener('change', e => { state.base = e.target.value; diff.reset(); });
  let typing;
  $('filter').addEventListener('input', e => {
    clearTimeout(typing);
    typing = setTimeout(() => { state.filter = e.target.value; classes.reset(); diff.reset(); }, 200);
  });
  $('search').addEventListener('submit', e => {
    e.preventDefault();
    api('node', { s: state.snapshot, id: $('node-id').value.trim() })
      .then(d => { select(d); show('containment'); containment.start(d); })
      .catch(err => setStatus(err.message, true));
  });
}

function show(view) {
  state.view = view;
  document.body.dataset.view = view;
  document.querySelectorAll('#views button').forEach(b => b.classList.toggle('on', b.dataset.view === view));
  document.querySelectorAll('.view').forEach(v => v.classList.toggle('on', v.id === view));
  if (view === 'statistics') drawStatistics();
  if (view === 'leaks') drawLeaks();
  if (view === 'timeline') drawTimeline();
  for (const list of [classes, instances, diff, containment.list, dominators.list]) list.draw();
}

function refresh() {
  currentClass = null;
  $('instances-title').textContent = 'Instances';
  classes.reset(); instances.reset(); children.start(null); diff.reset();
  containment.start(null); dominators.start(null);
  state.ignored = []; retainerTrail = []; drawRetainerCrumbs(); retainers.reset();
  if (state.view === 'statistics') drawStatistics();
}

function setStatus(message, failed) {
  $('status').replaceChildren(el('span', failed ? 'failed' : '', message));
}

function drawStatistics() {
  const body = $('statistics-body');
  api('statistics', { s: state.snapshot }).then(st => {
    const colors = ['#f4a261', '#2a9d8f', '#e9c46a', '#8ab17d', '#b5838d', '#457b9d', '#a8dadc'];
    const svgNS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(svgNS, 'svg');
    svg.setAttribute('width', '220'); svg.setAttribute('height', '220'); svg.setAttribute('viewBox', '-110 -110 220 220');
    const total = st.parts.reduce((a, p) => a + p.size, 0) || 1;
    let angle = -Math.PI / 2;
    st.parts.forEach((p, i) => {
      const sweep = p.size / total * 2 * Math.PI;
      if (sweep <= 0) return;
      const path = document.createElementNS(svgNS, 'path');
      const [x1, y1, x2, y2] = [Math.cos(angle) * 100, Math.sin(angle) * 100, Math.cos(angle + sweep) * 100, Math.sin(angle + sweep) * 100];
      const large = sweep > Math.PI ? 1 : 0;
      path.setAttribute('d', sweep >= 2 * Math.PI - 1e-9 ? 'M 0 -100 A 100 100 0 1 1 -0.01 -100 Z' : `M 0 0 L ${x1} ${y1} A 100 100 0 ${large} 1 ${x2} ${y2} Z`);
      path.setAttribute('fill', colors[i % colors.length]);
      svg.append(path);
      angle += sweep;
    });
    const table = el('table', 'plain');
    st.parts.forEach((p, i) => {
      const tr = el('tr');
      const sw = el('td'); sw.style.background = colors[i % colors.length]; sw.style.width = '12px';
      tr.append(sw, el('td', '', p.name), el('td', 'n', bytes(p.size)));
      table.append(tr);
    });
    const tr = el('tr'); tr.append(el('td'), el('th', '', 'Total'), el('th', '', bytes(st.total))); table.append(tr);
    const box = el('div'); box.style.display = 'flex'; box.style.gap = '24px'; box.append(svg, table);
    body.replaceChildren(box);
  }).catch(e => body.replaceChildren(el('p', '', e.message)));
}

function drawLeaks() {
  const body = $('leaks-body');
  api('leaks', {}).then(answer => {
    if (answer.pending) { body.replaceChildren(el('p', '', 'The leak finder runs once every snapshot is loaded…')); return; }
    if (answer.error) { body.replaceChildren(el('p', '', answer.error)); return; }
    const r = answer.report;
    const frag = document.createDocumentFragment();
    frag.append(el('div', 'verdict ' + (r.verdict === 'leak' ? 'leak' : 'clean'), `${r.verdict === 'leak' ? 'Leak' : 'No leak'} (${r.confidence} confidence): ${r.reason}`));
    frag.append(el('p', '', `Heap per snapshot: ${r.snapshots.map(s => bytes(s.total_size)).join(' → ')}; a leak keeps at least ${bytes(r.min_growth)} per interval alive.`));
    r.groups.forEach((g, i) => {
      const box = el('div', 'leak-group' + (g.leak ? '' : ' suspect'));
      box.append(el('h3', '', `${i + 1}. ${g.primary_class} in ${g.container.name} [${g.leak ? 'leak' : 'not a leak'}, ${g.confidence} confidence]`));
      const dl = el('dl');
      const item = (term, value) => { dl.append(el('dt', '', term)); const dd = el('dd'); if (typeof value === 'string') dd.textContent = value; else dd.append(value); dl.append(dd); };
      const list = steps => { const ol = el('ol'); steps.forEach(s => ol.append(el('li', '', s))); return ol; };
      item('Pattern', g.pattern.title);
      item('Growth', `${bytes(g.growth_per_interval)} per interval still alive; retains ${bytes(g.retained_size)}`);
      item('Why', g.reason);
      item('Container', `${g.container.name} (${g.container.kind}, @${g.container.id})`);
      if (g.container.path.length) item('Held by', list(g.container.path));
      item(`Example @${g.example.id}`, list(g.example.path));
      for (const s of g.sources) item(s.role, `${s.name} ${s.location}` + (s.line ? `\n| ${s.line}` : ''));
      item('Fix', g.pattern.fix);
      item('Per interval', g.classes.map(c => `${c.name}: ${c.added.map(a => `+${a.count} (${bytes(a.bytes)})`).join(', ')}`).join('\n'));
      box.append(dl);
      frag.append(box);
    });
    body.replaceChildren(frag);
  }).catch(e => body.replaceChildren(el('p', '', e.message)));
}

let timelinesShown = false;
function drawTimeline() {
  if (timelinesShown) return;
  const body = $('timeline-body');
  api('status', {}).then(st => {
    if (!st.timelines.length) { body.replaceChildren(el('p', '', 'No GC logs or watch recordings were given: heaplens serve FILE.log recording.jsonl …')); return; }
    timelinesShown = true;
    body.replaceChildren(...st.timelines.map(t => {
      const fig = el('figure');
      const img = el('img');
      img.alt = `${t.kind} ${t.name}`;
      img.src = `/timeline.svg?${new URLSearchParams({ token: TOKEN, i: t.index })}`;
      fig.append(el('figcaption', '', `${t.kind}: ${t.name}`), img);
      return fig;
    }));
  });
}

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map(([v, label]) => { const o = el('option', '', label); o.value = v; return o; }));
  select.value = value;
}

// The snapshot, "objects allocated after" and base pickers, for the snapshot shown.
function fillSelects() {
  const names = state.snapshots.map(s => [String(s.index), `${s.index + 1}: ${s.name}`]);
  fillSelect($('snapshot'), names, String(state.snapshot));
  const earlier = state.snapshots.slice(0, state.snapshot).map(s => [String(s.index), `Allocated after ${s.index + 1}: ${s.name}`]);
  if (!earlier.some(([v]) => v === state.between)) state.between = '';
  fillSelect($('between'), [['', 'All objects']].concat(earlier), state.between);
  if (state.base === String(state.snapshot)) state.base = '';
  fillSelect($('base'), [['', 'Pick a base']].concat(names.filter(([v]) => v !== String(state.snapshot))), state.base);
}

// Polls loading progress until every snapshot is ready and the leak finder has run.
function poll() {
  api('status', {}).then(st => {
    const before = state.snapshots.map(s => s.state).join();
    state.snapshots = st.snapshots;
    if (before !== st.snapshots.map(s => s.state).join()) {
      fillSelects();
      if (st.snapshots[state.snapshot] && st.snapshots[state.snapshot].state === 'ready') refresh();
    }
    const busy = st.snapshots.filter(s => s.state !== 'ready' && s.state !== 'failed');
    const failed = st.snapshots.filter(s => s.state === 'failed');
    if (failed.length) setStatus(failed.map(s => `${s.name}: ${s.error}`).join('; '), true);
    else if (busy.length) setStatus(busy.map(s => s.state === 'loading' && s.total ? `${s.name}: reading ${Math.round(s.read / s.total * 100)}%` : `${s.name}: ${s.state}`).join(' · '));
    else {
      const cur = st.snapshots[state.snapshot];
      setStatus(cur && cur.figures ? `${cur.name}: ${cur.figures.node_count.toLocaleString()} nodes, ${bytes(cur.figures.total_size)}` : '');
    }
    if (busy.length || !st.leaks_ready) setTimeout(poll, 300);
    else if (state.view === 'leaks') drawLeaks();
  }).catch(e => setStatus(e.message, true));
}

document.body.dataset.view = 'summary';
setup();
poll();
