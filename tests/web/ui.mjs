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

async function rowsOf(page, list) {
  await page.waitForSelector(`${list} .row`, { timeout: 30000 });
  return page.$$eval(`${list} .row`, rows => rows.map(r => r.textContent));
}

async function pickSnapshot(page, index) {
  await page.selectOption('#snapshot', String(index));
}

async function app(page) {
  await pickSnapshot(page, 2);
  // Summary → class → instance → Retainers.
  await page.fill('#filter', 'QuoteResponse');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#classes .row')];
    return rows.length === 1 && rows[0].textContent.startsWith('QuoteResponse');
  }, null, { timeout: 30000 });
  const classRow = (await rowsOf(page, '#classes'))[0];
  check(/×\s*\d+/.test(classRow), `the class row shows its count: ${classRow}`);
  await page.click('#classes .row');
  const instances = await rowsOf(page, '#instances');
  check(instances.length > 10 && instances.every(r => r.startsWith('QuoteResponse @')), `instances: ${instances.slice(0, 3)}`);
  await page.click('#instances .row');
  const picked = await page.textContent('#instances .row .id');
  await page.waitForFunction(i => document.querySelector('#children-crumbs').textContent.includes(i), picked);
  const children = await rowsOf(page, '#children');
  check(children.some(r => r.includes('::')), `children are edges: ${children.slice(0, 3)}`);
  const retainers = await rowsOf(page, '#retainers');
  check(retainers.length >= 1, 'the Retainers pane lists who holds the instance');
  const first = retainers[0];
  await page.click('#retainers .row button.ignore');
  await page.waitForFunction(() => /1 ignored/.test(document.querySelector('#ignored').textContent));
  await page.screenshot({ path: path.join(shots, 'summary.png') });
  check(first.length > 0, 'a retainer row has text');

  // Node search by @id.
  const id = (await page.textContent('#instances .row .id')).slice(1);
  await page.fill('#node-id', `@${id}`);
  await page.press('#node-id', 'Enter');
  await page.waitForFunction(i => document.querySelector('#containment-crumbs').textContent.includes(`@${i}`), id);
  await rowsOf(page, '#containment-list');
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
  await page.screenshot({ path: path.join(shots, 'leaks.png'), fullPage: true });

  // Comparison with the baseline.
  await page.click('button[data-view="comparison"]');
  await page.fill('#filter', '');
  await page.selectOption('#base', '0');
  await page.waitForFunction(() => [...document.querySelectorAll('#diff .row')].some(r => r.textContent.startsWith('QuoteResponse')), null, { timeout: 30000 });
  const diff = (await rowsOf(page, '#diff')).find(r => r.startsWith('QuoteResponse'));
  check(/QuoteResponse600/.test(diff.replace(/\s/g, '')), `QuoteResponse: 600 new over two intervals: ${diff}`);
  await page.screenshot({ path: path.join(shots, 'comparison.png') });

  // Dominators and Statistics.
  await page.click('button[data-view="dominators"]');
  check((await rowsOf(page, '#dominators-list')).length > 0, 'the root dominates something');
  await page.screenshot({ path: path.join(shots, 'dominators.png') });
  await page.click('button[data-view="statistics"]');
  await page.waitForSelector('#statistics-body svg path');
  const stats = await page.textContent('#statistics-body');
  check(stats.includes('Total') && stats.includes('Strings'), `statistics: ${stats}`);
  await page.screenshot({ path: path.join(shots, 'statistics.png') });

  // Timeline of the GC log.
  await page.click('button[data-view="timeline"]');
  await page.waitForFunction(() => { const img = document.querySelector('#timeline-body img'); return img && img.complete && img.naturalWidth > 0; }, null, { timeout: 30000 });
  await page.screenshot({ path: path.join(shots, 'timeline.png') });
}

async function hostile(page) {
  await pickSnapshot(page, 2);
  await page.fill('#filter', 'onerror');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#classes .row')];
    return rows.length > 0 && rows.every(r => r.textContent.includes('onerror'));
  }, null, { timeout: 30000 });
  const rows = await rowsOf(page, '#classes');
  check(rows.some(r => r.includes('<img src=x onerror=alert(1)>')), `the hostile class name shows as text: ${rows}`);
  await page.click('#classes .row');
  await page.click('#instances .row');
  const id = await page.textContent('#instances .row .id');
  await page.waitForFunction(i => document.querySelector('#children-crumbs').textContent.includes(i), id);
  const children = await rowsOf(page, '#children');
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
