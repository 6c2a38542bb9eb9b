// heaplens web app. Every string that comes from a heap reaches the page through textContent
// (never innerHTML), so a heap's text is shown and never run.
'use strict';

const TOKEN = new URLSearchParams(location.search).get('token') || '';
const ROW = 22;
const PAGE = 100;
const state = { snapshot: 0, view: 'summary', between: '', base: '', filter: '', ignored: [], selected: null, shown: null, snapshots: [] };

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

// A tree grid as DevTools' Memory panel shows its views: rows expand in place into their
// children, which the server sorts and sends a page at a time ("Show next 100"). Only the rows
// on screen are in the page; the flattened rows are kept in `items`.
class TreeGrid {
  // columns: [{title, width, numeric, sort, sortDefault, render(data, cell)}];
  // source: {roots(params), children(item, params) or null when a row cannot expand,
  //          expandable(item), pick(item)}.
  constructor(host, columns, source) {
    this.host = host; this.columns = columns; this.source = source;
    this.sort = columns.find(c => c.sortDefault) || null;
    this.order = 'desc';
    host.addEventListener('scroll', () => this.draw());
    this.reset();
  }
  template() { return this.columns.map(c => c.width || '1fr').join(' '); }
  sortParams() { return this.sort ? { sort: this.sort.sort, order: this.order } : {}; }
  reset() {
    this.items = []; this.selected = null; this.generation = (this.generation || 0) + 1;
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
    this.root = { depth: -1, ancestors: [] };
    return this.loadPage(this.root, 0, PAGE, 0);
  }
  // Fetches `limit` children of `parent` from `offset` and puts them at `at` in the rows, with a
  // "show more" row after them when the parent has more.
  loadPage(parent, offset, limit, at) {
    const generation = this.generation;
    const waiting = { kind: 'loading', depth: parent.depth + 1, parent };
    this.items.splice(at, 0, waiting);
    this.draw();
    const params = Object.assign({ offset, limit }, this.sortParams());
    const request = parent === this.root ? this.source.roots(params) : this.source.children(parent, params);
    return request.then(body => {
      if (generation !== this.generation) return;
      const i = this.items.indexOf(waiting);
      if (i < 0) return;
      const depth = parent.depth + 1;
      const ancestors = parent === this.root ? [] : parent.ancestors.concat([parent]);
      const added = body.rows.map(data => ({ kind: 'row', data, depth, parent, ancestors, expanded: false }));
      const shown = offset + added.length;
      if (shown < body.total) added.push({ kind: 'more', depth, parent, offset: shown, remaining: body.total - shown });
      this.items.splice(i, 1, ...added);
      parent.total = body.total;
      this.draw();
    }).catch(e => {
      if (generation !== this.generation) return;
      const i = this.items.indexOf(waiting);
      if (i >= 0) this.items.splice(i, 1, { kind: 'error', depth: waiting.depth, text: e.message });
      this.draw();
    });
  }
  // The position after `item` and all the rows under it.
  end(item) {
    let i = this.items.indexOf(item) + 1;
    while (i < this.items.length && this.items[i].depth > item.depth) i++;
    return i;
  }
  toggle(item) {
    if (item.expanded) {
      const start = this.items.indexOf(item) + 1;
      this.items.splice(start, this.end(item) - start);
      item.expanded = false;
      this.draw();
      return Promise.resolve();
    }
    if (!this.source.expandable(item)) return Promise.resolve();
    item.expanded = true;
    return this.loadPage(item, 0, PAGE, this.items.indexOf(item) + 1);
  }
  more(item, count) {
    const at = this.items.indexOf(item);
    this.items.splice(at, 1);
    return this.loadPage(item.parent, item.offset, count, at);
  }
  // The first row under `item` (or at the top), once loaded.
  firstChild(item) {
    const i = item ? this.items.indexOf(item) + 1 : 0;
    const next = this.items[i];
    return next && next.kind === 'row' && next.depth === (item ? item.depth + 1 : 0) ? next : null;
  }
  draw() {
    this.spacer.style.height = `${this.items.length * ROW}px`;
    const first = Math.max(0, Math.floor(this.host.scrollTop / ROW) - 2);
    const count = Math.ceil(this.host.clientHeight / ROW) + 4;
    const frag = document.createDocumentFragment();
    for (let i = first; i < Math.min(this.items.length, first + count); i++) frag.append(this.drawRow(this.items[i], i));
    if (!this.items.length) frag.append(el('div', 'empty', 'Nothing to show.'));
    this.rows.replaceChildren(frag);
  }
  drawRow(item, i) {
    const indent = `${6 + item.depth * 16}px`;
    if (item.kind !== 'row') {
      const row = el('div', `row ${item.kind}`);
      row.style.top = `${ROW + i * ROW}px`;
      const cell = el('span');
      cell.style.paddingLeft = indent;
      if (item.kind === 'loading') cell.textContent = 'Loading…';
      else if (item.kind === 'error') cell.textContent = item.text;
      else {
        cell.append(document.createTextNode(`${item.remaining.toLocaleString()} more: `));
        for (const n of [PAGE, 10 * PAGE]) {
          const b = el('button', 'more', `show next ${Math.min(n, item.remaining)}`);
          b.addEventListener('click', e => { e.stopPropagation(); this.more(item, n); });
          cell.append(b, document.createTextNode(' '));
        }
      }
      row.append(cell);
      return row;
    }
    const row = el('div', 'row' + (this.selected === item ? ' sel' : '') + ` d${Math.min(item.depth, 9)}`);
    row.style.top = `${ROW + i * ROW}px`;
    row.style.gridTemplateColumns = this.template();
    this.columns.forEach((c, n) => {
      const cell = el('span', c.numeric ? 'n' : '');
      if (n === 0) {
        cell.style.paddingLeft = indent;
        const open = this.source.expandable(item);
        const arrow = el('span', 'arrow', open ? (item.expanded ? '▼' : '▶') : '');
        if (open) arrow.addEventListener('click', e => { e.stopPropagation(); this.toggle(item); });
        cell.append(arrow);
      }
      c.render(item.data, cell, item);
      row.append(cell);
    });
    row.addEventListener('click', () => {
      this.selected = item; this.draw();
      if (!this.source.pick(item)) this.toggle(item);
    });
    return row;
  }
}

const num = (key, f) => (d, cell) => { if (d[key] !== undefined) cell.append(document.createTextNode(f ? f(d[key]) : d[key])); };
function nodeCell(d, cell) {
  if (d.edge !== undefined) cell.append(el('span', 'edge', d.edge), document.createTextNode(' :: '));
  const name = d.name || d.class;
  cell.append(document.createTextNode(name + ' '), el('span', 'id', '@' + d.id));
  cell.title = name;
}
const nodeColumns = first => [
  { title: first, width: 'minmax(0, 1fr)', render: nodeCell },
  { title: 'Distance', width: '76px', numeric: true, render: num('distance', distance) },
  { title: 'Shallow', width: '80px', numeric: true, render: num('self_size', bytes) },
  { title: 'Retained', width: '80px', numeric: true, render: num('retained_size', bytes) },
];
// The snapshot a node row belongs to: Comparison's deleted objects are the base's.
const snapshotOf = d => d.s === undefined ? state.snapshot : d.s;
const isNode = item => item.data.node !== undefined;
// Children of a node row in the Summary, Comparison and Containment views: its edges.
const edgesOf = (item, p) => api('children', Object.assign({ s: snapshotOf(item.data), node: item.data.node }, p))
  .then(body => ({ total: body.total, rows: body.rows.map(r => Object.assign(r, { s: item.data.s })) }));
// Picks node rows (shown below with their retainers); other rows just expand.
const pickNode = item => { if (!isNode(item)) return false; select(item.data); return true; };

const $ = id => document.getElementById(id);
let summary, diff, containment, dominators, retainers;
let containmentFrom = null;

function select(d) {
  state.selected = d;
  showSelected(d);
  retainers.reset().then(autoExpandRetainers);
}

function showSelected(d) {
  state.shown = d;
  const where = d.s !== undefined && d.s !== state.snapshot ? ` · in snapshot ${d.s + 1}` : '';
  $('selected').replaceChildren(
    el('strong', '', d.name), document.createTextNode(' '), el('span', 'id', '@' + d.id),
    document.createTextNode(`  ${d.type} · class ${d.class} · shallow ${bytes(d.self_size)} · retained ${bytes(d.retained_size)} · distance ${distance(d.distance)}${where}`));
  $('source').replaceChildren();
  api('children', { s: snapshotOf(d), node: d.node, limit: 0 }).then(body => {
    if (state.shown !== d || !body.source) return;
    $('source').textContent = `source: ${body.source.at}` + (body.source.line ? `\n  ${body.source.line}` : '');
  }).catch(() => {});
}

// As DevTools does, the Retainers tree opens along its first retainer, toward the roots.
async function autoExpandRetainers() {
  const generation = retainers.generation;
  let item = retainers.firstChild(null);
  for (let depth = 0; item && depth < 12 && generation === retainers.generation; depth++) {
    if (!retainers.source.expandable(item) || item.data.distance <= 1) break;
    await retainers.toggle(item);
    item = retainers.firstChild(item);
  }
}

function drawIgnored() {
  const ig = $('ignored');
  ig.replaceChildren();
  if (state.ignored.length) {
    ig.append(document.createTextNode(`(${state.ignored.length} ignored) `));
    const clear = el('button', 'ignore', 'stop ignoring');
    clear.addEventListener('click', () => { state.ignored = []; drawIgnored(); retainers.reset().then(autoExpandRetainers); });
    ig.append(clear);
  }
}

function retainerColumns() {
  const cols = nodeColumns('Object');
  cols[0].render = (d, cell, item) => {
    nodeCell(d, cell);
    if (cycle(item)) cell.append(el('span', 'cycle', ' (cycle)'));
  };
  cols.push({ title: '', width: '60px', render: (d, cell) => {
    const b = el('button', 'ignore', d.ignored ? 'ignored' : 'ignore');
    b.title = 'Ignore this retainer';
    b.addEventListener('click', e => {
      e.stopPropagation();
      if (!state.ignored.includes(d.node)) state.ignored.push(d.node);
      drawIgnored(); retainers.reset().then(autoExpandRetainers);
    });
    cell.append(b);
  } });
  return cols;
}

function setup() {
  summary = new TreeGrid($('summary-grid'), [
    { title: 'Constructor', width: 'minmax(0, 1fr)', sort: 'name', render: (d, cell, item) => {
      if (item.depth > 0) return nodeCell(d, cell, item);
      cell.append(document.createTextNode(d.name)); cell.title = d.name;
      cell.append(el('span', 'id', ` ×${d.count}`));
    } },
    { title: 'Distance', width: '76px', numeric: true, sort: 'distance', render: num('distance', distance) },
    { title: 'Shallow', width: '80px', numeric: true, sort: 'self', render: num('self_size', bytes) },
    { title: 'Retained', width: '92px', numeric: true, sort: 'retained', sortDefault: true, render: num('retained_size', bytes) },
  ], {
    roots: p => api('summary', Object.assign({ s: state.snapshot, filter: state.filter, between: state.between }, p)),
    children: (item, p) => item.depth === 0
      ? api('instances', Object.assign({ s: state.snapshot, key: item.data.key, between: state.between }, p))
      : edgesOf(item, p),
    expandable: item => item.depth === 0 ? item.data.count > 0 : item.data.edge_count > 0,
    pick: pickNode,
  });
  diff = new TreeGrid($('diff'), [
    { title: 'Constructor', width: 'minmax(0, 1fr)', sort: 'name', render: (d, cell, item) => {
      if (item.depth === 0 || item.depth === 1) { cell.append(document.createTextNode(d.name)); cell.title = d.name; } else nodeCell(d, cell, item);
    } },
    { title: '# New', width: '80px', numeric: true, sort: 'added_count', render: num('added_count') },
    { title: '# Deleted', width: '80px', numeric: true, sort: 'removed_count', render: num('removed_count') },
    { title: '# Delta', width: '80px', numeric: true, sort: 'count_delta', render: num('count_delta', n => signed(n, String)) },
    { title: 'Alloc. Size', width: '90px', numeric: true, sort: 'added_size', render: (d, cell) => cell.append(document.createTextNode(d.added_size !== undefined ? bytes(d.added_size) : d.self_size !== undefined ? bytes(d.self_size) : '')) },
    { title: 'Freed Size', width: '90px', numeric: true, sort: 'removed_size', render: num('removed_size', bytes) },
    { title: 'Size Delta', width: '90px', numeric: true, sort: 'size_delta', sortDefault: true, render: num('size_delta', n => signed(n, bytes)) },
  ], {
    roots: p => state.base === '' ? Promise.reject(new Error('Pick a base snapshot.'))
      : api('comparison', Object.assign({ s: state.snapshot, base: state.base, filter: state.filter }, p)),
    // A class opens into its new and its deleted objects; those into their edges.
    children: (item, p) => {
      if (item.depth === 0) {
        const sides = [];
        if (item.data.added_count) sides.push({ name: `New objects (${item.data.added_count.toLocaleString()})`, side: 'added', key: item.data.key, count: item.data.added_count });
        if (item.data.removed_count) sides.push({ name: `Deleted objects (${item.data.removed_count.toLocaleString()})`, side: 'removed', key: item.data.key, count: item.data.removed_count });
        return Promise.resolve({ total: sides.length, rows: sides.slice(p.offset, p.offset + p.limit) });
      }
      if (item.depth === 1) return api('comparison_objects', { s: state.snapshot, base: state.base, key: item.data.key, side: item.data.side, offset: p.offset, limit: p.limit });
      return edgesOf(item, p);
    },
    expandable: item => item.depth <= 1 || item.data.edge_count > 0,
    pick: pickNode,
  });
  containment = new TreeGrid($('containment-grid'), nodeColumns('Object'), {
    roots: p => containmentFrom
      ? Promise.resolve({ total: 1, rows: [containmentFrom] })
      : api('children', Object.assign({ s: state.snapshot }, p)),
    children: edgesOf,
    expandable: item => item.data.edge_count > 0,
    pick: pickNode,
  });
  dominators = new TreeGrid($('dominators-grid'), nodeColumns('Object'), {
    roots: p => api('dominated', Object.assign({ s: state.snapshot }, p)),
    children: (item, p) => api('dominated', Object.assign({ s: state.snapshot, node: item.data.node }, p)),
    expandable: item => item.data.dominated_count > 0,
    pick: pickNode,
  });
  const holders = (node, p) => api('retainers', Object.assign({ s: snapshotOf(state.selected), node, ignore: state.ignored.join(',') }, p))
    .then(body => ({ total: body.total, rows: body.rows.map(r => Object.assign(r, { s: state.selected.s })) }));
  retainers = new TreeGrid($('retainers'), retainerColumns(), {
    roots: p => state.selected ? holders(state.selected.node, p) : Promise.resolve({ total: 0, rows: [] }),
    children: (item, p) => holders(item.data.node, p),
    // A holder already on the way down is a cycle: shown, not opened again.
    expandable: item => item.data.retainer_count > 0 && !cycle(item),
    pick: item => { showSelected(item.data); return true; },
  });

  document.querySelectorAll('#views button').forEach(b => b.addEventListener('click', () => show(b.dataset.view)));
  $('snapshot').addEventListener('change', e => { state.snapshot = Number(e.target.value); fillSelects(); refresh(); poll(); });
  $('between').addEventListener('change', e => { state.between = e.target.value; summary.reset(); });
  $('base').addEventListener('change', e => { state.base = e.target.value; diff.reset(); });
  let typing;
  $('filter').addEventListener('input', e => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.filter = e.target.value;
      document.body.dataset.filter = state.filter;
      summary.reset(); diff.reset();
    }, 200);
  });
  $('search').addEventListener('submit', e => {
    e.preventDefault();
    api('node', { s: state.snapshot, id: $('node-id').value.trim() })
      .then(d => {
        select(d); show('containment');
        containmentFrom = d;
        containment.reset().then(() => { const top = containment.firstChild(null); if (top) containment.toggle(top); });
      })
      .catch(err => setStatus(err.message, true));
  });
}

function cycle(item) {
  const node = item.data.node;
  return node === state.selected.node || item.ancestors.some(a => a.data.node === node);
}

function show(view) {
  state.view = view;
  document.body.dataset.view = view;
  document.querySelectorAll('#views button').forEach(b => b.classList.toggle('on', b.dataset.view === view));
  document.querySelectorAll('.view').forEach(v => v.classList.toggle('on', v.id === view));
  if (view === 'statistics') drawStatistics();
  if (view === 'leaks') drawLeaks();
  if (view === 'timeline') drawTimeline();
  for (const grid of [summary, diff, containment, dominators]) grid.draw();
}

function refresh() {
  containmentFrom = null; state.selected = null; state.ignored = [];
  summary.reset(); diff.reset(); containment.reset(); dominators.reset(); retainers.reset();
  drawIgnored();
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
    const last = state.snapshots.length - 1;
    const frag = document.createDocumentFragment();
    const verdict = r.verdict.charAt(0).toUpperCase() + r.verdict.slice(1);
    frag.append(el('div', 'verdict ' + (r.verdict === 'no leak' ? 'clean' : 'leak'), `${verdict} (${r.confidence} confidence): ${r.reason}`));
    frag.append(el('p', '', `Heap per snapshot: ${r.snapshots.map(s => bytes(s.total_size)).join(' → ')}; a leak keeps at least ${bytes(r.min_growth)} per interval alive.`));
    r.groups.forEach((g, i) => {
      const box = el('div', 'leak-group' + (g.leak ? '' : ' suspect'));
      // A group's row opens the Retainers of its example object (in the last snapshot, the one analysed).
      const head = el('h3', 'pick', `${i + 1}. ${g.primary_name} in ${g.container.name} [${g.leak ? 'leak' : 'not a leak'}, ${g.confidence} confidence]`);
      head.title = `Show the retainers of @${g.example.id}`;
      head.addEventListener('click', () => api('node', { s: last, id: g.example.id })
        .then(row => { select(Object.assign(row, { s: last })); $('details').scrollIntoView({ block: 'nearest' }); })
        .catch(e => setStatus(e.message, true)));
      box.append(head);
      const dl = el('dl');
      const item = (term, value) => { dl.append(el('dt', '', term)); const dd = el('dd'); if (typeof value === 'string') dd.textContent = value; else dd.append(value); dl.append(dd); };
      const list = steps => { const ol = el('ol'); steps.forEach(s => ol.append(el('li', '', s))); return ol; };
      item('Pattern', g.pattern.title);
      item('Growth', `${bytes(g.growth_per_interval)} per interval still alive; retains ${bytes(g.retained_size)}`);
      item('Why', g.reason);
      item('Container', `${g.container.name} (${g.container.kind}, @${g.container.id})`);
      if (g.code) item('Code', g.code);
      if (g.container.path.length) item('Held by', list(g.container.path));
      if (g.captured) item('Holds', `context variable \`${g.captured.variable}\` of ${g.captured.function}, ${bytes(g.captured.bytes_each)} each (${Math.round(g.captured.share * 100)}% of the group's bytes)`);
      const lib = g.container.package;
      if (lib) item('Library', `${lib.name}${lib.version ? ' ' + lib.version : ''}: ${lib.object}`);
      item(`Example @${g.example.id}`, list(g.example.path));
      for (const s of g.sources) item(s.role, `${s.name} ${s.location}` + (s.line ? `\n| ${s.line}` : ''));
      item('Fix', g.pattern.fix);
      item('Per interval', g.classes.map(c => `${c.name}: ${c.added.map(a => `+${a.count} (${bytes(a.bytes)})`).join(', ')}`).join('\n'));
      box.append(dl);
      frag.append(box);
    });
    frag.append(accounting(r));
    body.replaceChildren(frag);
  }).catch(e => body.replaceChildren(el('p', '', e.message)));
}

// Where each interval's growth went: the parts add up to the objects it added that are still alive.
function accounting(r) {
  const box = el('div', 'accounting');
  box.append(el('h3', '', 'Where the growth went (objects each interval added, still alive at the end)'));
  const table = el('table', 'plain');
  const head = el('tr'); head.append(el('th', '', ''), ...r.accounting.map((_, i) => el('th', 'n', `interval ${i + 1}`)));
  table.append(head);
  const rows = [
    ['heap growth', a => signed(a.heap_growth, bytes)], ['new and still alive', a => bytes(a.added.bytes)],
    ['in leaks', a => bytes(a.leaks.bytes)], ['in groups that are not leaks', a => bytes(a.not_leaks.bytes)],
    ["in V8's own structures", a => bytes(a.engine.bytes)], ['not attributed', a => bytes(a.not_attributed.bytes)],
  ];
  for (const [label, cell] of rows) {
    const tr = el('tr'); tr.append(el('td', '', label), ...r.accounting.map(a => el('td', 'n', cell(a)))); table.append(tr);
  }
  box.append(table);
  if (r.unattributed.length) {
    box.append(el('p', '', 'Largest holders of what is not attributed: ' + r.unattributed.map(u => `${u.name}${u.id ? ' @' + u.id : ''} (${u.added.map(a => bytes(a.bytes)).join(', ')})`).join('; ')));
  }
  return box;
}

let timelinesShown = false;
function drawTimeline() {
  if (timelinesShown) return;
  const body = $('timeline-body');
  api('status', {}).then(st => {
    if (!st.timelines.length) { body.replaceChildren(el('p', '', 'No GC logs or watch recordings were given: heaplens serve FILE.log recording.jsonl …')); return; }
    timelinesShown = true;
    // The charts are put into the page itself, not shown as images, so that hovering a marked
    // major GC shows its time and the heap after it. The server escapes every text in them.
    body.replaceChildren(...st.timelines.map(t => {
      const fig = el('figure');
      fig.append(el('figcaption', '', `${t.kind}: ${t.name}`));
      fetch(`/timeline.svg?${new URLSearchParams({ token: TOKEN, i: t.index })}`)
        .then(r => r.ok ? r.text() : Promise.reject(new Error(`timeline ${t.name}: HTTP ${r.status}`)))
        .then(text => {
          const chart = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
          chart.setAttribute('role', 'img');
          chart.setAttribute('aria-label', `${t.kind} ${t.name}`);
          fig.append(document.importNode(chart, true));
        })
        .catch(e => fig.append(el('p', 'error', e.message)));
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
  // The base defaults to the snapshot before, as in DevTools.
  if (state.base === String(state.snapshot) || state.base === '') state.base = state.snapshot > 0 ? String(state.snapshot - 1) : '';
  fillSelect($('base'), [['', 'Pick a base']].concat(names.filter(([v]) => v !== String(state.snapshot))), state.base);
}

// Polls loading progress until every snapshot is ready and the leak finder has run.
function poll() {
  api('status', {}).then(st => {
    const before = state.snapshots.map(s => s.state).join();
    // As DevTools does after a series, the last snapshot is the one shown first.
    if (!state.snapshots.length && st.snapshots.length) state.snapshot = st.snapshots.length - 1;
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
