// Drive the provider's "Calendly" page in Debian's chromium, as Airflow users would: log in through Airflow's
// login form, open the page from the UI's navigation, watch a sync run, and read what the page shows.
// The pytest wrapper (tests/ui/test_calendly_page.py) runs the syncs and makes the assertions.
//
// Protocol: prints "ready" once the viewer is logged in and the page is open; the wrapper then runs a sync and,
// when it has finished, writes "done" on stdin. The last stdout line is one JSON object of what was seen.
//
// Input (environment):
//   AIRFLOW_URL                  base URL of the Airflow API server (serves the UI)
//   VIEWER_USER, VIEWER_PASSWORD a user who may read the DAGs of the test but not the private one
//   ADMIN_USER, ADMIN_PASSWORD   a user who may read every DAG
//   SYNC                         data-sync key of the sync card to watch (dag.task.map_index)
//   ARTIFACT_DIR                 where screenshots go
//   CHROMIUM                     browser executable (default /usr/bin/chromium)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { env, journey } from './common.mjs';

const airflowUrl = env('AIRFLOW_URL').replace(/\/$/, '');
const artifactDir = env('ARTIFACT_DIR');
const syncKey = env('SYNC');
const timeout = 30_000;
mkdirSync(artifactDir, { recursive: true });

const seen = { screenshots: [], console: [], nav: null, running: null, viewer: null, admin: null };
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function shot(target, name) {
  const path = join(artifactDir, `${name}.png`);
  await target.screenshot({ path, animations: 'disabled' });
  seen.screenshots.push(path);
}

async function login(page, user, password) {
  await page.goto(`${airflowUrl}/`);
  await page.locator('input[name="username"]').fill(user);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.includes('/auth/'), { timeout });
}

// Errors of the provider's page (Airflow's own UI around it is not under test here): its console messages,
// uncaught errors and failed requests.
function listen(page, who) {
  const ours = (url) => (url || '').includes('/calendly-ui/');
  page.on('console', (msg) => {
    // Airflow's UI frames plugin pages with allow-scripts and allow-same-origin, and the browser warns of it.
    if (msg.text().includes('allow-scripts and allow-same-origin')) return;
    if ((msg.type() === 'error' || msg.type() === 'warning') && ours(msg.location().url)) {
      seen.console.push(`${who} ${msg.type()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (error) => seen.console.push(`${who} pageerror: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400 && ours(response.url())) {
      seen.console.push(`${who} HTTP ${response.status()}: ${response.url()}`);
    }
  });
}

// Reload the page's data (its Refresh button) and wait until it has drawn the new answer.
async function refresh(frame) {
  const before = await frame.locator('body').getAttribute('data-loaded');
  await frame.locator('#refresh').click();
  await frame.waitForFunction((b) => document.body.dataset.loaded && document.body.dataset.loaded !== b, before, {
    timeout,
  });
}

// Everything the page shows, as the wrapper compares it: read from the DOM and from the drawn charts.
async function read(frame) {
  return frame.evaluate(() => {
    const text = (node) => (node ? node.textContent.trim() : null);
    const number = (node) => {
      const t = text(node);
      return t === null || t === '–' ? null : Number(t.replace(/,/g, ''));
    };
    const syncs = {};
    for (const card of document.querySelectorAll('[data-sync]')) {
      const facts = {};
      for (const li of card.querySelectorAll('[data-field="last-pass"] > li')) {
        facts[li.dataset.field] = text(li.querySelector('.value'));
      }
      const tables = {};
      for (const row of card.querySelectorAll('table.tables tr[data-table]')) {
        tables[row.dataset.table] = Object.fromEntries(
          [...row.querySelectorAll('[data-count]')].map((cell) => [cell.dataset.count, number(cell)]),
        );
      }
      syncs[card.dataset.sync] = {
        dag: text(card.querySelector('[data-field="dag"]')),
        warehouse: text(card.querySelector('[data-field="warehouse"]')),
        facts,
        tables,
        skipped: [...card.querySelectorAll('[data-field="skipped"]')].map((li) => li.dataset.resource),
        skipped_text: [...card.querySelectorAll('[data-field="skipped"]')].map(text),
        feed: text(card.querySelector('[data-field="feed"]')),
        running: text(card.querySelector('[data-field="running"]')),
        progress: card.querySelector('[data-field="progress"]')
          ? {
              pages: number(card.querySelector('[data-field="progress-pages"]')),
              rows: number(card.querySelector('[data-field="progress-rows"]')),
              calls: number(card.querySelector('[data-field="progress-calls"]')),
            }
          : null,
        passes: [...card.querySelectorAll('tr[data-run]')].map((row) => ({
          run_id: row.dataset.run,
          state: text(row.querySelector('[data-field="state"]')),
          links: [...row.querySelectorAll('a')].map((a) => a.getAttribute('href')),
        })),
      };
    }
    const subscriptions = {};
    for (const row of document.querySelectorAll('tr[data-path]')) {
      subscriptions[row.dataset.path] = {
        state: text(row.querySelector('[data-field="state"]')),
        last_delivery: text(row.querySelector('[data-field="last-delivery"]')),
        verdict: text(row.querySelector('[data-field="verdict"]')),
        ...Object.fromEntries([...row.querySelectorAll('[data-count]')].map((c) => [c.dataset.count, number(c)])),
      };
    }
    const consumers = {};
    for (const row of document.querySelectorAll('tr[data-consumer]')) {
      consumers[row.dataset.consumer] = number(row.querySelector('[data-count="backlog"]'));
    }
    const charts = {};
    for (const canvas of document.querySelectorAll('canvas')) {
      const chart = window.Chart && window.Chart.getChart(canvas);
      charts[canvas.id] = chart
        ? {
            drawn: canvas.width > 0 && canvas.height > 0,
            labels: chart.data.labels.length,
            datasets: Object.fromEntries(
              chart.data.datasets.map((d) => [d.label, d.data.reduce((a, b) => a + (b || 0), 0)]),
            ),
          }
        : null;
    }
    return {
      syncs,
      subscriptions,
      consumers,
      charts,
      body: document.body.innerText,
      pwned: window.__calendly_pwned ?? null,
    };
  });
}

// The page in the UI's frame, once it has drawn its data. The UI may replace its iframe while it settles on the
// frame's URL, so the frame is looked up once the page in it has loaded, not before.
async function pageFrame(page) {
  await page.waitForFunction(
    () => document.querySelector('iframe[title="Calendly"]')?.contentDocument?.body?.dataset.loaded,
    null,
    { timeout },
  );
  return page.frames().find((f) => f !== page.mainFrame() && new URL(f.url()).pathname.startsWith('/calendly-ui/'));
}

let page;
await journey(
  seen,
  async (browser) => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    page = await context.newPage();
    page.setDefaultTimeout(timeout);
    await login(page, env('VIEWER_USER'), env('VIEWER_PASSWORD'));
    listen(page, 'viewer');
    // The UI's navigation has the provider's entry; it opens the page in the UI's frame.
    const entry = page.getByRole('link', { name: 'Calendly' }).first();
    await entry.waitFor({ timeout });
    seen.nav = { href: await entry.getAttribute('href') };
    await entry.click();
    await page.waitForURL((url) => url.pathname.endsWith('/plugin/calendly') || url.pathname.includes('/plugin/calendly/'));
    let frame = await pageFrame(page);
    seen.nav.frame_url = frame.url();
    console.log('ready');

    // A sync runs now: refresh until the page shows its progress (or the wrapper says it is over).
    const done = stdinLines.next();
    let finished = false;
    done.then(() => {
      finished = true;
    });
    const card = () => frame.locator(`[data-sync="${syncKey}"] [data-field="running"]`);
    while (!finished) {
      await refresh(frame);
      // Once it reports from the scheduled events' pages (a window done, an ETA), not just that it started.
      const pages = card().locator('[data-field="progress-pages"]');
      if ((await pages.count()) && Number((await pages.textContent()).replace(/,/g, '')) > 0) {
        seen.running = await read(frame);
        // The card down to its tables: what was running, and the last pass's numbers.
        const whole = await frame.locator(`[data-sync="${syncKey}"]`).boundingBox();
        const tables = await frame.locator(`[data-sync="${syncKey}"] table.tables`).boundingBox();
        const path = join(artifactDir, '02-running-sync.png');
        await page.screenshot({ path, clip: { x: whole.x, y: whole.y, width: whole.width, height: tables.y - whole.y } });
        seen.screenshots.push(path);
        break;
      }
    }
    await done;
    await refresh(frame);
    seen.viewer = await read(frame);
    await shot(page, '01-in-airflow');

    // The page alone (not framed), whole: what the docs show.
    const direct = await context.newPage();
    listen(direct, 'viewer-direct');
    await direct.setViewportSize({ width: 1280, height: 900 });
    await direct.goto(frame.url());
    await direct.waitForFunction(() => document.body.dataset.loaded, null, { timeout });
    await direct.screenshot({ path: join(artifactDir, '03-page.png'), fullPage: true });
    seen.screenshots.push(join(artifactDir, '03-page.png'));
    await shot(direct.locator('#webhooks'), '04-webhooks');
    await shot(direct.locator('#trends'), '05-trends');

    // An admin sees the private DAG too, whose name and stored values are markup: they must show as text.
    const admin = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const adminPage = await admin.newPage();
    adminPage.setDefaultTimeout(timeout);
    await login(adminPage, env('ADMIN_USER'), env('ADMIN_PASSWORD'));
    listen(adminPage, 'admin');
    await adminPage.goto(frame.url());
    await adminPage.waitForFunction(() => document.body.dataset.loaded, null, { timeout });
    seen.admin = await read(adminPage.mainFrame());
  },
  async () => {
    if (page) await shot(page, '99-failure');
  },
);
process.exit(0);
