// Drives heaplens' web app and HTML report in headless Chromium (Playwright's playwright-core)
// and checks what a user sees. Run by crates/cli/tests/web.rs:
//   node tests/web/ui.mjs app|hostile|report URL SCREENSHOT_DIR
// HEAPLENS_PLAYWRIGHT: a folder whose node_modules holds playwright-core;
// HEAPLENS_CHROMIUM: the browser (default /usr/bin/chromium).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve(process.env.HEAPLENS_PLAYWRIGHT, 'x.js'));
const { chromium } = require('playwright-core');
const [mode, url, shots] = process.argv.slice(2);

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: process.env.HEAPLENS_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const dialogs = [];
const requests = [];
const pageErrors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('dialog', async d => { dialogs.push(d.message()); await d.dismiss(); });
  page.on('request', r => requests.push(r.url()));
  page.on('pageerror', e => pageErrors.push(e.message));
  await page.goto(url);
  if (mode === 'report') await report(page);
  else {
    await page.waitForFunction(() => /nodes/.test(document.querySelector('#status').textContent), null, { timeout: 60000 });
    if (mode === 'app') await app(page);
    else await hostile(page);
  }
  check(pageErrors.length === 0, `the page threw: ${pageErrors.join('; ')}`);
  check(dialogs.length === 0, `a heap string ran as script: dialogs ${JSON.stringify(dialogs)}`);
  const foreign = requests.filter(r => !r.startsWith(new URL(url).origin) && !r.startsWith('file:'));
  check(foreign.length === 0, `the page fetched from elsewhere: ${foreign.join(', ')}`);
} finally {
  await browser.close();
}
console.log(`ok: ${mode}`);

async function rowsOf(page, grid) {
  await page.waitForSelector(`${grid} .row.d0`, { timeout: 30000 });
  return page.$$eval(`${grid} .row`, rows => rows.map(r => r.textContent));
}

// Waits for rows at `depth` in `grid` and returns their texts.
async function rowsAt(page, grid, depth) {
  await page.waitForSelector(`${grid} .row.d${depth}`, { timeout: 30000 });
  return page.$$eval(`${grid} .row.d${depth}`, rows => rows.map(r => r.textContent));
}

async function pickSnapshot(page, index) {
  await page.selectOption('#snapshot', String(index));
}

// Types a class filter and waits for it to apply: the page applies what was typed a moment
// later (body[data-filter]), and the rows then are the filtered ones.
async function filterClasses(page, text, grid) {
  await page.evaluate(() => { delete document.body.dataset.filter; });
  await page.fill('#filter', text);
  await page.waitForFunction(([t, g]) => {
    const rows = [...document.querySelectorAll(`${g} .row.d0`)];
    return document.body.dataset.filter === t && rows.length > 0 && rows.every(r => r.textContent.includes(t));
  }, [text, grid], { timeout: 30000 });
}

async function app(page) {
  // As DevTools does after a series, the last snapshot is shown first, and its Comparison is
  // with the one before, with no base to pick.
  await page.waitForFunction(() => document.querySelector('#snapshot').value === '2', null, { timeout: 30000 });
  await page.click('button[data-view="comparison"]');
  check(await page.inputValue('#base') === '1', 'the base defaults to the snapshot before');
  const firstDiff = await rowsAt(page, '#diff', 0);
  check(firstDiff.length > 0 && !firstDiff.some(r => r.includes('Pick a base')), `a diff without picking a base: ${firstDiff.slice(0, 2)}`);
  await page.click('button[data-view="summary"]');
  await pickSnapshot(page, 2);
  // Summary: a class opens in place into its instances, an instance into its children.
  await filterClasses(page, 'QuoteResponse', '#summary-grid');
  const classRow = (await rowsAt(page, '#summary-grid', 0))[0];
  check(/^.QuoteResponse ×\s*\d+/.test(classRow), `the class row shows its count: ${classRow}`);
  await page.click('#summary-grid .row.d0');
  const instances = await rowsAt(page, '#summary-grid', 1);
  check(instances.length > 10 && instances.every(r => r.startsWith('▶QuoteResponse @')), `instances: ${instances.slice(0, 3)}`);
  // A page of 100 instances, then a row offering the next ones (found by scrolling down).
  const more = async () => {
    await page.$eval('#summary-grid', g => { g.scrollTop = g.scrollHeight; });
    await page.waitForSelector('#summary-grid .row.more', { timeout: 30000 });
    return page.textContent('#summary-grid .row.more');
  };
  const count = Number((await page.textContent('#summary-grid .row.d0 .id')).replace(/\D/g, ''));
  check((await more()).startsWith(`${(count - 100).toLocaleString()} more`), `after the first page: ${await more()}`);
  await page.click('#summary-grid .row.more button.more');
  await page.waitForFunction(n => {
    const grid = document.querySelector('#summary-grid');
    grid.scrollTop = grid.scrollHeight;
    const r = grid.querySelector('.row.more');
    return r && r.textContent.startsWith(n);
  }, `${(count - 200).toLocaleString()} more`, { timeout: 30000 });
  await page.$eval('#summary-grid', g => { g.scrollTop = 0; });
  await page.click('#summary-grid .row.d1 .arrow');
  const children = await rowsAt(page, '#summary-grid', 2);
  check(children.some(r => r.includes('::')), `children are edges: ${children.slice(0, 3)}`);
  // Picking an instance fills the Retainers tree, opened along the first retainer to a root.
  await page.click('#summary-grid .row.d1');
  const picked = await page.textContent('#summary-grid .row.d1 .id');
  await page.waitForFunction(i => document.querySelector('#selected').textContent.includes(i), picked);
  await rowsAt(page, '#retainers', 0);
  await page.waitForSelector('#retainers .row.d2', { timeout: 30000 });
  const chain = await page.$$eval('#retainers .row', rows => rows.map(r => r.textContent));
  check(chain.some(r => r.includes('responseCache')), `the retainer path reaches the cache: ${chain.slice(0, 6)}`);
  await page.click('#retainers .row.d0 button.ignore');
  await page.waitForFunction(() => /1 ignored/.test(document.querySelector('#ignored').textContent));
  await rowsAt(page, '#retainers', 0);
  await page.screenshot({ path: path.join(shots, 'summary.png') });

  // Node search by @id opens the node in Containment.
  const id = picked.slice(1);
  await page.fill('#node-id', `@${id}`);
  await page.press('#node-id', 'Enter');
  await page.waitForFunction(i => { const r = document.querySelector('#containment-grid .row.d0'); return r && r.textContent.includes(`@${i}`); }, id);
  await rowsAt(page, '#containment-grid', 1);
  await page.screenshot({ path: path.join(shots, 'containment.png') });

  // Leaks.
  await page.click('button[data-view="leaks"]');
  await page.waitForSelector('#leaks-body .verdict', { timeout: 60000 });
  const verdict = await page.textContent('#leaks-body .verdict');
  check(verdict.startsWith('Leak'), `verdict: ${verdict}`);
  const group = await page.textContent('#leaks-body .leak-group h3');
  check(group.includes('QuoteResponse') && group.includes('responseCache'), `first group: ${group}`);
  const groupText = await page.textContent('#leaks-body .leak-group');
  check(/server\.js:\d+/.test(groupText), `the group names its source line: ${groupText.slice(0, 400)}`);
  // A group's row opens the Retainers of its example object.
  const example = (groupText.match(/Example @(\d+)/) || [])[1];
  check(example, `the group names its example: ${groupText.slice(0, 400)}`);
  await page.click('#leaks-body .leak-group h3');
  await page.waitForFunction(i => document.querySelector('#selected').textContent.includes(`@${i}`), example, { timeout: 30000 });
  await rowsAt(page, '#retainers', 0);
  check(groupText.includes('Where the growth went') || (await page.textContent('#leaks-body')).includes('Where the growth went'), 'the accounting is shown');
  await page.screenshot({ path: path.join(shots, 'leaks.png'), fullPage: true });

  // Comparison with the baseline: the class opens into its new objects.
  await page.click('button[data-view="comparison"]');
  check(await page.inputValue('#base') === '1', 'the base defaults to the snapshot before');
  await page.selectOption('#base', '0');
  await filterClasses(page, 'QuoteResponse', '#diff');
  const diff = (await rowsAt(page, '#diff', 0)).find(r => r.includes('QuoteResponse'));
  check(/QuoteResponse600/.test(diff.replace(/\s/g, '')), `QuoteResponse: 600 new over two intervals: ${diff}`);
  await page.click('#diff .row.d0');
  const sides = await rowsAt(page, '#diff', 1);
  check(sides[0].includes('New objects (600)'), `the new objects: ${sides}`);
  await page.click('#diff .row.d1');
  // The new objects arrive a page at a time: wait for them rather than for a first row.
  await page.waitForFunction(() => [...document.querySelectorAll('#diff .row.d2')]
    .filter(r => r.textContent.includes('QuoteResponse @')).length >= 10, null, { timeout: 30000 })
    .catch(() => {});
  const added = await rowsAt(page, '#diff', 2);
  check(added.length >= 10 && added.every(r => r.includes('QuoteResponse @')), `new QuoteResponse objects: ${added.slice(0, 3)}`);
  await page.screenshot({ path: path.join(shots, 'comparison.png') });

  // Dominators open in place; Statistics.
  await page.click('button[data-view="dominators"]');
  check((await rowsOf(page, '#dominators-grid')).length > 0, 'the root dominates something');
  await page.click('#dominators-grid .row.d0 .arrow');
  await rowsAt(page, '#dominators-grid', 1);
  await page.screenshot({ path: path.join(shots, 'dominators.png') });
  await page.click('button[data-view="statistics"]');
  await page.waitForSelector('#statistics-body svg path');
  const stats = await page.textContent('#statistics-body');
  check(stats.includes('Total') && stats.includes('Strings'), `statistics: ${stats}`);
  await page.screenshot({ path: path.join(shots, 'statistics.png') });

  // Timeline of the GC log.
  await page.click('button[data-view="timeline"]');
  await page.waitForSelector('#timeline-body svg polyline', { timeout: 30000 });
  const marks = await page.$$eval('#timeline-body svg circle title', ts => ts.map(t => t.textContent));
  check(marks.length >= 2 && marks.every(m => /^major GC at [0-9.]+ s: [0-9.]+ MB after$/.test(m)), `timeline marks: ${JSON.stringify(marks)}`);
  await page.hover('#timeline-body svg circle');
  await page.screenshot({ path: path.join(shots, 'timeline.png') });
}

async function hostile(page) {
  await pickSnapshot(page, 2);
  await filterClasses(page, 'onerror', '#summary-grid');
  const rows = await rowsAt(page, '#summary-grid', 0);
  check(rows.some(r => r.includes('<img src=x onerror=alert(1)>')), `the hostile class name shows as text: ${rows}`);
  await page.click('#summary-grid .row.d0');
  await rowsAt(page, '#summary-grid', 1);
  await page.click('#summary-grid .row.d1 .arrow');
  const children = await rowsAt(page, '#summary-grid', 2);
  check(children.some(r => r.includes('</script><script>alert(2)</script>')), `the hostile string shows as text: ${children}`);
  await page.click('button[data-view="leaks"]');
  await page.waitForSelector('#leaks-body .leak-group h3', { timeout: 60000 });
  check((await page.textContent('#leaks-body .leak-group h3')).includes('<img src=x onerror=alert(1)>'), 'the leak names the hostile class as text');
  check(await page.$$eval('img', imgs => imgs.filter(i => i.getAttribute('src') === 'x').length) === 0, 'no heap string became an element');
  await page.screenshot({ path: path.join(shots, 'hostile.png') });
}

async function report(page) {
  const verdict = await page.textContent('header h1');
  check(verdict.startsWith('Leak'), `report verdict: ${verdict}`);
  const text = await page.textContent('body');
  check(text.includes('<img src=x onerror=alert(1)>') || text.includes('QuoteResponse'), 'the report names the leaking class');
  check(await page.$$eval('script', s => s.length) === 0, 'the report runs no script');
  check(await page.$$eval('img', imgs => imgs.filter(i => i.getAttribute('src') === 'x').length) === 0, 'no heap string became an element');
  check(await page.$$eval('svg', s => s.length) >= 2, 'the report has its charts');
  await page.screenshot({ path: path.join(shots, `report-${path.basename(new URL(page.url()).pathname, '.html')}.png`), fullPage: true });
}
