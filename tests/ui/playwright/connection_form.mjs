// Drive the real Airflow UI in Debian's chromium: add a Calendly connection through the form, press Test
// (good token, then bad token) and read the providers page. Prints one JSON object of what it saw on the
// last line of stdout; the pytest wrapper (tests/ui/test_connection_form.py) makes the assertions.
//
// Input (environment):
//   AIRFLOW_URL      base URL of the Airflow API server (serves the UI)
//   CALENDLY_HOST    value for the "API base URL" field
//   CALENDLY_PORT    value for the port field, when the form shows it (may be empty)
//   GOOD_TOKEN       a token the emulator accepts; BAD_TOKEN one it rejects
//   ARTIFACT_DIR     where screenshots go
//   EXTRA_FIELD      name of one provider-declared extra field (from get_provider_info), to know the
//                    "Extra Fields" section has opened
//   CHROMIUM         browser executable (default /usr/bin/chromium)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { env, journey } from './common.mjs';

const airflowUrl = env('AIRFLOW_URL').replace(/\/$/, '');
const artifactDir = env('ARTIFACT_DIR');
const timeout = 20_000;
mkdirSync(artifactDir, { recursive: true });

const seen = { form: null, connections: {}, tests: {}, providers: null, screenshots: [] };

async function shot(page, name) {
  // Let open/close and toast animations (about 0.3 s) finish: only the picture depends on this pause.
  await page.waitForTimeout(700);
  const path = join(artifactDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  seen.screenshots.push(path);
}

async function openAddForm(page, connType) {
  await page.goto(`${airflowUrl}/connections`);
  await page.getByRole('button', { name: 'Add Connection' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'Add Connection' }).waitFor({ timeout });
  // The connection type is a react-select combobox: type to filter, then pick the option.
  await dialog.getByRole('combobox').fill(connType);
  await page.getByRole('option', { name: connType, exact: true }).click({ timeout });
  await dialog.locator('input[name="password"]').waitFor({ timeout });
  return dialog;
}

async function readForm(dialog) {
  // Every field is in the DOM, including those of the collapsed "Extra Fields" section.
  return dialog.evaluate((root) => {
    const fields = {};
    for (const group of root.querySelectorAll('[data-scope="field"][data-part="root"]')) {
      const input = group.querySelector('input[name], textarea[name]');
      const label = group.querySelector('label');
      if (!input || !label) continue;
      const helper = group.querySelector('[data-part="helper-text"]');
      fields[input.name] = {
        label: label.innerText.replace(/\*/g, '').trim(),
        placeholder: input.getAttribute('placeholder') ?? '',
        type: input.getAttribute('type') ?? input.tagName.toLowerCase(),
        value: input.value,
        helper: helper ? helper.innerText.trim() : '',
      };
    }
    return fields;
  });
}

async function addConnection(page, { connId, host, port, token }, screenshotName) {
  const dialog = await openAddForm(page, 'Calendly');
  const form = await readForm(dialog);
  await dialog.locator('input[name="connection_id"]').fill(connId);
  await dialog.locator('input[name="host"]').fill(host);
  const portInput = dialog.locator('input[name="port"]');
  const portShown = (await portInput.count()) > 0;
  if (portShown && port) await portInput.fill(port);
  await dialog.locator('input[name="password"]').fill(token);
  if (screenshotName) {
    await shot(page, `${screenshotName}-standard-fields`);
    // The sections are an accordion: opening "Extra Fields" shows the provider's own fields.
    await dialog.getByRole('button', { name: 'Extra Fields', exact: true }).click();
    await dialog.locator(`[name="element_${env('EXTRA_FIELD')}"]`).waitFor({ timeout });
    await shot(page, `${screenshotName}-extra-fields`);
  }
  const saved = page.waitForResponse(
    (r) => r.url().endsWith('/api/v2/connections') && r.request().method() === 'POST',
    { timeout },
  );
  await dialog.getByRole('button', { name: 'Save' }).click();
  const response = await saved;
  await dialog.waitFor({ state: 'hidden', timeout });
  seen.connections[connId] = { status: response.status(), portShown };
  return form;
}

async function pressTest(page, connId, screenshotName) {
  await page.goto(`${airflowUrl}/connections`);
  const row = page.getByRole('row').filter({ has: page.getByText(connId, { exact: true }) });
  const tested = page.waitForResponse((r) => r.url().endsWith('/api/v2/connections/test'), { timeout });
  await row.getByRole('button', { name: 'Test Connection' }).click();
  const response = await tested;
  const toast = page.locator('[data-scope="toast"][data-part="root"]').first();
  await toast.waitFor({ timeout });
  seen.tests[connId] = {
    http_status: response.status(),
    body: await response.text(),
    toast_type: await toast.getAttribute('data-type'),
    title: (await toast.locator('[data-part="title"]').innerText()).trim(),
    description: (await toast.locator('[data-part="description"]').innerText()).trim(),
  };
  await shot(page, screenshotName);
}

async function readProvidersPage(page) {
  await page.goto(`${airflowUrl}/providers`);
  const row = page.getByRole('row').filter({ has: page.getByText('airflow-provider-calendly', { exact: true }) });
  await row.waitFor({ timeout });
  await shot(page, '05-providers-page');
  const cell = (id) => row.locator(`[data-testid="table-cell-${id}"]`).innerText();
  seen.providers = {
    package_name: (await cell('package_name')).trim(),
    version: (await cell('version')).trim(),
    description: (await cell('description')).trim(),
  };
}

let page;
await journey(
  seen,
  async (browser) => {
    page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
    page.setDefaultTimeout(timeout);
    const host = env('CALENDLY_HOST');
    const port = env('CALENDLY_PORT', '');
    seen.form = await addConnection(
      page,
      { connId: 'calendly_ui_good', host, port, token: env('GOOD_TOKEN') },
      '01-add-connection-form',
    );
    await shot(page, '02-connection-list');
    await pressTest(page, 'calendly_ui_good', '03-test-success');
    await addConnection(page, { connId: 'calendly_ui_bad', host, port, token: env('BAD_TOKEN') }, null);
    await pressTest(page, 'calendly_ui_bad', '04-test-bad-token');
    await readProvidersPage(page);
  },
  async () => {
    if (page) await shot(page, '99-failure');
  },
);
